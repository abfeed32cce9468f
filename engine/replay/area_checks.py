"""Figures published for areas (a region, the nation) and parties, reconciled at every level.

Sources publish aggregates with or without the races beneath them, often from several tables at
once (a results table, an infobox, a table of candidates), each a *set* of figures: one
``published`` table of an ``[[area]]`` or ``[[area.party]]``. Every figure is checked against:

1. its own set's arithmetic: turnout = cast / registered, a party's seat share = seats / races,
   vote share = votes / the share basis, races = the parties' seats summed, cast = the parties'
   votes + against all + invalid, candidates = the parties' candidates summed, ...;
2. the races beneath the area in the scenario (those held on the area's date: by-elections on
   other days are not part of a round's regional table), as exact sums or, where a race count
   is unpublished, as the interval of sums the races allow;
3. the sum of its child areas' figures from the same source (or their first set), e.g. the
   nation's registered voters against the 14 regions' registered voters.

A party's set pairs with the area's set of the same ``source``, else with the area's first set
(a party table of a source the area has no table from is a set of its own). A count published in
several sets of one area or party is also checked against its first publication.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs
import numpy as np

from engine.records import Area, Figure, Scenario
from engine.replay.reconcile import COUNT_NAMES, Check, Inferred, count_check, ratio_check
from engine.tally.races import RaceResults

__all__ = ["area_checks"]

# Counts that add up from races and from child areas.
ADDITIVE = ("races", "registered", "cast", "valid", "invalid", "against_all", "elected",
            "failed", "ties", "one_vote_margins", "candidates", "candidates_nominated",
            "women_elected", "incumbents_reelected", "deputies", "maslikhats", "precincts")
PARTY_ADDITIVE = ("seats", "votes", "candidates", "candidates_nominated")


def _count_of(fig: Figure) -> int:
    """A count figure's value (only percentages are kept as strings)."""
    value = fig.value
    assert isinstance(value, int)  # the keys summed and compared here are all counts
    return value


@attrs.frozen
class _Set:
    """One published table: its figures by key, its source, and the parties paired with it."""

    source: str | None
    figures: dict[str, Figure]
    parties: dict[str, dict[str, Figure]]
    partial: bool = False  # lists only some parties: they need not add up to the total


def _group(figures: Iterable[Figure]) -> list[tuple[str | None, dict[str, Figure]]]:
    """Figures of one owner split into their published tables, in order."""
    sets: dict[str, tuple[str | None, dict[str, Figure]]] = {}
    for f in figures:
        table = f.place.rsplit(".", 1)[0]
        sets.setdefault(table, (f.source, {}))[1][f.key] = f
    return list(sets.values())


def _sets(area: Area) -> list[_Set]:
    sets = [_Set(src, figs, {}, partial=figs.pop("partial", None) is not None)
            for src, figs in _group(area.figures)]
    for party in area.parties:
        for src, figs in _group(party.figures):
            match = next((s for s in sets if src is not None and s.source == src), None)
            if match is None and src is None and sets:
                match = sets[0]
            if match is None or party.party in match.parties:  # a table of its own
                match = _Set(src, {}, {})
                sets.append(match)
            match.parties[party.party] = figs
    return sets


def _paired(child: list[_Set], source: str | None) -> _Set | None:
    same = next((s for s in child if source is not None and s.source == source), None)
    return same or (child[0] if child else None)


@attrs.frozen
class _Span:
    """A count known exactly (lo == hi) or bounded; hi None is unbounded."""

    lo: int
    hi: int | None

    @property
    def exact(self) -> bool:
        return self.hi == self.lo


