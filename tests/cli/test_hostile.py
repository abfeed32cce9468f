"""The command line against hostile input (issue 17): outputs checked before the work and never
replacing a link, FIFO or device; one escaped, bounded `error:` line from every source; limits
on runs and cycles; memory budgets; counts the statistics cannot take; the kernel named, and
the same seed giving the same bytes on each kernel."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from engine.tally.kernel import ENV
from tests.paths import ROOT, SEMEY_2025, SIMULATIONS

HEAD = '[election]\nname = "x"\ndate = 2021-07-25\nrules = "kz-2021-rural"\n'


def _one_error(result, *, start: str = "error: ") -> str:
    """The run failed with exit 2 and exactly one line on stderr; that line."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(start), lines[0]
    return lines[0]


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory", "device", "no folder"])
def test_an_output_that_is_no_regular_file_is_refused_before_the_work(runner, tmp_path, kind):
    """-o onto a symlink, a FIFO, a directory or a device (or into a folder that does not exist)
    is one line before anything runs: even a scenario that does not exist is not looked at,
    and the link or FIFO is left as it was."""
    target = tmp_path / "out.json"
    if kind == "symlink":
        (tmp_path / "real.json").write_text("keep", encoding="utf-8")
        target.symlink_to(tmp_path / "real.json")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "device":
        target = Path("/dev/null")
    else:
        target = tmp_path / "missing" / "out.json"
    result = runner.invoke(main, ["replay", str(tmp_path / "nope.toml"), "-o", str(target)])
    line = _one_error(result)
    assert str(target) in line
    assert "nope.toml" not in line  # refused before the scenario was read
    if kind == "symlink":
        assert target.is_symlink()
        assert (tmp_path / "real.json").read_text(encoding="utf-8") == "keep"
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_an_output_is_written_with_the_umask_and_dash_is_stdout(runner, tmp_path):
    """A new output file gets 0666 less the umask (0644 under umask 022), like any tool's, and
    replaces an old regular file whole; -o - prints to stdout."""
    old = os.umask(0o022)
    try:
        out = tmp_path / "r.json"
        out.write_text("old", encoding="utf-8")
        result = runner.invoke(main, ["replay", str(SEMEY_2025), "--format", "json", "-o",
                                      str(out)])
        assert result.exit_code == 0, result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        assert json.loads(out.read_text(encoding="utf-8"))["races"][0]["id"] == "semey"
        assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary left
    finally:
        os.umask(old)
    result = runner.invoke(main, ["replay", str(SEMEY_2025), "--format", "json", "-o", "-"])
    assert json.loads(result.stdout)["races"][0]["id"] == "semey"


def test_a_name_with_control_characters_is_escaped_in_the_one_line(runner, tmp_path):
    """A race id holding a newline and an escape sequence is echoed escaped, on one line."""
    path = tmp_path / "x.toml"
    path.write_text(HEAD + '[[race]]\nid = "a\\nb\\u001b[31m"\nregistered = 10\ncast = 20\n'
                    '[[race.candidate]]\nname = "A"\nvotes = 5\n', encoding="utf-8")
    line = _one_error(runner.invoke(main, ["replay", str(path)]))
    assert line == ("error: x.toml: race[a\\nb\\x1b[31m].cast: more ballots cast (20) than "
                    "registered voters (10)")


def test_a_long_error_is_cut_to_one_bounded_line(runner, tmp_path):
    """A 5,000-character name in an error is cut: the line stays under 600 characters."""
    path = tmp_path / "x.toml"
    path.write_text(HEAD + f'[[race]]\nid = "{"z" * 5000}"\nregistered = 10\ncast = 20\n'
                    '[[race.candidate]]\nname = "A"\nvotes = 5\n', encoding="utf-8")
    line = _one_error(runner.invoke(main, ["replay", str(path)]))
    assert len(line) <= 600
    assert line.endswith("...")


@pytest.mark.parametrize("args", [
    ["replay"], ["replay", "x.toml", "--format", "xml"], ["nonsense"], ["replay", "--nope"],
    ["simulate", "x.toml", "--runs", str(2**63)], ["simulate", "x.toml", "--runs", "0"],
    ["simulate", "x.toml", "--cycles", "101"], ["simulate", "x.toml", "--memory", "lots"],
    ["schedule", "--term-start", "9999-01-01"], ["audit", "x.toml", "--risk-limit", "2"],
])
def test_every_error_of_the_command_line_is_one_line_with_one_prefix(runner, args):
    """click's own errors (a missing argument, a bad choice, an unknown command, --runs 2**63)
    read like the commands' own: one line, 'error:', exit 2."""
    _one_error(runner.invoke(main, args))


