"""Scenario files: TOML -> frozen attrs records, with every problem named by file and place.

The format is DESIGN.md section 7; ``scenarios/README.md`` documents every key. Counts are
whole numbers; published percentages are strings, so "53.70" keeps its two decimals.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats import maslikhat_table, model_table
from engine.formats.bounds import check_nesting, check_raw_sizes, check_sizes
from engine.formats.consistency import check_counts, check_model, repeated_precinct
from engine.formats.counts import check_count, type_name
from engine.formats.files import read_file
from engine.formats.protocol_table import read_protocol
from engine.formats.toml_reader import Reader
from engine.law import rules as _rules
from engine.law.protocol import BASIC, Protocol
from engine.limits import MAX_NESTING
from engine.records import (
    COUNT_COLUMNS,
    SHARE_BASES,
    TURNOUT_BASES,
    Area,
    Candidate,
    Election,
    Figure,
    PartyFigures,
    Race,
    RacePrecincts,
    Scenario,
    Withdrawn,
    common_area,
)

__all__ = ["PrecinctReader", "load", "loads"]

# reads a scenario's [precincts] file in place of engine.formats.precinct_csv.read_csv:
# (its table, the races, the folder files are found in, the election) -> (races, warnings)
PrecinctReader = Callable[[Reader, tuple[Race, ...], Path, Election],
                          tuple[tuple[Race, ...], tuple[str, ...]]]

# What each kind of record may publish: key -> "count" or "percent".
_CANDIDATE_FIGURES = {"votes": "count", "share": "percent"}
_RACE_FIGURES = {"registered": "count", "cast": "count", "valid": "count", "invalid": "count",
                 "turnout": "percent", "invalid_share": "percent"}
_AREA_FIGURES = {
    "races": "count", "registered": "count", "cast": "count", "valid": "count",
    "invalid": "count", "against_all": "count", "turnout": "percent",
    "invalid_share": "percent", "against_all_share": "percent",
    # Published aggregates of a round (2013 indirect, 2023 pilots) with no race-level data.
    "elected": "count", "failed": "count", "ties": "count", "one_vote_margins": "count",
    "candidates": "count", "candidates_nominated": "count", "candidates_per_race": "percent",
    "women_elected": "count", "women_share": "percent", "average_age": "percent",
    "incumbents_reelected": "count", "deputies": "count", "maslikhats": "count",
    "precincts": "count",
    # true when the table lists only some parties (an infobox): its parties need not add up
    "partial": "flag",
}
_PARTY_FIGURES = {"seats": "count", "seat_share": "percent", "votes": "count",
                  "vote_share": "percent", "candidates": "count",
                  "candidates_nominated": "count"}


# --------------------------------------------------------------------------------------------
def load(path: str | Path, *, repeats: str | None = None,
         precincts: PrecinctReader | None = None) -> Scenario:
    """Read and check a scenario file; raise :class:`ScenarioError` on the first problem.

    An OpenElections CSV file (``.csv``, ``.csv.gz``) is read as the scenario replaying every
    race of it (:mod:`engine.formats.openelections.direct`), its repeated rows as ``repeats``
    says (refused by default); a scenario sets that in its ``[[openelections]]`` tables.
    ``precincts(spec, races, base, election)`` reads a ``[precincts]`` file instead of
    :func:`engine.formats.precinct_csv.read_csv` (in partitions: ``replay --partition``)."""
    path = Path(path)
    name = path.name
    if name.casefold().endswith((".csv", ".csv.gz")):
        # imported when a file asks for it: start-up time of plain TOML scenarios
        from engine.formats.openelections.direct import scenario_text

        if not path.is_file():
            raise ScenarioError(str(path), "", "no such file")
        return loads(scenario_text(path, repeats=repeats or "refuse"), name=name,
                     base=path.parent)
    if repeats is not None:
        raise ScenarioError(name, "", "--repeats is for an OpenElections file given directly; "
                            "a scenario says it in its [[openelections]] tables (repeats = "
                            f'"{repeats}")')
    try:  # a regular file within its limit only (engine.formats.files)
        text = read_file(path, name, "scenario_bytes").decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
    return loads(text, name=name, base=path.parent, precincts=precincts)


def loads(text: str, *, name: str = "<scenario>", base: Path | None = None,
          precincts: PrecinctReader | None = None) -> Scenario:
    """Parse scenario TOML text; ``base`` resolves files it references (precinct CSVs)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        where = ""
        if "(at line" in msg:
            msg, _, tail = msg.partition(" (at ")
            where = tail.rstrip(")")
        raise ScenarioError(name, where, f"not valid TOML: {msg}") from None
    except RecursionError:  # the parser recurses per level: deeper than any limit we allow
        raise ScenarioError(name, "", "tables and arrays nested more than "
                            f"{MAX_NESTING} deep (the limit of a scenario file)") from None
    except ValueError as err:  # Python's limit on the digits of an integer
        raise ScenarioError(name, "", f"not valid TOML: {str(err)[:120]}") from None
    check_nesting(data, name)
    check_raw_sizes(data, name)
    top = Reader(name, data, "")
    election = _election(top, "openelections" in data)
    races = _races(top, election)
    areas = _areas(top, election)
    maslikhats = maslikhat_table.read(top, election)
    spec = model_table.read(top)
    calibration = model_table.read_calibration(top)
    precinct_spec = top.table("precincts")
    warnings: tuple[str, ...] = ()
    openelections = list(top.tables("openelections", label_key="race"))
    top.close()
    if precinct_spec is not None:
        # imported when a file asks for it: start-up time of plain TOML scenarios
        from engine.formats.precinct_csv import read_csv

        races, warnings = (precincts(precinct_spec, races, base or Path.cwd(), election)
                           if precincts else read_csv(precinct_spec, races, base or Path.cwd(),
                                                      election.protocol or BASIC))
    if openelections:
        # imported when a file asks for it: start-up time of plain TOML scenarios
        from engine.formats.openelections.reader import read_tables

        races, mended = read_tables(openelections, races, election, base or Path.cwd())
        warnings += mended
    races = maslikhat_table.attach(name, election, races, maslikhats)
    if not races and not areas and not (spec and spec.generate):
        raise ScenarioError(name, "", "has no [[race]] and no [[area]]: nothing to replay")
    scenario = Scenario(file=name, election=election, races=races, areas=areas,
                        model=spec, calibration=calibration,
                        path=(base / name) if base else None, warnings=warnings,
                        maslikhats=maslikhats)
    check_sizes(scenario)
    check_counts(scenario)
    check_model(scenario)
    return scenario


