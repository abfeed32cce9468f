"""`saylau report` without a browser: one self-contained page, its policy, escaping, the numbers
of the JSON outputs, user errors (tests/browser/ opens the same pages in Chromium)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from benchmarks.replay_bench import make_election
from cli.main import main
from cli.report_render import render
from cli.report_replay import replay_page
from engine.formats.scenario import load
from engine.replay.run import replay
from tests.paths import HISTORICAL_FILES, ROOT, SEMEY_2025, SIMULATIONS
from tests.report_pages import check_forensics, check_replay, check_simulation, tables_of
from tests.texts import NAMES_SCENARIO, XSS


def _report(runner, *args: str) -> str:
    result = runner.invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _json(runner, *args: str) -> dict:
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("path", HISTORICAL_FILES, ids=lambda p: p.stem)
def test_every_historical_page_is_one_file_that_needs_nothing_else(runner, path):
    """The page carries its stylesheet and script inline, loads nothing (no src, link, url(),
    import or http) and its policy allows exactly that script and stylesheet."""
    html = _report(runner, str(path))
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    for outside in (" src=", "<link", "url(", "@import", "http://", "https://", "<iframe"):
        assert outside not in html, outside
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert (len(scripts), len(styles)) == (1, 1)
    policy = unescape(re.search(r'<meta http-equiv="Content-Security-Policy" '
                                r'content="([^"]+)">', html).group(1))
    assert policy == (f"default-src 'none'; script-src {_sha256(scripts[0])}; "
                      f"style-src {_sha256(styles[0])}; img-src 'none'; font-src 'none'; "
                      "connect-src 'none'; base-uri 'none'; form-action 'none'")
    assert html.index("Content-Security-Policy") < html.index("<style>")


@pytest.mark.parametrize("path", HISTORICAL_FILES, ids=lambda p: p.stem)
def test_every_number_of_a_replay_page_is_the_json_number(runner, path):
    """Each table cell's value is the JSON output's, its text as the table output writes it."""
    tables = tables_of(_report(runner, str(path)))
    assert check_replay(tables, _json(runner, "replay", str(path))) > 0


def test_the_page_is_the_same_bytes_every_time(runner):
    """Nothing on the page depends on the clock or the folder it was written from."""
    assert _report(runner, str(SEMEY_2025)) == _report(runner, str(SEMEY_2025))


def test_names_are_escaped_and_shown_as_written(runner, tmp_path):
    """A candidate named like a script and a party closing an attribute stay text: the page
    holds one <script> (its own) and the names read back exactly, Kazakh and Russian too."""
    path = tmp_path / "names.toml"
    path.write_text(NAMES_SCENARIO, encoding="utf-8")
    html = _report(runner, str(path))
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 1
    assert 'onmouseover="alert' not in html
    assert "<b>&amp; marks</b>" not in html
    assert "<i>district</i>" not in html
    rows = tables_of(html)["race-1-options"]["rows"]
    assert [r["cells"][0]["text"] for r in rows] == [
        "Әділет Қожанбаев", "Ирина Петрова-Щукина", "Ädilet Qojanbaev", XSS, "against all"]
    assert [r["cells"][1]["text"] for r in rows][:4] == [
        "Nur Otan", "Ақ жол", "Independent", '" onmouseover="alert(2)']


@settings(max_examples=20, deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                    min_size=1, max_size=24).filter(lambda s: s == " ".join(s.split())))
def test_any_name_reads_back_as_the_same_text(tmp_path_factory, name):
    """Whatever a candidate is called, the page shows exactly that text and no markup of it."""
    assume(name not in ("Әділет Қожанбаев", "Ирина Петрова-Щукина", "Ädilet Qojanbaev"))
    path = tmp_path_factory.mktemp("name") / "name.toml"
    quoted = json.dumps(name, ensure_ascii=False)  # a TOML basic string, as JSON writes it
    path.write_text(NAMES_SCENARIO.replace(f'name = "{XSS}"', f"name = {quoted}"),
                    encoding="utf-8")
    page = replay_page(replay(load(path)))
    html = render("base.html.j2", title="t", subtitle="s", p=page, sections=page["sections"],
                  command="c", json_command="j")
    rows = tables_of(html)["race-1-options"]["rows"]
    assert rows[3]["cells"][0]["text"] == name
    assert html.count("<script") == 1


def _precinct(pid: str, area: list[str], votes: list[int], **lines: int) -> str:
    body = "".join(f"{k} = {v}\n" for k, v in lines.items())
    return (f'[[race.precinct]]\nid = "{pid}"\narea = {json.dumps(area, ensure_ascii=False)}\n'
            f"votes = {votes}\n{body}")


AREAS_AND_PROTOCOL = """[election]
name = "one race over two regions"
rules = "kz-2023-district"
[protocol]
lines = ["issued"]
relations = ["cast <= issued"]
[[race]]
id = "r"
[[race.candidate]]
name = "Әсет"
[[race.candidate]]
name = "Борис"
""" + "".join([
    _precinct("1", ["Солтүстік", "N1"], [5, 5], registered=20, cast=12, invalid=2,
              against_all=0, issued=11),
    _precinct("2", ["Солтүстік", "N2"], [7, 1], registered=20, cast=9, invalid=1,
              against_all=0, issued=9),
    _precinct("3", ["Оңтүстік", "S1"], [5, 5], registered=20, cast=10, invalid=0,
              against_all=0, issued=10)])


def test_areas_within_a_race_and_the_protocol_get_their_sections(runner, tmp_path):
    """A race over two regions: its results by region and district, and the control relation
    that fails at one station, with where and how much; all as the JSON's numbers."""
    path = tmp_path / "areas.toml"
    path.write_text(AREAS_AND_PROTOCOL, encoding="utf-8")
    html = _report(runner, str(path), "--no-forensics")
    d = _json(runner, "replay", str(path))
    tables = tables_of(html)
    assert check_replay(tables, d) > 0
    regions = [r["attrs"]["area"] for r in tables["within-1-1"]["rows"]]
    assert sorted(regions) == ["Оңтүстік", "Солтүстік"]
    assert regions == [a["name"] for a in d["precinct_areas"] if a["level"] == 1]
    assert len(tables["within-1-2"]["rows"]) == 3
    failing = tables["protocol-1-worst"]["rows"]
    assert [(r["attrs"]["precinct"], r["cells"][4]["value"]) for r in failing] == [("1", "1")]
    assert [r["attrs"]["area"] for r in tables["protocol-1-areas"]["rows"]] == ["Солтүстік"]
    page = replay_page(replay(load(path)))
    assert [s["id"] for s in page["sections"]] == ["headline", "levels", "races", "within",
                                                   "protocol"]