def test_a_simulation_whose_block_does_not_fit_the_memory_is_refused(runner, tmp_path):
    """A million precincts: one block of 64 runs needs gigabytes, so --memory 256M refuses it
    in one line before drawing (simulate and forensics); a fitting one runs within it."""
    path = tmp_path / "big.toml"
    path.write_text(HEAD + '[model]\nprecincts = 1000000\n[[race]]\nid = "a"\n'
                    'registered = 100000000\n[[race.candidate]]\nname = "A"\n'
                    '[[race.candidate]]\nname = "B"\n', encoding="utf-8")
    for command in ("simulate", "forensics"):
        line = _one_error(runner.invoke(main, [command, str(path), "--memory", "256M"]))
        assert "big.toml: --memory: a block of 64 runs of this model (1,000,000 precincts" in line
        assert "more than the budget of 256 MiB" in line
    semey = str(SIMULATIONS / "semey-2029.toml")
    result = runner.invoke(main, ["simulate", semey, "--runs", "200", "--memory", "64M"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("model", "problem"), [
    ("registered = 4611686018427387903", "a simulation takes at most 100,000,000,000,000 in a "
                                         "race"),
    ("registered = 100000000000000\n[model]\nprecincts = 20000000",
     "20,000,000 precincts in one scenario: more than the limit of 10,000,000"),
])
def test_a_model_too_large_for_exact_draws_is_refused(runner, tmp_path, model, problem):
    """Counts above what the binomial draws and histograms take exactly, and more precincts
    than the limit, are one line each (no traceback from the sampler or the histograms)."""
    path = tmp_path / "m.toml"
    body = model if "[model]" in model else model + "\n[model]"
    path.write_text(HEAD + f'[[race]]\nid = "a"\n{body.split(chr(10))[0]}\n'
                    '[[race.candidate]]\nname = "A"\n[[race.candidate]]\nname = "B"\n'
                    + ("\n".join(body.split("\n")[1:]) or "[model]") + "\n", encoding="utf-8")
    for command in ("simulate", "forensics"):
        assert problem in _one_error(runner.invoke(main, [command, str(path)]))


def test_forensics_refuses_precinct_counts_past_its_arithmetic(runner, tmp_path):
    """A replayed precinct of 2**61 voters is one line from forensics and audit (their exact
    integer percentages would pass int64), not negative weights or a traceback."""
    path = tmp_path / "p.toml"
    path.write_text(HEAD + '[[race]]\nid = "a"\n[[race.candidate]]\nname = "A"\n'
                    '[[race.candidate]]\nname = "B"\n' + "".join(
                        f'[[race.precinct]]\nid = "{i}"\nregistered = {2**61}\ncast = 100\n'
                        f'invalid = 0\nagainst_all = 0\nvotes = [60, 40]\n' for i in range(2)),
                    encoding="utf-8")
    for command in ("forensics", "audit"):
        line = _one_error(runner.invoke(main, [command, str(path)]))
        assert "forensics and audits take at most 100,000,000,000,000 a precinct" in line


def test_version_names_the_kernel(runner):
    """saylau --version says which kernel runs."""
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("saylau ")
    assert "\nkernel: " in result.stdout


def _simulate(kernel: str | None, *extra: str) -> bytes:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if kernel is not None:
        env[ENV] = kernel
    done = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "simulate",
                           str(SIMULATIONS / "semey-2029.toml"), "--runs", "300", "--seed",
                           "5", "--format", "json", *extra], capture_output=True, env=env,
                          cwd=ROOT, timeout=120, check=True)
    return done.stdout


def test_the_same_seed_gives_the_same_bytes_on_each_kernel():
    """On the numpy kernel and on the compiled one (where built), a seed gives the same bytes
    whatever the chunks and workers, and the output names the kernel that drew it."""
    kernels = ["numpy"]
    if json.loads(_simulate(None))["kernel"] == "c":
        kernels.append("c")
    for kernel in kernels:
        one = _simulate(kernel, "--jobs", "1", "--chunk-runs", "64")
        assert one == _simulate(kernel, "--jobs", "2", "--chunk-runs", "192")
        assert json.loads(one)["kernel"] == kernel


def test_an_openelections_count_of_5000_digits_is_one_line(runner, tmp_path):
    """A votes cell past Python's digit limit, in an OpenElections file given directly: one
    line naming the row and column (was a traceback), exit 2."""
    path = tmp_path / "oe.csv"
    path.write_text("county,precinct,office,district,party,candidate,votes\n"
                    f"A,1,Mayor,,,X,{'9' * 5000}\nA,1,Mayor,,,Y,3\n", encoding="utf-8")
    result = runner.invoke(main, ["replay", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: oe.csv: row 2, column 'votes' (A / 1): is too "
                                    "large for a count")
    assert result.stderr.count("\n") == 1
