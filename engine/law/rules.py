"""Rule sets of the election law, as data, and the vectorised decision of every race.

A rule set says what decides a race: how the winner is found, what the "against all" line does,
whether a turnout threshold applies and what a tie for first place leads to. Presets follow
DESIGN.md section 4; a scenario may pick one and override fields.
"""

from __future__ import annotations

import enum
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.limits import MAX_TERM_YEARS

__all__ = [
    "AGAINST_ALL_EFFECTS",
    "FAILED_OUTCOMES",
    "PRESETS",
    "TIE_RULES",
    "Decision",
    "Outcome",
    "RuleSet",
    "decide",
    "preset",
    "ruleset_of",
]

AGAINST_ALL_EFFECTS = ("none", "fails_if_top", "fails_if_majority")
TIE_RULES = ("repeat",)
THRESHOLDS = ("plurality", "majority_present", "majority_seats")


class Outcome(enum.IntEnum):
    """How a race ended. Stored as int8 codes in result arrays."""

    ELECTED = 0
    TIE = 1
    FAILED_AGAINST_ALL = 2
    FAILED_TURNOUT = 3
    FAILED_QUORUM = 4
    UNCONTESTED = 5
    # A replay whose candidate counts were not all published cannot decide the race.
    UNDETERMINED = 6
    # Nobody on the ballot (reachable from library calls; scenario files refuse it).
    NO_CANDIDATES = 7
    # A majority threshold (rules.threshold) the leader did not reach.
    FAILED_MAJORITY = 8

    @property
    def label(self) -> str:
        return self.name.lower()



# A vote was held and elected nobody: a repeat election (a tie is apart: its re-vote or repeat).
FAILED_OUTCOMES = (Outcome.FAILED_AGAINST_ALL, Outcome.FAILED_TURNOUT, Outcome.FAILED_QUORUM,
                   Outcome.FAILED_MAJORITY)

def _fraction(value: object) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(str(value))


def _in(options: tuple[str, ...]):
    def check(_inst: object, attribute: attrs.Attribute, value: str) -> None:
        if value not in options:
            msg = f"must be one of {', '.join(repr(o) for o in options)}, got {value!r}"
            raise ValueError(msg)

    return check