def test_a_replay_without_precinct_detail_leaves_those_sections_out():
    """Semey: no areas within its race, no protocol, no forensics."""
    page = replay_page(replay(load(SEMEY_2025)))
    assert [s["id"] for s in page["sections"]] == ["headline", "figures", "inferred", "levels",
                                                   "races"]


def test_the_simulation_page_holds_the_json_numbers(runner):
    """--simulate: win probabilities, risks, quantiles and races won per area are the JSON's."""
    path = str(SIMULATIONS / "semey-2029.toml")
    html = _report(runner, path, "--simulate", "--runs", "300", "--seed", "3")
    d = _json(runner, "simulate", path, "--runs", "300", "--seed", "3")
    assert check_simulation(tables_of(html), d) > 0
    assert "saylau simulate semey-2029.toml --runs 300 --seed 3 --format json" in html


def test_a_simulation_of_many_races_has_the_closest_races_first(runner):
    """730 races: the closest races and those most at risk come first, every race folded."""
    path = str(SIMULATIONS / "kz-2021-rerun.toml")
    html = _report(runner, path, "--simulate", "--runs", "64", "--seed", "1")
    d = _json(runner, "simulate", path, "--runs", "64", "--seed", "1")
    tables = tables_of(html)
    assert check_simulation(tables, d) > 0
    closest = [_p(r) for r in tables["wins-closest"]["rows"]]
    assert closest == sorted(closest)
    assert closest[0] == min(max(c["p_win"] for c in r["candidates"]) for r in d["races"])
    assert len(tables["wins"]["rows"]) == len(d["races"]) == 730


def _p(row: dict) -> float:
    return float(row["cells"][4]["value"])


def test_the_cycles_page_draws_the_series_beside_its_table(runner):
    """--cycles: one line chart, and a table whose shares are the JSON's."""
    path = str(SIMULATIONS / "kz-rural-2021-2037.toml")
    html = _report(runner, path, "--simulate", "--cycles", "3", "--runs", "20")
    d = _json(runner, "simulate", path, "--cycles", "3", "--runs", "20")
    rows = tables_of(html)["cycles"]["rows"]
    assert [r["attrs"]["cycle"] for r in rows] == ["1", "2", "3"]
    for row, c in zip(rows, d["per_cycle"], strict=True):
        values = [c["share_won_by_incumbents"], c["share_open_seats"],
                  c["share_leaving_at_limit"]]
        assert [None if x["value"] == "" else float(x["value"]) for x in row["cells"][5:8]] \
            == values
        assert int(row["cells"][2]["value"]) == c["elections"]
    assert html.count('class="plot series"') == 1


