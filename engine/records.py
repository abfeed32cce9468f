"""The records of an election: what a scenario file holds, as frozen attrs classes.

Every room reads or builds these; this module imports nothing of the engine at run time (the
rule set and the model table are named for type checkers only). Counts are ints, unknown is
``None`` (or -1 in arrays); published percentages stay strings, so "53.70" keeps its precision.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

if TYPE_CHECKING:
    from engine.formats.model_table import Calibration, ModelSpec
    from engine.law.protocol import Protocol
    from engine.law.rules import RuleSet

__all__ = [
    "COUNT_COLUMNS",
    "SHARE_BASES",
    "TURNOUT_BASES",
    "UNKNOWN",
    "Area",
    "Candidate",
    "Election",
    "Figure",
    "Maslikhat",
    "PartyFigures",
    "Race",
    "RacePrecincts",
    "Scenario",
    "Subtotal",
    "Withdrawn",
    "common_area",
]

# A count the source did not give, in arrays of counts.
UNKNOWN = -1
# The count lines of a precinct row beside the options, in this order.
COUNT_COLUMNS = ("registered", "cast", "invalid", "against_all")
# What shares are percentages of: valid votes, or all ballots cast (valid + invalid).
SHARE_BASES = ("valid", "cast")
# What turnout is of registered voters: ballots cast (in the boxes), or ballots issued.
TURNOUT_BASES = ("cast", "issued")


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
class RacePrecincts:
    """Precinct rows of one race; -1 marks a count the source did not give.

    ids : (P,) str; registered, cast, invalid, against_all : (P,) int64; votes : (P, K) int64
    county : (P,) str, each precinct's county as its file wrote it (OpenElections files), or
        None; methods : (P, K, M) int64, the candidates' votes by vote method (the race's
        ``methods``; -1 unknown), or None
    lines : the protocol's other lines the rows give (received, issued, ...), (P,) int64 each
    area : (P,) int64 index into ``area_paths``, each row's area path (whole, from the nation
        down), or None when the rows name no areas
    """

    ids: np.ndarray
    registered: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    against_all: np.ndarray
    votes: np.ndarray
    county: np.ndarray | None = None
    methods: np.ndarray | None = None
    lines: dict[str, np.ndarray] = attrs.field(factory=dict)
    area: np.ndarray | None = None
    area_paths: tuple[tuple[str, ...], ...] = ()


@attrs.frozen(eq=False)
class Subtotal:
    """Figures a source published for a part of a race (a county's subtotal rows), checked
    against the sum of the part's precincts.

    precincts : (n,) int64, the part's rows in the race's precincts; figures : keys
    ``candidate[k]``, ``against_all``, ``registered``, ``cast``, ``invalid``; ``missing``: the
    part's precincts the source has for other races but not this one (the sum is then a
    lower bound)
    """

    place: str
    name: str
    precincts: np.ndarray
    figures: tuple[Figure, ...]
    missing: int = 0


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
    precincts: RacePrecincts | None = None
    # OpenElections races: the office and district as the file spells them, whether the ballot
    # has an against-all line, the vote methods of RacePrecincts.methods, county subtotals
    office: str | None = None
    district: str | None = None
    against_all_line: bool = True
    methods: tuple[str, ...] = ()
    subtotals: tuple[Subtotal, ...] = ()
    # indirect rules: the id of the maslikhat whose deputies elect this akim ([[maslikhat]])
    maslikhat: str | None = None


def common_area(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The deepest area every one of ``paths`` (at least one) lies in: their common prefix,
    the area of a race whose rows name areas and whose own area is not declared."""
    first, depth = paths[0], len(paths[0])
    for path in paths[1:]:
        depth = min(depth, len(path))
        while depth and path[:depth] != first[:depth]:
            depth -= 1
    return first[:depth]


@attrs.frozen
class Maslikhat:
    """A district or town maslikhat as an electing body (indirect rules, 2013-2021): one set of
    deputies, one sitting, electing each akim of the races that name it. Counts are None where
    the source gave none.

    seats : its deputies' seats (the quorum is counted on them); present : deputies present at
    the sitting; races, candidates : the posts it filled and the candidates who stood, when the
    file does not list every race; date : the sitting's day.
    """

    id: str
    name: str
    place: str
    area: tuple[str, ...] = ()
    seats: int | None = None
    present: int | None = None
    races: int | None = None
    candidates: int | None = None
    date: dt.date | None = None
    source: str | None = None


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
    """One event on one date under one rule set, with the bases its results are published on:
    turnout is ``turnout_basis`` (cast: ballots in the boxes; issued: ballots issued) over
    registered voters, a share is of ``share_basis`` (valid votes; cast: valid + invalid)."""

    name: str
    date: dt.date | None
    rules: RuleSet
    nation: str = "Kazakhstan"
    share_basis: str = "valid"
    source: str | None = None
    # what the top area is, as a NIST SP 1500-100 reporting unit type ("state" for a scenario
    # of OpenElections files)
    level: str = "country"
    turnout_basis: str = "cast"
    protocol: Protocol | None = None  # the precinct protocol; None: the basic one


@attrs.frozen
class Scenario:
    """A whole scenario file: the election, its races and published area figures."""

    file: str
    election: Election
    races: tuple[Race, ...]
    areas: tuple[Area, ...] = ()
    model: ModelSpec | None = None  # the [model] table of a simulation
    calibration: Calibration | None = None  # the [calibrate] table
    path: Path | None = None
    # what loading mended in the files it read (OpenElections rows), one line each
    warnings: tuple[str, ...] = ()
    maslikhats: tuple[Maslikhat, ...] = ()  # [[maslikhat]]: the electing bodies

    @property
    def max_candidates(self) -> int:
        return max((len(r.candidates) for r in self.races), default=0)
