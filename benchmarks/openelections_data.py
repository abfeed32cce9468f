"""A seeded national OpenElections file: 50 states of counties and precincts, many offices, some
counties reporting each precinct in two vote blocks (rows repeated per vote method), vote-method
columns, written with pyarrow in a few seconds however large.

Every state has ``counties`` counties of ``precincts`` precincts; each precinct votes for
President (five candidates, write-ins, over and under votes), Governor, Attorney General,
Secretary of State, a U.S. Senate seat in two states of three, and its districts of the U.S.
House, the State Senate and the State House; each precinct also has its registered voters and
ballots cast as precinct-wide lines. A county of every ``split_every`` reports every row twice,
an early block and an election-day block (``repeats = "sum"`` adds them up). The columns
``election_day``, ``early_voting`` and ``absentee`` split every row's votes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["OFFICES", "make_national", "scenario_text"]

# office, districts per state (0: statewide), candidates (name, party), precinct-wide lines
# are added apart. A candidate's name carries the state and district: races never share one.
OFFICES: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...] = (
    ("President", 0, (("Alex TRUMAN", "REP"), ("Blair HARDING", "DEM"), ("Casey OLIVER", "LIB"),
                      ("Dana STEIN", "GRN"), ("Eli KENNEDY", "IND"), ("Write-ins", ""),
                      ("Over Votes", ""), ("Under Votes", ""))),
    ("U.S. Senate", 0, (("Ruth MORALES", "REP"), ("Owen PARK", "DEM"), ("Iris VANCE", "LIB"))),
    ("U.S. House", 9, (("Carl BRENNAN", "REP"), ("Nadia OKAFOR", "DEM"), ("Leo FISCHER", "IND"))),
    ("Governor", 0, (("Helen STROUD", "REP"), ("Victor AMES", "DEM"), ("Paula GRANT", "LIB"))),
    ("Attorney General", 0, (("Mark DELANEY", "REP"), ("Sofia RAMIREZ", "DEM"))),
    ("Secretary of State", 0, (("Tom HOLLIS", "REP"), ("Grace KWON", "DEM"))),
    ("Lieutenant Governor", 0, (("Dan PRUITT", "REP"), ("Amy LOCKE", "DEM"))),
    ("State Treasurer", 0, (("Jim ORTEGA", "REP"), ("Lena BOYD", "DEM"))),
    ("State Auditor", 0, (("Ray NASH", "REP"), ("Eva STEIN", "DEM"))),
    ("Supreme Court", 0, (("Ann WHITLOCK", ""), ("Ben ROSSI", ""))),
    ("Amendment 1", 0, (("Yes", ""), ("No", ""))),
    ("Amendment 2", 0, (("Yes", ""), ("No", ""))),
    ("State Senate", 40, (("Kyle MERCER", "REP"), ("Rosa DIAZ", "DEM"))),
    ("State House", 100, (("Neil FOSTER", "REP"), ("Uma PATEL", "DEM"), ("Gus NILSSON", ""))),
)
METHODS = ("election_day", "early_voting", "absentee")
HEADER = ("state", "county", "precinct", "office", "district", "party", "candidate", "votes",
          *METHODS)
# Candidates' names: a race's lines take names of this pool, by its state, office and district
_FIRST = ("Ada", "Ben", "Cora", "Dev", "Elin", "Finn", "Gwen", "Hugo", "Ines", "Jon", "Kira",
          "Luis", "Maya", "Nils", "Olga", "Pere", "Quinn", "Rita", "Sami", "Tess")
_LAST = ("ABBOTT", "BARROS", "CHEN", "DUBOIS", "EKWUEME", "FARRELL", "GALLO", "HAYES", "IBSEN",
         "JANSEN", "KOVAC", "LOWRY", "MUNOZ", "NAKATA", "OWUSU", "PRICE", "QUIROGA", "ROSSI",
         "SAARI", "TANAKA")


def scenario_text(csv_name: str) -> str:
    """The scenario replaying every race of the file in one table."""
    return (f'[election]\nname = "synthetic national OpenElections file"\n'
            f'rules = "kz-2023-district"\nnation = "Synthetic"\n[[openelections]]\n'
            f'race = "us"\nfiles = ["{csv_name}"]\noffice = "*"\nrepeats = "sum"\n')


def make_national(path: Path, *, states: int = 50, counties: int = 60, precincts: int = 50,
                  whole_every: int = 4, seed: int = 2024) -> int:
    """Write the file to ``path`` (``.gz`` compresses it); return its rows (less the header).
    Seeded: the same arguments write the same bytes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    per_state = counties * precincts
    n_prec = states * per_state
    state = np.repeat(np.arange(states), per_state)
    county = np.repeat(np.arange(states * counties), precincts)
    within = np.arange(n_prec) % per_state          # the precinct's place in its state
    registered = rng.integers(300, 3000, n_prec)
    cast = (registered * rng.uniform(0.4, 0.8, n_prec)).astype(np.int64)

    # The rows of one precinct: (office, district, candidate, party) per line, built per office.
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (precinct, office row, dist)
    lines: list[tuple[str, str, str]] = []  # (office, candidate, party) of each office row
    for office, districts, cands in OFFICES:
        has = np.ones(n_prec, bool) if office != "U.S. Senate" else (state % 3 != 0)
        district = (within * districts // per_state + 1) if districts else np.zeros(n_prec, int)
        first = len(lines)
        lines += [(office, name, party) for name, party in cands]
        idx = np.flatnonzero(has)
        for j in range(len(cands)):
            blocks.append((idx, np.full(idx.size, first + j), district[idx]))
    for count_line in ("Registered Voters", "Ballots Cast"):
        lines.append((count_line, "", ""))
        blocks.append((np.arange(n_prec), np.full(n_prec, len(lines) - 1), np.zeros(n_prec, int)))
    prec = np.concatenate([b[0] for b in blocks])
    line = np.concatenate([b[1] for b in blocks])
    dist = np.concatenate([b[2] for b in blocks])
    order = np.lexsort((line, prec))                 # by precinct, then office and candidate
    prec, line, dist = prec[order], line[order], dist[order]

    # Votes: each office's ballots split by Gamma weights among its lines (Dirichlet shares).
    n_lines = len(lines)
    offices = [o for o, _, _ in OFFICES]
    office_of = np.array([offices.index(x) if x in offices else len(offices)
                          for x, _, _ in lines])
    group = prec * (len(offices) + 1) + office_of[line]
    weights = rng.gamma(4.0, 1.0, prec.size)
    share = weights / np.bincount(group, weights=weights)[group]
    votes = np.floor(share * cast[prec] * 0.97).astype(np.int64)
    reg_line, cast_line = n_lines - 2, n_lines - 1
    votes[line == reg_line] = registered[prec[line == reg_line]]
    votes[line == cast_line] = cast[prec[line == cast_line]]

    # Counties report each row twice (an early block, then the day's) but one of every
    # ``whole_every``, which reports it once.
    split = (county[prec] % whole_every) != 0
    early = np.where(split, rng.binomial(votes, 0.4), 0)
    rows = np.concatenate([np.arange(prec.size), np.flatnonzero(split)])
    part_votes = np.concatenate([votes - early, early[split]])
    rows_order = np.argsort(rows, kind="stable")
    rows, part_votes = rows[rows_order], part_votes[rows_order]
    day = rng.binomial(part_votes, 0.6)
    early_part = rng.binomial(part_votes - day, 0.7)
    absentee = part_votes - day - early_part
    no_method = np.isin(line[rows], [reg_line, cast_line])

    names = np.array([f"State {s:02d}" for s in range(states)], dtype=object)
    county_names = np.array([f"County {c % counties + 1}" for c in range(states * counties)],
                            dtype=object)
    office_names = np.array([o for o, _, _ in lines], dtype=object)
    cand_names = np.array([c for _, c, _ in lines], dtype=object)
    party_names = np.array([p for _, _, p in lines], dtype=object)
    p = prec[rows]

    def coded(values: np.ndarray, words: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int32)),
                                              pa.array(list(words), pa.string()))

    def number(values: np.ndarray, blank: np.ndarray) -> pa.Array:
        return pa.array(values.astype(np.int64), mask=blank).cast(pa.string())

    precinct_words = np.array([f"P{i % precincts + 1:03d}" for i in range(precincts)], object)
    district_words = np.array([""] + [str(d) for d in range(1, 101)], object)
    # A candidate's name comes from the pool by race (state, office, district) and line; lines
    # that are no one's (write-ins, over votes, yes and no) keep theirs.
    plain = np.isin(cand_names, ["Write-ins", "Over Votes", "Under Votes", "Yes", "No", ""])
    who = (line[rows] * states + np.where(plain[line[rows]], 0, state[p])) * 101 + np.where(
        plain[line[rows]], 0, dist[rows])
    distinct, cand_codes = np.unique(who, return_inverse=True)
    first_line: dict[int, int] = {}
    for ln in range(n_lines):
        first_line.setdefault(int(office_of[ln]), ln)
    pool = len(_FIRST) * len(_LAST)

    def person(w: int) -> str:
        ln, rest = divmod(w, 101 * states)
        st, dst = divmod(rest, 101)
        seat = (int(office_of[ln]) * 9973 + st * 131 + dst * 17) % pool
        pick = (seat + 37 * (ln - first_line[int(office_of[ln])])) % pool
        return f"{_FIRST[pick % len(_FIRST)]} {_LAST[pick // len(_FIRST)]}"

    cand_words = [str(cand_names[w // 101 // states]) if plain[w // 101 // states] else
                  person(w) for w in distinct.tolist()]
    table = pa.table({
        "state": coded(state[p], names),
        "county": coded(county[p], county_names),
        "precinct": coded(p % precincts, precinct_words),
        "office": coded(line[rows], office_names),
        "district": coded(dist[rows], district_words),
        "party": coded(line[rows], party_names),
        "candidate": coded(cand_codes.reshape(-1), np.array(cand_words, object)),
        "votes": number(part_votes, np.zeros(rows.size, bool)),
        "election_day": number(day, no_method),
        "early_voting": number(early_part, no_method),
        "absentee": number(absentee, no_method),
    })
    table = table.cast(pa.schema([(name, pa.string()) for name in HEADER]))
    options = pacsv.WriteOptions(include_header=True, quoting_style="none")
    if path.suffix == ".gz":
        with pa.CompressedOutputStream(str(path), "gzip") as out:
            pacsv.write_csv(table, out, options)
    else:
        pacsv.write_csv(table, str(path), options)
    return table.num_rows
