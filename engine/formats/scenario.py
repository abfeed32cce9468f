"""Scenario files: TOML -> frozen attrs records, with every problem named by file and place.

The format is DESIGN.md section 7; ``scenarios/README.md`` documents every key. Counts are
whole numbers; published percentages are strings, so "53.70" keeps its two decimals.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats import model_table as model_spec
from engine.formats.toml_reader import Reader, check_count, type_name
from engine.law import rules as _rules
from engine.tally.core import COUNT_COLUMNS

__all__ = [
    "Area",
    "Candidate",
    "Election",
    "Figure",
    "PartyFigures",
    "Precincts",
    "Race",
    "Scenario",
    "Withdrawn",
    "load",
]

SHARE_BASES = ("valid", "cast")
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


@attrs.frozen
class Figure:
    """One figure as a source published it: a count (int) or a percentage (str)."""

    key: str
    value: int | str
    place: str
    source: str | None = None


@attrs.frozen
class Candidate:
    """A line on the ballot. ``votes`` is None where the source gave no count."""

    name: str
    party: str
    votes: int | None = None
    person: str | None = None
    birth_date: dt.date | None = None
    published: tuple[Figure, ...] = ()
    # consecutive terms this person already held in this post when this election was held
    terms_held: int | None = None
    # indirect rules: the deputies' votes in the re-vote among tied leaders
    revote: int | None = None


@attrs.frozen
class Withdrawn:
    """A registered candidate who left before the vote: recorded, not on the ballot."""

    name: str
    party: str
    date: dt.date | None = None
    note: str | None = None


@attrs.frozen(eq=False)
class Precincts:
    """Precinct rows of one race; -1 marks a count the source did not give.

    ids : (P,) str; registered, cast, invalid, against_all : (P,) int64; votes : (P, K) int64
    """

    ids: np.ndarray
    registered: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    against_all: np.ndarray
    votes: np.ndarray


@attrs.frozen
class Race:
    """One post being filled. Counts are the race's own data, or, when precincts are given,
    published totals checked against the precincts' sums."""

    id: str
    name: str
    area: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    place: str
    registered: int | None = None
    cast: int | None = None
    invalid: int | None = None
    valid: int | None = None
    against_all: int | None = None
    against_all_published: tuple[Figure, ...] = ()
    published: tuple[Figure, ...] = ()
    withdrawn: tuple[Withdrawn, ...] = ()
    share_basis: str = "valid"
    date: dt.date | None = None
    precincts: Precincts | None = None


@attrs.frozen
class PartyFigures:
    """What a source published for one party in one area."""

    party: str
    place: str
    figures: tuple[Figure, ...] = ()


@attrs.frozen
class Area:
    """Published figures for an area (region, nation) above the races."""

    path: tuple[str, ...]
    place: str
    figures: tuple[Figure, ...] = ()
    parties: tuple[PartyFigures, ...] = ()
    share_basis: str = "valid"
    date: dt.date | None = None  # the day its figures describe; None: the election's date


@attrs.frozen
class Election:
    name: str
    date: dt.date | None
    rules: _rules.RuleSet
    nation: str = "Kazakhstan"
    share_basis: str = "valid"
    source: str | None = None


@attrs.frozen
class Scenario:
    """A whole scenario file: the election, its races and published area figures."""

    file: str
    election: Election
    races: tuple[Race, ...]
    areas: tuple[Area, ...] = ()
    model: model_spec.ModelSpec | None = None  # the [model] table of a simulation
    calibration: model_spec.Calibration | None = None  # the [calibrate] table
    path: Path | None = None
    # what loading mended in the files it read (OpenElections rows), one line each
    warnings: tuple[str, ...] = ()

    @property
    def max_candidates(self) -> int:
        return max((len(r.candidates) for r in self.races), default=0)


# --------------------------------------------------------------------------------------------
def load(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise :class:`ScenarioError` on the first problem."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a directory, not a scenario file") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
    return loads(text, name=name, base=path.parent)


def loads(text: str, *, name: str = "<scenario>", base: Path | None = None) -> Scenario:
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
    top = Reader(name, data, "")
    election = _election(top)
    races = _races(top, election)
    areas = _areas(top, election)
    spec = model_spec.read(top)
    calibration = model_spec.read_calibration(top)
    precinct_spec = top.table("precincts")
    openelections = list(top.tables("openelections", label_key="race"))
    top.close()
    if precinct_spec is not None:
        from engine.formats.precinct_csv import read_csv

        races = read_csv(precinct_spec, races, base or Path.cwd())
    warnings: tuple[str, ...] = ()
    if openelections:
        from engine.formats.openelections.reader import read_tables

        races, warnings = read_tables(openelections, races, election, base or Path.cwd())
    if not races and not areas and not (spec and spec.generate):
        raise ScenarioError(name, "", "has no [[race]] and no [[area]]: nothing to replay")
    scenario = Scenario(file=name, election=election, races=races, areas=areas,
                        model=spec, calibration=calibration,
                        path=(base / name) if base else None, warnings=warnings)
    _check_counts(scenario)
    _check_model(scenario)
    return scenario