def _race_spans(results: RaceResults, inferred: Iterable[Inferred]) -> dict[str, np.ndarray]:
    """Per race, lower and upper bounds of each count (-1 upper = unbounded)."""
    t = results.totals
    spans: dict[str, np.ndarray] = {}
    for key in ("registered", "cast", "invalid", "valid", "against_all"):
        v = getattr(t, key)
        spans[key] = np.stack([np.maximum(v, 0), np.where(v >= 0, v, -1)], axis=1)
    # Unknown counts: at least their known parts, at most the registered voters.
    valid_lo = np.maximum(t.votes, 0).sum(axis=1) + np.maximum(t.against_all, 0)
    spans["valid"][:, 0] = np.where(t.valid >= 0, t.valid, valid_lo)
    cast_lo = spans["valid"][:, 0] + np.maximum(t.invalid, 0)
    spans["cast"][:, 0] = np.where(t.cast >= 0, t.cast, cast_lo)
    spans["registered"][:, 0] = np.where(t.registered >= 0, t.registered,
                                         spans["cast"][:, 0])
    for key in ("cast", "valid", "invalid", "against_all"):
        hi = spans[key][:, 1]
        spans[key][:, 1] = np.where(hi >= 0, hi, t.registered)
    for i in inferred:  # the race checks' intervals are tighter (None: unbounded above)
        if i.key in spans:
            spans[i.key][i.race] = (i.low, -1 if i.high is None else i.high)
    return spans


class _Context:
    """Everything the checks of one scenario share."""

    def __init__(self, scenario: Scenario, results: RaceResults, inferred: Iterable[Inferred],
                 candidate_party: np.ndarray, parties: tuple[str, ...]) -> None:
        self.res = results
        self.spans = _race_spans(results, inferred)
        self.candidate_party = candidate_party
        self.parties = {p: i for i, p in enumerate(parties)}
        self.sets = {a.path: _sets(a) for a in scenario.areas}
        self.children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for a in scenario.areas:
            if a.path:
                self.children.setdefault(a.path[:-1], []).append(a.path)
        # The races beneath each area path on each day, in file order.
        self.election_date = scenario.election.date
        self._races: dict[tuple[tuple[str, ...], dt.date | None], list[int]] = {}
        for r, race in enumerate(scenario.races):
            day = race.date or self.election_date
            for depth in range(len(race.area) + 1):
                self._races.setdefault((race.area[:depth], day), []).append(r)

    def races_of(self, area: Area) -> np.ndarray:
        """Indices of the races beneath ``area`` held on its date."""
        found = self._races.get((area.path, area.date or self.election_date), [])
        return np.array(found, dtype=np.int64)

    def race_sum(self, races: np.ndarray, key: str, party: str | None = None, *,
                 complete: bool = True) -> _Span | None:
        """A count summed over ``races``: exact, bounded, or None when not defined. When the
        races are not all of the area's (``complete`` False), the sum only bounds it below."""
        span = self._race_sum(races, key, party)
        return span if span is None or complete else _Span(span.lo, None)

    def _race_sum(self, races: np.ndarray, key: str, party: str | None) -> _Span | None:
        res = self.res
        if party is None:
            if key in self.spans:
                lo, hi = self.spans[key][races].T
                return _Span(int(lo.sum()), None if (hi < 0).any() else int(hi.sum()))
            n = {"races": races.size, "elected": int((res.winner[races] >= 0).sum()),
                 "ties": int(res.tie[races].sum())}.get(key)
            return None if n is None else _Span(n, n)
        if key not in ("seats", "votes"):
            return None
        if party not in self.parties:
            return _Span(0, 0)
        mine = self.candidate_party[races] == self.parties[party]
        if key == "seats":
            w = res.winner[races]
            won = int((mine[np.arange(races.size), np.maximum(w, 0)] & (w >= 0)).sum())
            return _Span(won, won)
        v = res.totals.votes[races][mine]
        return None if (v < 0).any() else _Span(int(v.sum()), int(v.sum()))


