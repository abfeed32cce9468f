"""A precinct file read in partitions (``replay --partition``): partitions give the file's rows,
and the replay prints the bytes of the in-memory replay, errors named at the file's rows."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.national_file import write
from cli.main import main
from engine.formats.columns import csv_batches
from engine.formats.partitions import batches, cut
from tests.imported import imported_by
from tests.paths import RU_2018, SCENARIOS, SHARED

_CELL = st.text(alphabet="ab ,;é1\"", max_size=6)


def _csv(rows: list[list[str]], *, crlf: bool, bom: bool, last: bool) -> bytes:
    """A CSV text of ``rows`` under a header, cells with a comma or quote quoted."""
    def cell(c: str) -> str:
        return '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"') else c

    end = "\r\n" if crlf else "\n"
    lines = ["h1,h2,h3"] + [",".join(cell(c) for c in row) for row in rows]
    text = end.join(lines) + (end if last else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def _rows(path: Path, size: int | None) -> list[tuple[str, ...]]:
    cols = ["h1", "h2", "h3"]
    if size is None:
        stream, raw = csv_batches(path, path.name, cols, ",")
        parts = [stream]
    else:
        parts = []
        for part in cut(path, path.name, size, ","):
            stream, raw = batches(path, path.name, part, cols, ",")
            parts.append(stream)
    out = []
    for stream in parts:
        for b in stream:
            out += list(zip(*(b.column(raw[c]).to_pylist() for c in cols), strict=True))
    return out


@given(rows=st.lists(st.lists(_CELL, min_size=3, max_size=3).filter(
           lambda r: any(c.strip() for c in r)), min_size=1, max_size=40),
       size=st.integers(1, 400), crlf=st.booleans(), bom=st.booleans(), last=st.booleans())
def test_partitions_of_a_csv_file_give_its_rows(tmp_path_factory, rows, size, crlf, bom, last):
    """Cut at any size (quoted cells, CRLF, a BOM, no last line end), the partitions' rows in
    order are the whole file's rows."""
    path = tmp_path_factory.mktemp("cut") / "f.csv"
    path.write_bytes(_csv(rows, crlf=crlf, bom=bom, last=last))
    assert _rows(path, size) == _rows(path, None)


def test_partitions_of_a_parquet_file_are_runs_of_its_row_groups(tmp_path):
    """A Parquet file of 20 row groups in partitions of a few groups: every row once, in order."""
    table = pa.table({"a": np.arange(2000), "b": np.arange(2000)[::-1].astype(str)})
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=100)
    parts = cut(path, path.name, 3000, ",")
    assert 2 < len(parts) < 20
    assert [g for p in parts for g in p.row_groups] == list(range(20))
    got = []
    for p in parts:
        stream, raw = batches(path, path.name, p, ["a", "b"], ",")
        got += [x for b in stream for x in b.column(raw["a"]).to_pylist()]
    assert got == list(range(2000))


def _replay(runner, scenario: Path, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(main, ["replay", str(scenario), *args])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """A generated file of 6,000 stations (about 700 kB) and its scenario."""
    return write(tmp_path_factory.mktemp("national"), 6000, seed=3)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_partitioned_replay_prints_the_in_memory_bytes(runner, national, fmt):
    """In partitions of 16 kB (dozens of them) on threads: the same bytes as the replay of the
    file in memory (races, areas two levels down, every published figure, the protocol's
    findings and worst stations), and the same warnings."""
    args = ["--format", fmt, "--area-level", "2", "--all-checks"]
    ref = _replay(runner, national, *args)
    assert ref[0] == 0, ref[2]
    assert "blank cell(s)" in ref[2]
    for extra in (["--partition", "16K"], ["--partition", "16K", "--jobs", "1"],
                  ["--partition", "1G"]):
        assert _replay(runner, national, *args, *extra) == ref


def test_the_protocol_section_is_there_and_the_same(runner, national):
    """The generated file breaks a relation at some stations: those findings, worst stations
    with ties broken in file order, are printed alike."""
    ref = _replay(runner, national)
    assert "FAILS at" in ref[1]
    assert _replay(runner, national, "--partition", "8K") == ref


def test_stations_named_by_row_numbers_are_the_same(runner, tmp_path):
    """Without a precinct column the file's row numbers name the stations: counted across
    partitions, they are the in-memory ones."""
    scenario = write(tmp_path, 3000, seed=5, ids=False, crlf=True, bom=True,
                     last_newline=False)
    ref = _replay(runner, scenario, "--format", "json")
    assert ref[0] == 0, ref[2]
    assert _replay(runner, scenario, "--format", "json", "--partition", "10K") == ref


def test_a_parquet_file_in_partitions_is_the_csv_in_memory(runner, tmp_path):
    """The generated file as Parquet of 15 row groups, in partitions: the in-memory replay of
    the Parquet file, and the CSV file's races."""
    scenario = write(tmp_path, 3000, seed=6)
    ref = _replay(runner, scenario, "--format", "json")
    csv = tmp_path / "national.csv"
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(csv, convert_options=pcsv.ConvertOptions(
        column_types={"number": pa.string()}))
    pq.write_table(table, tmp_path / "national.parquet", row_group_size=200)
    pq_scenario = tmp_path / "pq.toml"
    pq_scenario.write_text(scenario.read_text().replace("national.csv", "national.parquet"))
    mem = _replay(runner, pq_scenario, "--format", "json")
    got = _replay(runner, pq_scenario, "--format", "json", "--partition", "20K")
    assert got[0] == 0, got[2]
    assert got == mem
    assert json.loads(got[1])["races"] == json.loads(ref[1])["races"]


def _edit_row(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (``row`` as a spreadsheet numbers it) of the generated file."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    at = [h.strip('"') for h in header].index(column)
    cells = lines[row - 1].split(",")
    cells[at] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines))