def _election(top: Reader) -> Election:
    e = top.table("election", required=True)
    name = e.str("name", required=True)
    date = e.date("date")
    preset_name = e.str("rules", required=True, choices=tuple(_rules.PRESETS))
    ruleset = _rules.PRESETS[preset_name]
    nation = e.str("nation", default="Kazakhstan")
    basis = e.str("share_basis", default="valid", choices=SHARE_BASES)
    source = e.str("source")
    e.close()
    overrides = top.table("rules")
    if overrides is not None:
        ruleset = _override_rules(overrides, ruleset)
    return Election(name=name, date=date, rules=ruleset, nation=nation, share_basis=basis,
                    source=source)


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
        aa_votes, aa_pub = None, ()
        aa = r.table("against_all")
        if aa is not None:
            aa_votes = aa.count("votes")
            aa_pub = _figures(aa, "published", _CANDIDATE_FIGURES)
            aa.close()
            if not election.rules.against_all:
                aa.fail(f"the {election.rules.name} rules have no 'against all' line")
        race = Race(
            id=rid,
            name=r.str("name", default=rid),
            area=r.str_list("area"),
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
            precincts=_inline_precincts(r, len(candidates)),
        )
        r.close()
        races.append(race)
    return tuple(races)


def _inline_precincts(r: Reader, k: int) -> Precincts | None:
    rows = list(r.tables("precinct"))
    if not rows:
        return None
    cols: dict[str, list[int]] = {n: [] for n in COUNT_COLUMNS}
    votes, ids = [], []
    for i, p in rows:
        ids.append(p.str("id", default=str(i)))
        for n in cols:
            v = p.count(n)
            cols[n].append(-1 if v is None else v)
        v = p.raw("votes")
        if not isinstance(v, list) or len(v) != k:
            p.fail(f"must be an array of {k} counts, one per candidate in ballot order", "votes")
        votes.append([check_count(x, lambda m, j=j, p=p: p.fail(m, f"votes[{j}]"))
                      for j, x in enumerate(v, start=1)])
        p.close()
    clash = repeated_precinct(ids)
    if clash is not None:
        first, later, how = clash
        r.fail(f"duplicate precinct id {ids[later]!r} (also precinct[{first + 1}]{how})",
               f"precinct[{later + 1}].id")
    return Precincts(ids=np.array(ids), votes=np.array(votes, dtype=np.int64).reshape(-1, k),
                     **{n: np.array(c, dtype=np.int64) for n, c in cols.items()})


def repeated_precinct(ids: Iterable[str]) -> tuple[int, int, str] | None:
    """The first precinct id of a race that repeats an earlier one, exactly or but for case and
    spacing (an OpenElections file, which folds names, would make the two one precinct): their
    positions from 0 and, for a near repeat, how the earlier one is spelled; else None."""
    seen: dict[str, tuple[int, str]] = {}
    for i, pid in enumerate(ids):
        first, spelled = seen.setdefault(" ".join(pid.split()).casefold(), (i, pid))
        if first != i:
            how = "" if spelled == pid else (f", as {spelled!r}: ids that differ only in case or "
                                             "spacing are one precinct")
            return first, i, how
    return None


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


def _check_counts(s: Scenario) -> None:
    """Counts that cannot be true together: more ballots than voters, more votes than ballots."""
    for race in s.races:
        def fail(problem: str, key: str, race: Race = race) -> None:
            raise ScenarioError(s.file, f"{race.place}.{key}", problem)

        p = race.precincts
        if p is not None:
            _check_precincts(s.file, race, p)
            continue
        if race.cast is not None and race.registered is not None and race.cast > race.registered:
            fail(f"more ballots cast ({race.cast}) than registered voters ({race.registered})",
                 "cast")
        if race.cast is not None and race.invalid is not None and race.invalid > race.cast:
            fail(f"more invalid ballots ({race.invalid}) than ballots cast ({race.cast})",
                 "invalid")
        if race.cast is not None:
            for j, c in enumerate(race.candidates, start=1):
                if c.votes is not None and c.votes > race.cast:
                    fail(f"{c.votes} votes exceed the {race.cast} ballots cast",
                         f"candidate[{j}].votes")
            known = [c.votes for c in race.candidates if c.votes is not None]
            known += [race.against_all] if race.against_all is not None else []
            if sum(known) > race.cast:
                fail(f"candidate and against-all votes ({sum(known)}) exceed the {race.cast} "
                     "ballots cast", "cast")


def _check_model(s: Scenario) -> None:
    """[model.race.<id>] names a race of the file, and its shares name that race's options."""
    if s.model is None:
        return
    races = {r.id: r for r in s.races}
    for rm in s.model.races:
        race = races.get(rm.race)
        if race is None:
            known = ", ".join(sorted(races)) or "none"
            raise ScenarioError(s.file, rm.place, f"no race with id {rm.race!r} (races: {known})")
        if rm.shares is None:
            continue
        names = {c.name for c in race.candidates}
        if s.election.rules.against_all:
            names.add(model_spec.AGAINST_ALL)
        for option, _ in rm.shares:
            if option not in names:
                raise ScenarioError(s.file, f"{rm.place}.shares.{option}",
                                    f"not an option of race {race.id!r}; options: "
                                    + ", ".join(sorted(names)))
        missing = [c.name for c in race.candidates if c.name not in dict(rm.shares)]
        if missing:
            raise ScenarioError(s.file, f"{rm.place}.shares",
                                f"gives no share for candidate {missing[0]!r}")


def _check_precincts(file: str, race: Race, p: Precincts) -> None:
    votes = p.votes.sum(axis=1) + np.maximum(p.against_all, 0)
    checks = [
        ((p.cast >= 0) & (p.registered >= 0) & (p.cast > p.registered),
         "more ballots cast than registered voters"),
        ((p.cast >= 0) & (p.invalid > p.cast), "more invalid ballots than ballots cast"),
        ((p.cast >= 0) & (votes > p.cast), "more votes than ballots cast"),
    ]
    for bad, problem in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ScenarioError(file, f"{race.place}.precinct[{p.ids[i]}]", problem)