# NIST SP 1500-100 reporting unit types the top area may take (the schema's enumeration, less
# the units no election is held over: ballot batches, drop boxes, polling places)
LEVELS = ("country", "state", "county", "city", "municipality", "borough", "town", "township",
          "village", "congressional", "state-house", "state-senate", "judicial", "school",
          "special", "utility", "water", "ward", "other")


def _election(top: Reader, openelections: bool) -> Election:
    """The [election] table; its ``level`` is "state" by default in a scenario of OpenElections
    files (a state's results), "country" otherwise."""
    e = top.table("election", required=True)
    name = e.str("name", required=True)
    date = e.date("date")
    preset_name = e.str("rules", required=True, choices=tuple(_rules.PRESETS))
    ruleset = _rules.PRESETS[preset_name]
    nation = e.str("nation", default="Kazakhstan")
    protocol = read_protocol(top)
    # the bases: the election's own, else its protocol's, else cast/registered and valid
    basis = e.str("share_basis", default=protocol.share_basis if protocol else "valid",
                  choices=SHARE_BASES)
    turnout = e.str("turnout_basis", default=protocol.turnout_basis if protocol else "cast",
                    choices=TURNOUT_BASES)
    source = e.str("source")
    level = e.str("level", default="state" if openelections else "country", choices=LEVELS)
    e.close()
    overrides = top.table("rules")
    if overrides is not None:
        ruleset = _override_rules(overrides, ruleset)
    return Election(name=name, date=date, rules=ruleset, nation=nation, share_basis=basis,
                    source=source, level=level, turnout_basis=turnout, protocol=protocol)


def _override_rules(t: Reader, ruleset: _rules.RuleSet) -> _rules.RuleSet:
    changes: dict[str, Any] = {}
    for field in attrs.fields(_rules.RuleSet):
        if field.name == "name" or not t.has(field.name):
            continue
        value = t.raw(field.name)
        if isinstance(value, bool) != (field.type in ("bool", bool)):
            t.fail(f"must be {'true or false' if field.type in ('bool', bool) else 'a value'}"
                   f", got {type_name(value)}", field.name)
        changes[field.name] = value
    t.close()
    try:
        return ruleset.replace(**changes)
    except (ValueError, TypeError) as err:
        key = next(iter(changes), None)
        for k, v in changes.items():  # name the field that failed
            try:
                ruleset.replace(**{k: v})
            except (ValueError, TypeError):
                key = k
                break
        t.fail(str(err), key)
        raise  # unreachable