@pytest.mark.parametrize(("column", "value", "problem"), [
    ("valid", "12x", "column 'valid'"),
    ("race", "west", "race 'west' is not a [[race]] id"),
    ("region", "", "is blank"),
])
def test_a_bad_cell_in_a_late_partition_names_its_row_in_the_file(runner, tmp_path, column,
                                                                  value, problem):
    """A bad cell at row 5,500 of 6,000, read in 8 kB partitions: the one line of the
    in-memory read, naming row 5,500, exit 2."""
    scenario = write(tmp_path, 6000, seed=7)
    if column == "region":  # a blank area cell: the precinct id keeps its number
        _edit_row(tmp_path / "national.csv", 5500, "district", "")
        column = "district"
    _edit_row(tmp_path / "national.csv", 5500, column, value)
    ref = _replay(runner, scenario)
    got = _replay(runner, scenario, "--partition", "8K")
    assert ref[0] == got[0] == 2
    assert "row 5500" in got[2]
    assert problem in got[2] or column in got[2]
    assert got[2] == ref[2]


def test_a_repeated_precinct_id_across_partitions_is_named_as_in_memory(runner, tmp_path):
    """Row 5,800 repeats row 3's station (region and number, one in upper case): found from
    the ids' hashes and named as the in-memory read names it."""
    scenario = write(tmp_path, 6000, seed=8)
    path = tmp_path / "national.csv"
    lines = path.read_text().split("\n")
    third = lines[2].split(",")
    cells = lines[5799].split(",")
    cells[0], cells[1], cells[3] = third[0], third[1].upper(), third[3]
    lines[5799] = ",".join(cells)
    path.write_text("\n".join(lines))
    ref = _replay(runner, scenario)
    assert ref[0] == 2
    assert "duplicate precinct id" in ref[2]
    assert _replay(runner, scenario, "--partition", "8K") == ref


def test_impossible_rows_and_areas_outside_a_race_are_refused_alike(runner, tmp_path):
    """More invalid ballots than cast at a late row, and a race whose area its rows leave:
    the in-memory read's one line."""
    scenario = write(tmp_path, 4000, seed=9)
    scenario.write_text(scenario.read_text().replace('valid = "valid"\n',
                                                     'valid = "valid"\ncast = "stationary"\n'))
    path = tmp_path / "national.csv"
    _edit_row(path, 3900, "invalid a", "99999")
    ref = _replay(runner, scenario)
    assert ref[0] == 2
    assert "more invalid ballots than ballots cast" in ref[2]
    assert _replay(runner, scenario, "--partition", "8K") == ref
    scenario = write(tmp_path, 4000, seed=9)
    scenario.write_text(scenario.read_text().replace('name = "South"\n',
                                                     'name = "South"\narea = ["Region 3"]\n'))
    ref = _replay(runner, scenario)
    assert ref[0] == 2
    assert "is not inside race 'south'" in ref[2]
    assert _replay(runner, scenario, "--partition", "8K") == ref


def test_a_quoted_line_break_is_refused_in_one_line(runner, tmp_path):
    """A cell holding a line break cannot be cut safely: one line naming its row, exit 2."""
    scenario = write(tmp_path, 2000, seed=10)
    _edit_row(tmp_path / "national.csv", 1500, "note", '"two\nlines"')
    code, out, err = _replay(runner, scenario, "--partition", "8K")
    assert code == 2
    assert out == ""
    assert err.startswith("error: national.csv: row 1500: holds an odd number of quote")