def _whole(low: int, high: int):
    """A whole number in [low, high]: the law's small numbers (terms, ages, candidates)."""

    def check(_inst: object, attribute: attrs.Attribute, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            msg = f"must be a whole number from {low} to {high}, got {value!r}"
            raise ValueError(msg)

    return check


def _unit_interval(_inst: object, attribute: attrs.Attribute, value: Fraction) -> None:
    if not 0 <= value <= 1:
        msg = f"must be between 0 and 1, got {value}"
        raise ValueError(msg)


@attrs.frozen
class RuleSet:
    """What decides a race under one period's law (DESIGN.md section 4).

    ``min_turnout`` and ``quorum`` are exact fractions so thresholds compare as integers.
    """

    name: str
    kind: str = attrs.field(default="direct", validator=_in(("direct", "indirect")))
    # 2021 law: "against all" is a line on every ballot and counts in valid votes.
    against_all: bool = True
    # Commission statements 2021-22: votes against all do not change who wins.
    against_all_effect: str = attrs.field(default="none", validator=_in(AGAINST_ALL_EFFECTS))
    # Commission statement 2021: no minimum turnout.
    min_turnout: Fraction = attrs.field(default=Fraction(0), converter=_fraction,
                                        validator=_unit_interval)
    # Not found in law; our assumption: a tie for first place means a repeat election.
    tie: str = attrs.field(default="repeat", validator=_in(TIE_RULES))
    # "Alternative basis": at least two registered candidates.
    min_candidates: int = attrs.field(default=2, validator=_whole(1, 1000))
    # Law on Local Government Art. 36-2 (seed 001): four-year term, two consecutive at most.
    # Terms longer than MAX_TERM_YEARS would carry dates past the calendar (engine.limits).
    term_years: int = attrs.field(default=4, validator=_whole(1, MAX_TERM_YEARS))
    term_limit: int = attrs.field(default=2, validator=_whole(1, 100))
    min_age: int = attrs.field(default=25, validator=_whole(0, 150))
    # Seed 003: a self-nominee needs signatures of at least 1% of registered voters.
    signature_share: Fraction = attrs.field(default=Fraction(1, 100), converter=_fraction,
                                            validator=_unit_interval)
    # Indirect (maslikhat) elections only.
    quorum: Fraction = attrs.field(default=Fraction(2, 3), converter=_fraction,
                                   validator=_unit_interval)
    # Who wins: the most votes, or more than half of those who took part / of all registered
    # (seats). Kazakh akims: the most votes (DESIGN section 4).
    threshold: str = attrs.field(default="plurality", validator=_in(THRESHOLDS))

    def replace(self, **changes: Any) -> RuleSet:
        """A copy with some fields overridden (a scenario's ``[rules]`` table)."""
        return attrs.evolve(self, **changes)

    def changed(self) -> dict[str, str]:
        """The fields that differ from the preset this rule set is named after (what a
        scenario's ``[rules]`` table changed), as the table would write them."""
        base = PRESETS.get(self.name)
        if base is None:
            return {}
        return {f.name: _written(getattr(self, f.name)) for f in attrs.fields(RuleSet)
                if getattr(self, f.name) != getattr(base, f.name)}

    def entry(self) -> dict[str, Any]:
        """The rule set as outputs give it: ``rules``, the preset's name, and ``rules_changed``
        where a scenario changed any field."""
        changed = self.changed()
        return {"rules": self.name, **({"rules_changed": changed} if changed else {})}

    @property
    def label(self) -> str:
        """The preset's name and what was changed, e.g. ``kz-2023-district (against_all false,
        threshold majority_present)``: an output never names a preset whose rules it did not
        apply."""
        changed = self.changed()
        if not changed:
            return self.name
        return f"{self.name} ({', '.join(f'{k} {v}' for k, v in changed.items())})"


def _written(value: object) -> str:
    """A rule's value as a scenario writes it: ``false``, ``1/2``, ``majority_present``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


PRESETS: dict[str, RuleSet] = {
    # Rural akims, direct since 2021 (seed 003).
    "kz-2021-rural": RuleSet(name="kz-2021-rural"),
    # Akims of districts and cities of regional significance: pilots 2023, Semey 2025.
    "kz-2023-district": RuleSet(name="kz-2023-district"),
    # Rural akims elected by maslikhat deputies, 2013-2021 (seed 002).
    "kz-2013-indirect": RuleSet(name="kz-2013-indirect", kind="indirect", against_all=False,
                                min_candidates=2),
}


def preset(name: str) -> RuleSet:
    """The preset rule set called ``name``; ``KeyError`` names the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        msg = f"unknown rule set {name!r} (known: {known})"
        raise KeyError(msg) from None


@attrs.frozen(eq=False)
class Decision:
    """The decision of every race; arrays share the leading shape ``S`` of the inputs.

    winner, runner_up : S int64, candidate index or -1 (none)
    top, margin_votes : S int64, winner's (or the tied leaders') votes and top - second
    tie : S bool, two or more candidates share the most votes
    outcome : S int8, an :class:`Outcome` code
    """

    winner: np.ndarray
    runner_up: np.ndarray
    top: np.ndarray
    margin_votes: np.ndarray
    tie: np.ndarray
    outcome: np.ndarray


def decide(
    votes: np.ndarray,
    n_candidates: np.ndarray,
    rules: RuleSet,
    *,
    against_all: np.ndarray | None = None,
    cast: np.ndarray | None = None,
    registered: np.ndarray | None = None,
) -> Decision:
    """Decide all races at once.

    votes : (..., K) int64, candidate votes, ballot order, padded with zeros past n_candidates
    n_candidates : (...,) or broadcastable int, candidates on each race's ballot
    against_all, cast, registered : (...,) int64 or None; needed only by rules that use them
        (a negative value means unknown: the rule that needs it is then not applied)

    Leading dimensions are free, so one call decides (runs, races) of a simulation.

    Under indirect rules (``rules.kind == "indirect"``) ``registered`` is the maslikhat's seats
    and ``cast`` the deputies present: below ``rules.quorum`` of the seats the session cannot
    vote (failed_quorum). Under any rules, ``rules.threshold`` "majority_present" /
    "majority_seats" needs more than half of those who took part (ballots cast, deputies
    present) / of the registered voters or seats (failed_majority; not applied where that count
    is unknown). The one re-vote among tied leaders is
    :func:`engine.law.indirect.decide_rounds`.
    """
    votes = np.asarray(votes, dtype=np.int64)
    shape = votes.shape[:-1]
    k = votes.shape[-1]
    n_cand = np.broadcast_to(np.asarray(n_candidates, dtype=np.int64), shape)
    on_ballot = np.arange(k) < n_cand[..., None]
    v = np.where(on_ballot, votes, -1)  # padding can never lead

    winner = np.argmax(v, axis=-1) if k else np.full(shape, -1, np.int64)
    top = (np.take_along_axis(v, winner[..., None], axis=-1)[..., 0] if k
           else np.zeros(shape, np.int64))
    rest = v.copy()
    if k:
        np.put_along_axis(rest, winner[..., None], -2, axis=-1)
    runner_up = np.argmax(rest, axis=-1) if k > 1 else np.full(shape, -1, np.int64)
    second = (np.take_along_axis(rest, runner_up[..., None], axis=-1)[..., 0]
              if k > 1 else np.full(shape, -1, np.int64))
    has_second = second >= 0
    runner_up = np.where(has_second, runner_up, -1)
    margin = np.where(has_second, top - np.maximum(second, 0), top)
    tie = has_second & (second == top)

    outcome = np.where(n_cand == 1, Outcome.UNCONTESTED, Outcome.ELECTED).astype(np.int8)
    outcome[tie] = Outcome.TIE
    if against_all is not None and rules.against_all_effect != "none":
        aa = np.broadcast_to(np.asarray(against_all, dtype=np.int64), shape)
        known = aa >= 0
        if rules.against_all_effect == "fails_if_top":
            fails = known & (aa > top)
        else:  # fails_if_majority: against all holds more than half of the valid votes
            valid = np.where(on_ballot, votes, 0).sum(axis=-1) + aa
            fails = known & (2 * aa > valid)
        outcome[fails] = Outcome.FAILED_AGAINST_ALL
    # The rules below need both counts: without one of them, both are unknown (-1) everywhere
    both = cast is not None and registered is not None
    c = np.broadcast_to(np.asarray(cast if both else -1, dtype=np.int64), shape)
    r = np.broadcast_to(np.asarray(registered if both else -1, dtype=np.int64), shape)
    known = (c >= 0) & (r >= 0)
    if rules.min_turnout > 0:
        t = rules.min_turnout
        # cast / registered < num / den, exactly, in integers
        outcome[known & (c * t.denominator < t.numerator * r)] = Outcome.FAILED_TURNOUT
    if rules.threshold != "plurality":
        # more than half of those who took part (ballots cast; deputies present) or of all
        # registered (seats): else no one is elected (a second round where the law has one)
        base = c if rules.threshold == "majority_present" else r
        short = (base >= 0) & ~tie & (2 * top <= base)
        decided = (outcome == Outcome.ELECTED) | (outcome == Outcome.UNCONTESTED)
        outcome[short & decided] = Outcome.FAILED_MAJORITY
    if rules.kind == "indirect":
        q = rules.quorum
        outcome[known & (c * q.denominator < q.numerator * r)] = Outcome.FAILED_QUORUM
    outcome[n_cand == 0] = Outcome.NO_CANDIDATES
    failed = outcome != Outcome.ELECTED
    failed &= outcome != Outcome.UNCONTESTED
    winner = np.where(failed, -1, winner).astype(np.int64)
    return Decision(winner=winner, runner_up=runner_up.astype(np.int64), top=top,
                    margin_votes=margin.astype(np.int64), tie=tie, outcome=outcome)


def ruleset_of(rules: RuleSet | str) -> RuleSet:
    """``rules`` itself, or the preset of that name; ``ScenarioError`` for an unknown name."""
    if isinstance(rules, RuleSet):
        return rules
    try:
        return preset(rules)
    except KeyError as err:
        raise ScenarioError(file="", place="rules", problem=str(err.args[0])) from None