def _figures(r: Reader, key: str, allowed: dict[str, str]) -> tuple[Figure, ...]:
    """``published = {...}`` or ``published = [{..., source = "..."}, ...]``."""
    value = r.raw(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        r.fail(f"must be a table or an array of tables, got {type_name(value)}", key)
    figures = []
    for i, item in enumerate(items, start=1):
        place = r.at(key) if len(items) == 1 and isinstance(value, dict) else f"{r.at(key)}[{i}]"
        t = Reader(r.file, item, place)
        source = t.str("source")
        for k in item:
            if k == "source":
                continue
            kind = allowed.get(k)
            if kind is None:
                continue  # left for close() to report with a hint
            if kind == "flag":  # kept as a figure "true" so that it stays with its table
                raw = t.raw(k)
                if not isinstance(raw, bool):
                    t.fail(f"must be true or false, got {raw!r}", k)
                if raw:
                    figures.append(Figure(key=k, value="true", place=t.at(k), source=source))
                continue
            v = t.count(k) if kind == "count" else t.percent(k)
            assert v is not None  # k is a key of the table, so it was found
            figures.append(Figure(key=k, value=v, place=t.at(k), source=source))
        t.allow(*allowed)
        t.close()
    return tuple(figures)


def _candidate(c: Reader) -> Candidate:
    cand = Candidate(
        name=c.str("name", required=True),
        party=c.str("party", default="Independent"),
        votes=c.count("votes"),
        person=c.str("person"),
        birth_date=c.date("birth_date"),
        published=_figures(c, "published", _CANDIDATE_FIGURES),
        terms_held=c.count("terms_held"),
        revote=c.count("revote"),
    )
    c.close()
    return cand


def _races(top: Reader, election: Election) -> tuple[Race, ...]:
    races: list[Race] = []
    seen: dict[str, str] = {}
    for i, r in top.tables("race"):
        rid = r.str("id") or str(i)
        if rid in seen:
            raise ScenarioError(r.file, f"race[{i}].id",
                                f"duplicate race id {rid!r}, already used by race {seen[rid]}")
        seen[rid] = str(i)
        candidates = []
        names: dict[str, int] = {}
        for j, c in r.tables("candidate", label_key=None):
            cand = _candidate(c)
            if cand.name in names:
                c.fail(f"duplicate candidate {cand.name!r} (also candidate[{names[cand.name]}])",
                       "name")
            names[cand.name] = j
            candidates.append(cand)
        if not candidates:
            r.fail("needs at least one [[race.candidate]]", "candidate")
        holders = [j for j, c in enumerate(candidates, start=1) if c.terms_held]
        if len(holders) > 1:
            r.fail(f"candidates {holders[0]} and {holders[1]} both hold the post "
                   "(terms_held > 0); one akim sits at a time", f"candidate[{holders[1]}]"
                   ".terms_held")
        withdrawn = []
        for _, w in r.tables("withdrawn", label_key=None):
            withdrawn.append(Withdrawn(name=w.str("name", required=True),
                                       party=w.str("party", default="Independent"),
                                       date=w.date("date"), note=w.str("note")))
            w.close()
        aa_votes: int | None = None
        aa_pub: tuple[Figure, ...] = ()
        aa = r.table("against_all")
        if aa is not None:
            aa_votes = aa.count("votes")
            aa_pub = _figures(aa, "published", _CANDIDATE_FIGURES)
            aa.close()
            if not election.rules.against_all:
                aa.fail(f"the {election.rules.name} rules have no 'against all' line")
        precincts, area = _inline_precincts(r, len(candidates), election.protocol or BASIC,
                                            r.str_list("area"))
        race = Race(
            id=rid,
            name=r.str("name", default=rid),
            area=area,
            candidates=tuple(candidates),
            place=r.place,
            registered=r.count("registered"),
            cast=r.count("cast"),
            invalid=r.count("invalid"),
            valid=r.count("valid"),
            against_all=aa_votes,
            against_all_published=aa_pub,
            published=_figures(r, "published", _RACE_FIGURES),
            withdrawn=tuple(withdrawn),
            share_basis=r.str("share_basis", default=election.share_basis, choices=SHARE_BASES),
            date=r.date("date"),
            precincts=precincts,
            maslikhat=r.str("maslikhat"),
        )
        r.close()
        races.append(race)
    return tuple(races)


def _fail_at(r: Reader, key: str) -> Callable[[str], NoReturn]:
    """``r.fail(problem, key)`` as a function of the problem alone."""
    return lambda problem: r.fail(problem, key)


def _inline_precincts(r: Reader, k: int, protocol: Protocol, race_area: tuple[str, ...]
                      ) -> tuple[RacePrecincts | None, tuple[str, ...]]:
    """``[[race.precinct]]`` rows: counts, the protocol's lines, votes, and each row's area
    path (``area = [...]``, from the nation down); returns the rows and the race's area."""
    rows = list(r.tables("precinct"))
    if not rows:
        return None, race_area
    names = [n for n in protocol.all_lines if n not in COUNT_COLUMNS]
    cols: dict[str, list[int]] = {n: [] for n in (*COUNT_COLUMNS, *names)}
    votes, ids, paths = [], [], []
    for i, p in rows:
        ids.append(p.str("id", default=str(i)))
        for n in cols:
            v = p.count(n)
            cols[n].append(-1 if v is None else v)
        v = p.raw("votes")
        if not isinstance(v, list) or len(v) != k:
            p.fail(f"must be an array of {k} counts, one per candidate in ballot order", "votes")
        votes.append([check_count(x, _fail_at(p, f"votes[{j}]"))
                      for j, x in enumerate(v, start=1)])
        paths.append(p.str_list("area"))
        if race_area and paths[-1] and paths[-1][:len(race_area)] != race_area:
            p.fail(f"{list(paths[-1])} is not inside the race's area {list(race_area)}", "area")
        p.close()
    clash = repeated_precinct(ids)
    if clash is not None:
        first, later, how = clash
        r.fail(f"duplicate precinct id {ids[later]!r} (also precinct[{first + 1}]{how})",
               f"precinct[{later + 1}].id")
    given = [n for n in names if any(x >= 0 for x in cols[n])]
    area = race_area
    local: np.ndarray | None = None
    local_paths: tuple[tuple[str, ...], ...] = ()
    named = [pth for pth in paths if pth]
    if named:
        if len(named) != len(paths):
            j = next(i for i, pth in enumerate(paths, start=1) if not pth)
            r.fail("names no area while other rows of the race do", f"precinct[{j}].area")
        distinct = list(dict.fromkeys(paths))
        area = race_area or common_area(distinct)
        if any(pth != area for pth in distinct):
            index = {pth: i for i, pth in enumerate(distinct)}
            local = np.array([index[pth] for pth in paths], np.int64)
            local_paths = tuple(distinct)
    precincts = RacePrecincts(
        ids=np.array(ids), votes=np.array(votes, dtype=np.int64).reshape(-1, k),
        **{n: np.array(cols[n], dtype=np.int64) for n in COUNT_COLUMNS},
        lines={n: np.array(cols[n], dtype=np.int64) for n in given},
        area=local, area_paths=local_paths)
    return precincts, area


def _areas(top: Reader, election: Election) -> tuple[Area, ...]:
    areas = []
    seen: dict[tuple[str, ...], str] = {}
    for _, a in top.tables("area", label_key=None):
        path = a.str_list("path")
        if not a.has("path"):
            a.fail("is required but missing (use path = [] for the nation)", "path")
        if path in seen:
            a.fail(f"duplicate area {list(path)} (also {seen[path]})", "path")
        seen[path] = a.place
        a.place = f"area[{'/'.join(path) or election.nation}]"
        parties = []
        for _, p in a.tables("party", label_key="name"):
            pname = p.str("name", required=True)
            parties.append(PartyFigures(party=pname, place=p.place,
                                        figures=_figures(p, "published", _PARTY_FIGURES)))
            p.close()
        area = Area(path=path, place=a.place, figures=_figures(a, "published", _AREA_FIGURES),
                    parties=tuple(parties),
                    share_basis=a.str("share_basis", default=election.share_basis,
                                      choices=SHARE_BASES),
                    date=a.date("date"))
        a.close()
        areas.append(area)
    return tuple(areas)


