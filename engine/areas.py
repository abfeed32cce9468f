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

from collections.abc import Iterable
from fractions import Fraction

import attrs
import numpy as np

from engine.reconcile import Check, Inferred, classify
from engine.scenario import Area, Figure, Scenario
from engine.tally import RaceResults

__all__ = ["area_checks"]

# Counts that add up from races and from child areas.
ADDITIVE = ("races", "registered", "cast", "valid", "invalid", "against_all", "elected",
            "failed", "ties", "one_vote_margins", "candidates", "candidates_nominated",
            "women_elected", "incumbents_reelected", "deputies", "maslikhats", "precincts")
PARTY_ADDITIVE = ("seats", "votes", "candidates", "candidates_nominated")
_NAMES = {"races": "races", "registered": "registered voters", "cast": "ballots cast",
          "valid": "valid votes", "invalid": "invalid ballots", "against_all": "votes against all",
          "elected": "akims elected", "failed": "failed races", "ties": "tied races",
          "candidates": "candidates", "women_elected": "women elected",
          "seats": "seats", "votes": "votes"}


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
            if match is None and (src is not None or not sets):  # a table of its own
                match = _Set(src, {}, {})
                sets.append(match)
            match = match or sets[0]
            match.parties.setdefault(party.party, {}).update(figs)
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


def _race_spans(scenario: Scenario, results: RaceResults,
                inferred: Iterable[Inferred]) -> dict[str, np.ndarray]:
    """Per race, lower and upper bounds of each count (-1 upper = unbounded)."""
    t = results.totals
    on_ballot = np.arange(t.votes.shape[1]) < t.n_candidates[:, None]
    known_votes = np.where(on_ballot, np.maximum(t.votes, 0), 0).sum(axis=1)
    spans: dict[str, np.ndarray] = {}
    for key in ("registered", "cast", "invalid", "valid", "against_all"):
        v = getattr(t, key)
        spans[key] = np.stack([np.maximum(v, 0), np.where(v >= 0, v, -1)], axis=1)
    # Unknown counts: at least their known parts, at most the registered voters.
    valid_lo = known_votes + np.maximum(t.against_all, 0)
    spans["valid"][:, 0] = np.where(t.valid >= 0, t.valid, valid_lo)
    cast_lo = np.maximum(spans["valid"][:, 0] + np.maximum(t.invalid, 0), 0)
    spans["cast"][:, 0] = np.where(t.cast >= 0, t.cast, cast_lo)
    spans["registered"][:, 0] = np.where(t.registered >= 0, t.registered,
                                         spans["cast"][:, 0])
    for key in ("cast", "valid", "invalid", "against_all"):
        hi = spans[key][:, 1]
        spans[key][:, 1] = np.where(hi >= 0, hi, t.registered)
    by_place = {race.place: r for r, race in enumerate(scenario.races)}
    for i in inferred:  # the race checks' intervals are tighter
        place, _, key = i.where.rpartition(".")
        if key == "votes" and place.endswith("against_all"):
            place, key = place.rpartition(".")[0], "against_all"
        r = by_place.get(place)
        if r is not None and key in spans:
            spans[key][r] = (i.low, i.high)
    return spans


class _Context:
    """Everything the checks of one scenario share."""

    def __init__(self, scenario: Scenario, results: RaceResults, inferred: Iterable[Inferred],
                 candidate_party: np.ndarray) -> None:
        self.s = scenario
        self.res = results
        self.spans = _race_spans(scenario, results, inferred)
        self.candidate_party = candidate_party
        self.parties = {}
        for race in scenario.races:
            for c in race.candidates:
                self.parties.setdefault(c.party, len(self.parties))
        self.sets = {a.path: _sets(a) for a in scenario.areas}
        self.areas = {a.path: a for a in scenario.areas}

    def races_of(self, area: Area) -> np.ndarray:
        """Indices of the races beneath ``area`` held on its date."""
        day = area.date or self.s.election.date
        d = len(area.path)
        return np.array([r for r, race in enumerate(self.s.races)
                         if race.area[:d] == area.path and (race.date or self.s.election.date)
                         == day], dtype=np.int64)

    def race_sum(self, races: np.ndarray, key: str, party: str | None = None) -> _Span | None:
        """A count summed over ``races``: exact, bounded, or None when not defined."""
        t, res = self.res.totals, self.res
        if party is None and key in self.spans:
            lo, hi = self.spans[key][races].T
            return _Span(int(lo.sum()), None if (hi < 0).any() else int(hi.sum()))
        decided = res.winner[races] >= 0
        if party is None and key == "races":
            return _Span(races.size, races.size)
        if party is None and key == "elected":
            return _Span(int(decided.sum()), int(decided.sum()))
        if party is None and key == "ties":
            n = int(res.tie[races].sum())
            return _Span(n, n)
        if party is None or party not in self.parties:
            return _Span(0, 0) if party is not None and key in ("seats", "votes") else None
        p = self.parties[party]
        mine = self.candidate_party[races] == p
        if key == "seats":
            w = res.winner[races]
            won = int((mine[np.arange(races.size), np.maximum(w, 0)] & (w >= 0)).sum())
            return _Span(won, won)
        if key == "votes":
            v = t.votes[races]
            if (v[mine] < 0).any():
                return None
            total = int(v[mine].sum())
            return _Span(total, total)
        return None