@pytest.mark.parametrize(("args", "says"), [
    (["--format", "parquet", "-o", "x.parquet"], "--format parquet writes every precinct row"),
    (["--format", "nist-json"], "--format nist-json writes every precinct row"),
])
def test_what_needs_every_row_is_refused_with_partitions(runner, national, args, says):
    """Formats that write every row need the rows: refused in one line, exit 2."""
    code, _, err = _replay(runner, national, *args, "--partition", "1M")
    assert code == 2
    assert says in err


def test_scheduler_without_partition_is_refused(runner, national):
    """--scheduler partitions the file: without --partition it is one line, exit 2."""
    code, _, err = _replay(runner, national, "--scheduler", "local:1")
    assert code == 2
    assert "give --partition" in err


def test_partition_without_a_precinct_file_is_refused(runner):
    """A scenario without [precincts]: nothing to partition, one line, exit 2, nothing on
    stdout."""
    code, out, err = _replay(runner, SCENARIOS / "historical" / "semey-2025.toml",
                             "--partition", "1M")
    assert code == 2
    assert out == ""
    assert "--partition reads the precinct file a scenario's [precincts] table names" in err


def test_the_russian_file_in_partitions_is_the_in_memory_replay(runner, tmp_path):
    """The 97,699 protocols of 2018: the zip streamed whole, and the CSV extracted to a
    temporary folder and cut in partitions of 2 MB: the in-memory bytes."""
    data = SHARED / "data" / "ru-2018" / "2018.csv.zip"
    if not data.is_file():
        pytest.skip(f"the Russian 2018 file is not in the shared folder ({data})")
    ref = _replay(runner, RU_2018, "--format", "json", "--area-level", "2")
    assert ref[0] == 0, ref[2]
    assert _replay(runner, RU_2018, "--format", "json", "--area-level", "2",
                   "--partition", "64M") == ref
    with zipfile.ZipFile(data) as z:
        z.extractall(tmp_path)
    local = tmp_path / "ru.toml"
    local.write_text(RU_2018.read_text().replace("../../../shared/data/ru-2018/2018.csv.zip",
                                                 "2018.csv"))
    mem = _replay(runner, local, "--format", "json", "--area-level", "2")
    got = _replay(runner, local, "--format", "json", "--area-level", "2", "--partition", "2M")
    assert mem[0] == 0, mem[2]
    assert got == mem


def test_counts_past_int64_are_refused_in_one_line(runner, tmp_path):
    """Three stations of 2**62 - 1 voters add up past int64: refused before any sum is formed,
    as the in-memory read refuses them (exit 2, one line)."""
    scenario = write(tmp_path, 3000, seed=13)
    for row in (100, 1500, 2900):
        _edit_row(tmp_path / "national.csv", row, "voters", str(2**62 - 1))
    ref = _replay(runner, scenario)
    got = _replay(runner, scenario, "--partition", "8K")
    assert ref[0] == got[0] == 2
    assert "more than int64 holds" in ref[2]
    assert got[2].startswith("error: national.toml: the counts of the file add up to more than "
                             "int64 holds")
    assert got[2].count("\n") == 1


@pytest.mark.parametrize("declared", [False, True])
def test_a_race_whose_rows_share_one_area_is_placed_alike(runner, tmp_path, declared):
    """The south's stations all in one district: its area is what they share (or the region
    it declares, its rows then a level below it), as in memory, area results and all."""
    scenario = write(tmp_path, 3000, seed=14, south_at_home=True)
    if declared:
        scenario.write_text(scenario.read_text().replace(
            'name = "South"\n', 'name = "South"\narea = ["Region 3"]\n'))
    args = ["--format", "json", "--area-level", "2"]
    ref = _replay(runner, scenario, *args)
    assert ref[0] == 0, ref[2]
    south = next(r for r in json.loads(ref[1])["races"] if r["id"] == "south")
    assert south["area"] == (["Region 3"] if declared else ["Region 3", "Region 3 / D0"])
    assert _replay(runner, scenario, *args, "--partition", "8K") == ref
    table = _replay(runner, scenario, "--area-level", "1")
    assert _replay(runner, scenario, "--area-level", "1", "--partition", "8K") == table


