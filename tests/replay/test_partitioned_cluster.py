"""A precinct file read in partitions on a Dask LocalCluster of two worker processes: the bytes
of the in-memory replay, errors named at the file's rows."""

from __future__ import annotations

from pathlib import Path

from benchmarks.national_file import write
from cli.main import main
from tests.dask_needed import require_distributed

require_distributed()


def _replay(runner, scenario: Path, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(main, ["replay", str(scenario), *args])
    return r.exit_code, r.stdout, r.stderr


def test_a_partitioned_replay_on_a_local_cluster_prints_the_in_memory_bytes(runner, tmp_path):
    """4,000 stations in 16 kB partitions (about 30) as tasks on 2 worker processes: the
    in-memory JSON bytes (races, every check, areas within races, the protocol's findings);
    where it ran and how many partitions on stderr only, then the same warnings."""
    scenario = write(tmp_path, 4000, seed=11)
    args = ["--format", "json", "--all-checks"]
    ref = _replay(runner, scenario, *args)
    assert ref[0] == 0, ref[2]
    code, out, err = _replay(runner, scenario, *args, "--partition", "16K",
                             "--scheduler", "local:2")
    assert code == 0, err
    assert out == ref[1]
    lines = err.splitlines()
    assert lines[0].startswith("running on a LocalCluster of 2 worker processes (tcp://")
    assert lines[1].endswith(" partition(s) of 4,000 rows")
    assert int(lines[1].split()[0]) > 20
    assert lines[2:] == ref[2].splitlines()  # the blank-cell warnings


def test_a_bad_cell_on_the_cluster_names_its_row_in_the_file(runner, tmp_path):
    """A bad count at row 3,900 of 4,000, read by a worker: the in-memory one line, exit 2,
    nothing on stdout."""
    scenario = write(tmp_path, 4000, seed=12)
    path = tmp_path / "national.csv"
    lines = path.read_text().split("\n")
    cells = lines[3899].split(",")
    cells[4] = "-7"
    lines[3899] = ",".join(cells)
    path.write_text("\n".join(lines))
    ref = _replay(runner, scenario)
    code, out, err = _replay(runner, scenario, "--partition", "16K", "--scheduler", "local:2")
    assert ref[0] == code == 2
    assert out == ""
    assert "row 3900, column 'voters'" in ref[2]
    assert err.splitlines()[-1] == ref[2].strip()