def _count_check(fig: Figure, span: _Span, basis: str) -> Check:
    if span.exact:
        status = "exact" if fig.value == span.lo else "mismatch"
        return Check(fig.place, fig.value, span.lo, status, fig.source, basis)
    inside = fig.value >= span.lo and (span.hi is None or fig.value <= span.hi)
    hi = "" if span.hi is None else f"-{span.hi:,}"
    return Check(fig.place, fig.value, None, "consistent" if inside else "mismatch", fig.source,
                 f"{basis}: {span.lo:,}{hi or ' or more'}")


def _ratio(fig: Figure, num: int | None, den: int | None, basis: str,
           scale: int = 100) -> Check | None:
    if num is None or den is None or den <= 0:
        return None
    exact = Fraction(scale * num, den)
    return Check(fig.place, fig.value, exact, classify(exact, fig.value), fig.source, basis)


def area_checks(scenario: Scenario, results: RaceResults, inferred: Iterable[Inferred],
                candidate_party: np.ndarray) -> list[Check]:
    """Every check of every published area and party figure of ``scenario``."""
    ctx = _Context(scenario, results, inferred, candidate_party)
    checks: list[Check] = []
    for area in scenario.areas:
        checks.extend(_checks_of(ctx, area))
    return checks


def _checks_of(ctx: _Context, area: Area) -> list[Check]:
    checks: list[Check] = []
    races = ctx.races_of(area)
    children = [p for p in ctx.areas if len(p) == len(area.path) + 1 and p[:-1] == area.path]
    where_children = f"the {len(children)} area{'s' * (len(children) != 1)} beneath"
    # The parts are all of the whole unless the published race counts say otherwise; a sum of
    # some of the parts only bounds the whole from below.
    n_races = next((s.figures["races"].value for s in ctx.sets[area.path] if "races" in s.figures),
                   None)
    races_all = n_races is None or n_races == races.size
    kid_races = [next((s.figures["races"].value for s in ctx.sets[c] if "races" in s.figures),
                      None) for c in children]
    kids_all = n_races is None or None in kid_races or sum(kid_races) == n_races
    if not races_all:
        where_races = f"sum of the {races.size} races in this file (of {n_races})"
    else:
        where_races = f"sum of the {races.size} races"
    if not kids_all:
        where_children += f" (holding {sum(kid_races)} of its {n_races} races)"

    def span(lo: int, complete: bool) -> _Span:
        return _Span(lo, lo if complete else None)

    for s in ctx.sets[area.path]:
        kids = [_paired(ctx.sets[c], s.source) for c in children]
        # (2) against the races beneath, (3) against the child areas' figures
        for key, fig in s.figures.items():
            if key in ADDITIVE and races.size:
                sp = ctx.race_sum(races, key)
                if sp is not None:
                    if not races_all:
                        sp = _Span(sp.lo, None)
                    checks.append(_count_check(fig, sp, where_races))
            if key in ADDITIVE and kids and all(k is not None and key in k.figures
                                                for k in kids):
                total = sum(k.figures[key].value for k in kids)
                checks.append(_count_check(fig, span(total, kids_all), f"sum of {where_children}"))
        for party, figs in s.parties.items():
            for key, fig in figs.items():
                if key not in PARTY_ADDITIVE:
                    continue
                if races.size and key in ("seats", "votes"):
                    sp = ctx.race_sum(races, key, party)
                    if sp is not None:
                        if not races_all:
                            sp = _Span(sp.lo, None)
                        checks.append(_count_check(fig, sp, f"{party}'s {_NAMES[key]} in the "
                                                            f"{where_races[11:]}"))
                if kids and all(k is not None and any(key in f for f in k.parties.values())
                                for k in kids):
                    total = sum(k.parties.get(party, {}).get(key, Figure(key, 0, "")).value
                                for k in kids)
                    checks.append(_count_check(fig, span(total, kids_all),
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
                if isinstance(fig.value, bool) or not isinstance(fig.value, int):
                    continue
                first = seen.setdefault((party, key), fig)
                if first is not fig:
                    checks.append(_count_check(fig, _Span(first.value, first.value),
                                               f"the same count in {first.source or first.place}"))
    return checks


def _own_arithmetic(ctx: _Context, area: Area, s: _Set, races: np.ndarray) -> list[Check]:
    """Totals against the set's parts, and every percentage from the set's counts."""

    def count(key: str) -> int | None:
        """The set's own count, else the exact race sum, else the area's first set's."""
        if key in s.figures:
            return int(s.figures[key].value)
        if races.size:
            span = ctx.race_sum(races, key)
            if span is not None and span.exact:
                return span.lo
        first = ctx.sets[area.path][0].figures.get(key)
        return int(first.value) if first is not None else None

    def party_count(party: str, key: str) -> int | None:
        if key in s.parties.get(party, {}):
            return int(s.parties[party][key].value)
        if races.size:
            span = ctx.race_sum(races, key, party)
            if span is not None and span.exact:
                return span.lo
        return None

    f = s.figures
    checks: list[Check | None] = []
    basis = area.share_basis
    cast, invalid, against = count("cast"), count("invalid"), count("against_all")
    valid = count("valid")
    if valid is None and cast is not None and invalid is not None:
        valid = cast - invalid
    share_den = cast if basis == "cast" else valid
    parties = s.parties

    def party_sum(key: str) -> int | None:
        if s.partial:
            return None
        vals = [p[key].value for p in parties.values() if key in p]
        return sum(vals) if vals and len(vals) == len(parties) else None

    # Totals against the sum of their parts.
    seats = party_sum("seats")
    if "races" in f and seats is not None:
        checks.append(_count_check(f["races"], _Span(seats, seats), "sum of the parties' seats"))
    if "elected" in f and seats is not None and "races" not in f:
        checks.append(_count_check(f["elected"], _Span(seats, seats),
                                   "sum of the parties' seats"))
    for key in ("candidates", "candidates_nominated"):
        n = party_sum(key)
        if key in f and n is not None:
            checks.append(_count_check(f[key], _Span(n, n), f"sum of the parties' {key}"))
    votes = party_sum("votes")
    if votes is not None and against is not None:
        if "cast" in f and invalid is not None:
            total = votes + against + invalid
            checks.append(_count_check(f["cast"], _Span(total, total),
                                       "parties' votes + against all + invalid"))
        if "valid" in f:
            checks.append(_count_check(f["valid"], _Span(votes + against, votes + against),
                                       "parties' votes + against all"))
    if "races" in f and "elected" in f and ("ties" in f or "failed" in f):
        total = f["elected"].value + sum(f[k].value for k in ("ties", "failed") if k in f)
        checks.append(_count_check(f["races"], _Span(total, total),
                                   "elected + " + " + ".join(k for k in ("ties", "failed")
                                                             if k in f)))

    # Percentages (and the one ratio) from the set's counts.
    if "turnout" in f:
        checks.append(_ratio(f["turnout"], cast, count("registered"),
                             "ballots cast / registered voters"))
    if "invalid_share" in f:
        checks.append(_ratio(f["invalid_share"], invalid, cast, "invalid ballots / ballots cast"))
    if "against_all_share" in f:
        checks.append(_ratio(f["against_all_share"], against, share_den,
                             f"votes against all / {_basis_name(basis)}"))
    if "women_share" in f:
        checks.append(_ratio(f["women_share"], count("women_elected"), count("elected"),
                             "women elected / akims elected"))
    if "candidates_per_race" in f:
        checks.append(_ratio(f["candidates_per_race"], count("candidates"), count("races"),
                             "candidates / races", scale=1))
    for party, figs in parties.items():
        if "seat_share" in figs:
            checks.append(_ratio(figs["seat_share"], party_count(party, "seats"),
                                 count("races"), f"{party}'s seats / races"))
        if "vote_share" in figs:
            checks.append(_ratio(figs["vote_share"], party_count(party, "votes"), share_den,
                                 f"{party}'s votes / {_basis_name(basis)}"))
    return [c for c in checks if c is not None]


def _basis_name(basis: str) -> str:
    return "ballots cast" if basis == "cast" else "valid votes"