def test_a_terminal_sees_the_bytes_read_and_the_same_output(runner, national, monkeypatch):
    """On a terminal a bar advances as partitions finish, up to the file's size, on stderr
    only; stdout is the in-memory replay's."""
    import cli.replay_partitioned

    ref = _replay(runner, national, "--format", "json")
    monkeypatch.setattr(cli.replay_partitioned, "_on_terminal", lambda: True)
    monkeypatch.setattr(cli.replay_partitioned, "PROGRESS_AFTER", 0.0)
    code, out, err = _replay(runner, national, "--format", "json", "--partition", "64K",
                             "--jobs", "1")
    assert code == 0
    assert out == ref[1]
    bar, rest = err.split("\n", 1)
    shown = bar.split("\r")[1:]
    assert len(shown) > 5
    assert all(s.startswith("reading [") and s.endswith(" MiB") for s in shown)
    assert shown[-1].startswith("reading [" + "#" * 30 + "]")
    assert rest == ref[2]


@settings(max_examples=12)
@given(n=st.integers(1, 120), seed=st.integers(0, 10**6), size=st.integers(1, 6000),
       crlf=st.booleans(), last=st.booleans())
def test_any_file_in_any_partitions_is_the_in_memory_replay(tmp_path_factory, n, seed, size,
                                                            crlf, last):
    """Generated files of 1-120 stations cut anywhere from one line a partition to one
    partition: the in-memory JSON bytes and warnings."""
    scenario = write(tmp_path_factory.mktemp("any"), n, seed=seed, crlf=crlf,
                     last_newline=last)
    runner = CliRunner()
    ref = _replay(runner, scenario, "--format", "json")
    assert _replay(runner, scenario, "--format", "json", "--partition", str(size)) == ref


def test_the_benchmark_runs_end_to_end_on_a_small_file(tmp_path, capsys):
    """`python -m benchmarks.partition_bench` on 300 stations: every run's output the same
    bytes, each with its time and peak (figures not asserted)."""
    from benchmarks import partition_bench

    partition_bench.main(["--stations", "300", "--repeat", "1", "--partition", "4K",
                          "--folder", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "wrote 300 stations in " + out[0].split(" in ")[1]
    assert [line.split("  ")[0] for line in out[2:5]] == [
        "in memory", "--partition 4K --jobs 1", "--partition 4K --jobs 2"]
    assert all(" s, peak " in line for line in out[2:5])
    assert out[-1] == "outputs byte-identical"


def test_the_scenarios_checks_keep_their_order_with_a_file_in_partitions(runner, tmp_path):
    """A race of its own counts listed first with more ballots than voters, and an impossible
    station in the file: the first race's error, as for the file read whole; without it, the
    station's, named by its id."""
    scenario = write(tmp_path, 3000, seed=15)
    text = scenario.read_text().replace('valid = "valid"\n', 'valid = "valid"\ncast = '
                                        '"stationary"\n')
    own = text[text.index('[[race]]\nid = "own"'):text.index("[precincts]")]
    first = text.index("[[race]]")
    text = text.replace(own, "")
    scenario.write_text(text[:first] + own.replace("cast = 600", "cast = 2000") + text[first:])
    _edit_row(tmp_path / "national.csv", 2900, "invalid a", "99999")
    ref = _replay(runner, scenario)
    assert ref[0] == 2
    assert "race[own].cast: more ballots cast (2000) than registered voters" in ref[2]
    assert _replay(runner, scenario, "--partition", "8K") == ref
    scenario.write_text(scenario.read_text().replace("cast = 2000", "cast = 600"))
    ref = _replay(runner, scenario)
    assert "more invalid ballots than ballots cast" in ref[2]
    assert _replay(runner, scenario, "--partition", "8K") == ref


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_partitioned_replay_imports_no_pandas(tmp_path, suffix):
    """Reading a file in partitions (ids with non-ASCII words too) never imports pandas, which
    pyarrow's to_numpy and pa.array of Python objects would: half a second on every worker."""
    scenario = write(tmp_path, 300, seed=4)
    csv = tmp_path / "national.csv"
    csv.write_text(csv.read_text().replace("Region 1", "Өңір 1"))
    if suffix == ".parquet":
        import pyarrow.csv as pcsv

        pq.write_table(pcsv.read_csv(csv), tmp_path / "national.parquet", row_group_size=50)
        scenario.write_text(scenario.read_text().replace("national.csv", "national.parquet"))
    code = ("import sys\nfrom cli.main import main\n"
            f"sys.argv = ['saylau', 'replay', {str(scenario)!r}, '--partition', '4K', "
            f"'-o', {str(tmp_path / 'out.json')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code")
    loaded = imported_by(code, tmp_path)
    assert "pyarrow" in loaded
    assert "pandas" not in loaded
