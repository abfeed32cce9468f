"""A simulated race as it is reported, and the small rules every setup shares: the first source
that gives a value, shares normalised with against all last, an area's published figures, and
whole numbers split as evenly as can be."""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.model_table import Params
from engine.records import Area

__all__ = ["INDEPENDENT", "SimRace", "area_figure", "first", "normalise", "party_figure",
           "split_evenly"]

INDEPENDENT = "Independent"


@attrs.frozen
class SimRace:
    """One simulated race as it is reported: names, and where its means came from."""

    id: str
    name: str
    area: tuple[str, ...]
    candidates: tuple[str, ...]
    parties: tuple[str, ...]
    registered: int
    precincts: int
    turnout: float
    invalid_rate: float
    shares: tuple[float, ...]  # candidates in ballot order, then against all
    basis: str
    incumbent: int = -1  # the candidate (slot) holding the post at this election, -1 none
    terms_held: int = 0  # consecutive terms that candidate already held
    noise: Params = attrs.field(factory=Params)  # concentrations and swing, resolved


def first(*values: float | None) -> float:
    """The first of ``values`` that is not None."""
    return next(v for v in values if v is not None)


def normalise(weights: list[float], against_all: float | None,
               default_against_all: float) -> tuple[float, ...]:
    """Candidates' weights to shares of valid votes, against all last. A given against-all
    weight is normalised with the candidates'; else the candidates share 1 - the default."""
    total = sum(weights)
    if against_all is not None:
        whole = total + against_all
        if whole <= 0:
            return normalise([1.0] * len(weights), None, default_against_all)
        return (*(w / whole for w in weights), against_all / whole)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    rest = 1.0 - default_against_all
    return (*(rest * w / total for w in weights), default_against_all)


# -- races generated from an area's published figures -----------------------------------------
def area_figure(area: Area, key: str) -> tuple[int | None, str | None]:
    for f in area.figures:
        if f.key == key and isinstance(f.value, int):
            return f.value, f.source
    return None, None


def party_figure(area: Area, party: str, key: str) -> tuple[int | None, str | None]:
    for p in area.parties:
        if p.party == party:
            for f in p.figures:
                if f.key == key and isinstance(f.value, int):
                    return f.value, f.source
    return None, None


def split_evenly(total: int, parts: int) -> np.ndarray:
    """``total`` split into ``parts`` whole numbers as equal as can be, larger ones first."""
    out = np.full(parts, total // parts, np.int64)
    out[:total % parts] += 1
    return out