def test_an_indirect_round_gets_its_counts_page(runner):
    """A simulated maslikhat round: each count's published value and mean as the JSON's."""
    path = str(SIMULATIONS / "kz-2013-maslikhat.toml")
    html = _report(runner, path, "--simulate", "--runs", "40")
    d = _json(runner, "simulate", path, "--runs", "40")
    rows = tables_of(html)["round"]["rows"]
    assert [r["attrs"]["count"] for r in rows] == list(d["counts"])
    for row, (_, c) in zip(rows, d["counts"].items(), strict=True):
        assert float(row["cells"][2]["value"]) == c["mean"]


def test_precincts_bring_the_forensics_histogram_and_fingerprint(runner, tmp_path):
    """A precinct file: the tests, the turnout histogram and the fingerprint's cells are those
    of `saylau forensics --format json` with the same seed; no SVG element per precinct."""
    path = str(make_election(tmp_path, 600, 12))
    html = _report(runner, path, "--seed", "5")
    fd = _json(runner, "forensics", path, "--seed", "5")
    tables = tables_of(html)
    assert check_forensics(tables, fd) > 0
    assert check_replay(tables, _json(runner, "replay", path)) > 0
    fingerprint = html[html.index('aria-labelledby="fingerprint-caption"'):]
    fingerprint = fingerprint[:fingerprint.index("</svg>")]
    cells = sum(v > 0 for row in fd["fingerprint"]["registered_voters"] for v in row)
    assert 0 < fingerprint.count("<rect") <= cells + 10  # merged cells, the frame and the key


def test_no_forensics_leaves_the_tests_out_of_a_precinct_page(runner, tmp_path):
    """--no-forensics: the same replay, without the forensic section (and says so)."""
    path = str(make_election(tmp_path, 200, 4))
    html = _report(runner, path, "--no-forensics")
    assert "forensics-tests" not in html
    assert f"saylau report {Path(path).name} --no-forensics" in html
    assert check_replay(tables_of(html), _json(runner, "replay", path)) > 0
    result = runner.invoke(main, ["report", path, "--simulate", "--no-forensics"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error: --no-forensics goes with a replay's page; a simulation's "
                             "has no forensics\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--runs", "5"], "error: --runs goes with --simulate\n"),
    (["--cycles", "2", "--from", "x.toml"], "error: --from, --cycles go with --simulate\n"),
])
def test_simulation_options_without_simulate_are_one_line(runner, args, message):
    """Options of a simulation given for a replay page: one line, exit 2, nothing written."""
    result = runner.invoke(main, ["report", str(SEMEY_2025), *args])
    assert (result.exit_code, result.stderr, result.stdout) == (2, message, "")


def test_bad_paths_are_one_line_and_write_nothing(runner, tmp_path):
    """A missing scenario or an output folder that does not exist: one line, exit 2."""
    missing = runner.invoke(main, ["report", str(tmp_path / "none.toml")])
    assert (missing.exit_code, missing.stderr) == (
        2, f"error: {tmp_path / 'none.toml'}: no such file\n")
    out = tmp_path / "no" / "page.html"
    folder = runner.invoke(main, ["report", str(SEMEY_2025), "-o", str(out)])
    assert folder.exit_code == 2
    assert folder.stderr == (f"error: --output/-o {out}: the folder {str(out.parent)!r} does not "
                             "exist\n")
    assert list(tmp_path.iterdir()) == []


def test_the_page_is_written_atomically_to_the_output(runner, tmp_path):
    """-o writes the page and nothing else to the folder; stdout stays empty."""
    out = tmp_path / "semey.html"
    result = runner.invoke(main, ["report", str(SEMEY_2025), "-o", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert [p.name for p in tmp_path.iterdir()] == ["semey.html"]
    assert "Ädilet Qojanbaev" in out.read_text(encoding="utf-8")


def test_without_jinja2_the_command_says_how_to_get_it(runner, monkeypatch):
    """jinja2 is an extra (saylau[page]): without it, one line naming the extra."""
    monkeypatch.setitem(sys.modules, "jinja2", None)
    result = runner.invoke(main, ["report", str(SEMEY_2025)])
    assert (result.exit_code, result.stderr) == (
        2, "error: saylau report needs jinja2: pip install 'saylau[page]' (or pip install "
           "jinja2)\n")


def test_the_command_line_imports_no_template_engine():
    """`saylau --help` stays fast: importing cli.main pulls in neither jinja2 nor markupsafe."""
    probe = "import cli.main, sys; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    assert [m for m in out if m.split(".")[0] in ("jinja2", "markupsafe")] == []


def test_the_templates_are_installed_with_the_package():
    """The page's templates, stylesheet and script ship inside the cli package."""
    from importlib import resources

    names = {p.name for p in resources.files("cli").joinpath("templates").iterdir()}
    assert {"base.html.j2", "page.css", "page.js", "replay_races.html.j2",
            "simulation_wins.html.j2"} <= names
