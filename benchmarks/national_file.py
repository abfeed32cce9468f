"""A generated national precinct file and its scenario, for the partitioned replay's benchmark
and tests (``tests/replay/test_partitioned*.py``): races named by a column, stations named by
region + number, areas region > district, the Russian protocol's lines (one summed from two
columns), blank cells, stations that break the control relations, published figures that hold
and some that do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CANDIDATES = ("Candidate A", "Candidate B", "Candidate C")

SCENARIO = """[election]
name = "A generated national election"
date = 2024-03-17
rules = "kz-2023-district"
nation = "Testland"

[rules]
against_all = false

[protocol]
preset = "ru-uik-2018"

[[race]]
id = "north"
name = "North"
[[race.candidate]]
name = "A"
published = {{ votes = {north_a} }}
[[race.candidate]]
name = "B"
published = {{ votes = 1 }}
[[race.candidate]]
name = "C"
[race.published]
registered = {north_registered}
turnout = "50.0"

[[race]]
id = "south"
name = "South"
[[race.candidate]]
name = "A"
[[race.candidate]]
name = "B"

[[race]]
id = "own"
name = "A race of its own counts"
registered = 1000
cast = 600
invalid = 10
[[race.candidate]]
name = "X"
votes = 400
[[race.candidate]]
name = "Y"
votes = 190

[precincts]
file = "{file}"
{delimiter}
[precincts.columns]
race = "race"
precinct = ["region", "number"]
area = ["region", "district"]
registered = "voters"
received = "received"
issued_early = "early"
issued_on_day = "on day"
issued_outside = "outside"
cancelled = "cancelled"
box_portable = "portable"
box_stationary = "stationary"
invalid = ["invalid a", "invalid b"]
valid = "valid"
lost = "lost"
unaccounted = "unaccounted"
candidates = ["Candidate A", "Candidate B", "Candidate C"]
"""

HEADER = ("race", "region", "district", "number", "voters", "received", "early", "on day",
          "outside", "cancelled", "portable", "stationary", "invalid a", "invalid b", "valid",
          "lost", "unaccounted", *CANDIDATES, "note")


def columns(n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` stations' columns (int64; -1 a blank cell), and their race (0 north, 1 south)."""
    rng = np.random.default_rng(seed)
    race = (rng.random(n) < 0.3).astype(np.int64)
    voters = rng.integers(200, 3000, n)
    turnout = rng.uniform(0.3, 0.9, n)
    cast = (voters * turnout).astype(np.int64)
    invalid = rng.integers(0, 30, n).clip(max=cast)
    valid = cast - invalid
    a = (valid * rng.uniform(0.2, 0.7, n)).astype(np.int64)
    b = valid - a
    c = np.where(race == 0, (b * rng.uniform(0, 0.5, n)).astype(np.int64), 0)
    b -= c
    early = rng.integers(0, 20, n).clip(max=cast)
    outside = rng.integers(0, 50, n).clip(max=cast - early)
    on_day = cast - early - outside
    portable = outside.copy()
    stationary = cast - portable
    cancelled = rng.integers(0, 200, n)
    received = cast + cancelled
    # stations that break a relation, by 1 to 3 ballots (ties among the worst)
    broken = rng.random(n) < 0.02
    received = np.where(broken, received + rng.integers(1, 4, n), received)
    inv_a = invalid // 2
    inv_b = invalid - inv_a
    out = {"race": race, "voters": voters, "received": received, "early": early,
           "on day": on_day, "outside": outside, "cancelled": cancelled,
           "portable": portable, "stationary": stationary, "invalid a": inv_a,
           "invalid b": inv_b, "valid": valid, "lost": np.zeros(n, np.int64),
           "unaccounted": (rng.random(n) < 0.01).astype(np.int64), "Candidate A": a,
           "Candidate B": b,
           "Candidate C": c}
    for name in ("valid", "invalid b", "early", "voters"):  # blank cells in the south: unknown
        out[name] = np.where((race == 1) & (rng.random(n) < 0.003), -1, out[name])
    return out


CHUNK = 500_000  # stations generated and written at a time (bounded memory for 10^7)


def write(folder: Path, n: int, *, seed: int = 1, crlf: bool = False, bom: bool = False,
          last_newline: bool = True, delimiter: str = ",", name: str = "national.csv",
          ids: bool = True, south_at_home: bool = False) -> Path:
    """The file of ``n`` stations and its scenario (returned) in ``folder``; ``ids=False``:
    the scenario maps no precinct column (the file's row numbers name the stations);
    ``south_at_home``: every station of the south lies in Region 3's district D0."""
    end = "\r\n" if crlf else "\n"
    head = delimiter.join(f'"{h}"' if " " in h else h for h in HEADER)
    path = folder / name
    north_a = north_registered = 0
    with path.open("wb") as f:
        f.write((("\ufeff" if bom else "") + head).encode())
        for start in range(0, n, CHUNK):
            m = min(CHUNK, n - start)
            cols = columns(m, seed + 7919 * (start // CHUNK))
            north = cols["race"] == 0
            north_a += int(np.maximum(cols["Candidate A"][north], 0).sum())
            north_registered += int(np.maximum(cols["voters"][north], 0).sum())
            body = end.join(delimiter.join(row) for row in zip(
                *_text(cols, seed + start, start, m, south_at_home), strict=True))
            f.write((end + body).encode())
        if last_newline:
            f.write(end.encode())
    scenario = SCENARIO.format(
        file=name, delimiter=f'delimiter = "{delimiter}"' if delimiter != "," else "",
        north_a=north_a, north_registered=north_registered + 5)
    out = folder / (Path(name).stem + ".toml")
    if not ids:
        scenario = scenario.replace('precinct = ["region", "number"]\n', "")
    out.write_text(scenario)
    return out


def _text(cols: dict[str, np.ndarray], seed: int, start: int, n: int, south_at_home: bool
          ) -> list[list[str]]:
    """The cells of ``n`` stations from ``start``, column by column, as the file writes them."""
    regions = np.array([f"Region {i}" for i in range(12)])
    rng = np.random.default_rng(seed + 1)
    region = rng.integers(0, 12, n)
    district = rng.integers(0, 5, n)
    if south_at_home:
        region = np.where(cols["race"] == 1, 3, region)
        district = np.where(cols["race"] == 1, 0, district)
    number = np.arange(start, start + n)  # unique across the file
    text = {"race": np.where(cols["race"] == 0, "north", "south"),
            "region": regions[region],
            "district": np.char.add(regions[region], np.char.add(" / D", district.astype(str))),
            "number": number.astype(str), "note": np.where(number % 7 == 0, '"a, quoted"', "x")}
    parts = []
    for h in HEADER:
        if h in text:
            parts.append(np.asarray(text[h], dtype=str).tolist())
        else:
            v = cols[h]
            parts.append(np.where(v < 0, "", v.astype(str)).tolist())
    return parts