def _count_check(fig: Figure, span: _Span, basis: str) -> Check:
    if span.exact:
        return count_check(fig, span.lo, basis)
    value = _count_of(fig)
    inside = value >= span.lo and (span.hi is None or value <= span.hi)
    hi = "" if span.hi is None else f"-{span.hi:,}"
    return Check(fig.place, fig.value, None, "consistent" if inside else "mismatch", fig.source,
                 f"{basis}: {span.lo:,}{hi or ' or more'}")


def area_checks(scenario: Scenario, results: RaceResults, inferred: Iterable[Inferred],
                candidate_party: np.ndarray, parties: tuple[str, ...]) -> list[Check]:
    """Every check of every published area and party figure of ``scenario``.

    candidate_party : (R, K) index into ``parties`` of each candidate's party, -1 padding.
    """
    ctx = _Context(scenario, results, inferred, candidate_party, parties)
    checks: list[Check] = []
    for area in scenario.areas:
        checks.extend(_checks_of(ctx, area))
    return checks


def _first(sets: list[_Set], key: str) -> int | None:
    """The first published value of ``key`` in an area's tables."""
    return next((_count_of(s.figures[key]) for s in sets if key in s.figures), None)


def _checks_of(ctx: _Context, area: Area) -> list[Check]:
    checks: list[Check] = []
    races = ctx.races_of(area)
    children = ctx.children.get(area.path, [])
    where_children = f"the {len(children)} area{'s' * (len(children) != 1)} beneath"
    # The parts are all of the whole unless the published race counts say otherwise; a sum of
    # some of the parts only bounds the whole from below.
    n_races = _first(ctx.sets[area.path], "races")
    races_all = n_races is None or n_races == races.size
    kid_races = [_first(ctx.sets[c], "races") for c in children]
    kid_known = [n for n in kid_races if n is not None]
    kids_all = n_races is None or len(kid_known) < len(kid_races) or sum(kid_known) == n_races
    the_races = (f"{races.size} races" + ("" if races_all else f" in this file (of {n_races})"))
    if not kids_all:
        where_children += f" (holding {sum(kid_known)} of its {n_races} races)"

    for s in ctx.sets[area.path]:
        kids = [_paired(ctx.sets[c], s.source) for c in children]
        paired = [k for k in kids if k is not None]
        every_kid = len(paired) == len(kids)  # every child area has a set to pair with
        # (2) against the races beneath, (3) against the child areas' figures
        for key, fig in s.figures.items():
            if key not in ADDITIVE:
                continue
            if races.size:
                span = ctx.race_sum(races, key, complete=races_all)
                if span is not None:
                    checks.append(_count_check(fig, span, f"sum of the {the_races}"))
            if kids and every_kid and all(key in k.figures for k in paired):
                total = sum(_count_of(k.figures[key]) for k in paired)
                checks.append(_count_check(fig, _Span(total, total if kids_all else None),
                                           f"sum of {where_children}"))
        for party, figs in s.parties.items():
            for key, fig in figs.items():
                if key not in PARTY_ADDITIVE:
                    continue
                if races.size:
                    span = ctx.race_sum(races, key, party, complete=races_all)
                    if span is not None:
                        checks.append(_count_check(fig, span,
                                                   f"{party}'s {key} in the {the_races}"))
                if kids and every_kid and all(any(key in f for f in k.parties.values())
                                              for k in paired):
                    total = sum(_count_of(k.parties.get(party, {}).get(key, Figure(key, 0, "")))
                                for k in paired)
                    checks.append(_count_check(fig, _Span(total, total if kids_all else None),
                                               f"{party}'s {key} summed over {where_children}"))
        checks.extend(_own_arithmetic(ctx, area, s, races if races_all else races[:0]))
    checks.extend(_against_first(ctx.sets[area.path]))
    return checks


def _against_first(sets: list[_Set]) -> list[Check]:
    """A count printed in several tables of one area (or for one party) must agree."""
    checks = []
    seen: dict[tuple[str | None, str], Figure] = {}
    for s in sets:
        owned = [(None, s.figures), *((p, figs) for p, figs in s.parties.items())]
        for party, figs in owned:
            for key, fig in figs.items():
                if not isinstance(fig.value, int):
                    continue
                first = seen.setdefault((party, key), fig)
                if first is not fig:
                    checks.append(_count_check(fig, _Span(_count_of(first), _count_of(first)),
                                               f"the same count in {first.source or first.place}"))
    return checks


def _own_arithmetic(ctx: _Context, area: Area, s: _Set, races: np.ndarray) -> list[Check]:
    """Totals against the set's parts, and every percentage from the set's counts.
    ``races``: the races beneath when they are all of the area's, else none."""

    def exact_sum(key: str, party: str | None = None) -> int | None:
        span = ctx.race_sum(races, key, party) if races.size else None
        return span.lo if span is not None and span.exact else None

    def count(key: str) -> int | None:
        """The set's own count, else the exact race sum, else the area's first set's."""
        if key in s.figures:
            return int(s.figures[key].value)
        n = exact_sum(key)
        return n if n is not None else _first(ctx.sets[area.path][:1], key)

    def party_count(party: str, key: str) -> int | None:
        if key in s.parties.get(party, {}):
            return int(s.parties[party][key].value)
        return exact_sum(key, party)

    f = s.figures
    checks: list[Check | None] = []
    basis = area.share_basis
    cast, invalid, against = count("cast"), count("invalid"), count("against_all")
    valid = count("valid")
    if valid is None and cast is not None and invalid is not None:
        valid = cast - invalid
    share_den = cast if basis == "cast" else valid
    share_name = COUNT_NAMES[basis]
    parties = s.parties

    def party_sum(key: str) -> int | None:
        if s.partial:
            return None
        vals = [_count_of(p[key]) for p in parties.values() if key in p]
        return sum(vals) if vals and len(vals) == len(parties) else None

    def against_parts(fig_key: str, total: int | None, basis_text: str) -> None:
        if fig_key in f and total is not None:
            checks.append(_count_check(f[fig_key], _Span(total, total), basis_text))

    # Totals against the sum of their parts.
    seats = party_sum("seats")
    if "races" in f:
        against_parts("races", seats, "sum of the parties' seats")
    else:
        against_parts("elected", seats, "sum of the parties' seats")
    for key in ("candidates", "candidates_nominated"):
        against_parts(key, party_sum(key), f"sum of the parties' {key}")
    votes = party_sum("votes")
    if votes is not None and against is not None:
        if invalid is not None:
            against_parts("cast", votes + against + invalid,
                          "parties' votes + against all + invalid")
        against_parts("valid", votes + against, "parties' votes + against all")
    outcomes = [k for k in ("ties", "failed") if k in f]
    if "races" in f and "elected" in f and outcomes:
        against_parts("races", _count_of(f["elected"]) + sum(_count_of(f[k]) for k in outcomes),
                      "elected + " + " + ".join(outcomes))

    # Percentages (and the one ratio) from the set's counts.
    for key, num, den, text, scale in (
        ("turnout", cast, count("registered"), "ballots cast / registered voters", 100),
        ("invalid_share", invalid, cast, "invalid ballots / ballots cast", 100),
        ("against_all_share", against, share_den, f"votes against all / {share_name}", 100),
        ("women_share", count("women_elected"), count("elected"),
         "women elected / akims elected", 100),
        ("candidates_per_race", count("candidates"), count("races"), "candidates / races", 1),
    ):
        if key in f:
            checks.append(ratio_check(f[key], num, den, text, scale))
    for party, figs in parties.items():
        if "seat_share" in figs:
            checks.append(ratio_check(figs["seat_share"], party_count(party, "seats"),
                                      count("races"), f"{party}'s seats / races"))
        if "vote_share" in figs:
            checks.append(ratio_check(figs["vote_share"], party_count(party, "votes"), share_den,
                                      f"{party}'s votes / {share_name}"))
    return [c for c in checks if c is not None]
