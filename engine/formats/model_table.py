"""The ``[model]`` table of a simulation scenario, read strictly (DESIGN.md section 8).

It says where the model's means come from (``from`` a historical scenario, or the file's own
counts), overrides any parameter for all races or per race (``[model.race.<id>]``), and can
generate the races a source published only as area aggregates (``[[model.generate]]``).
``engine.simulation.setup`` turns it into the arrays of :class:`engine.simulation.model.Model`.
"""

from __future__ import annotations

import math
from typing import TypedDict, cast

import attrs

from engine.formats.toml_reader import Reader, type_name

__all__ = ["Calibration", "Generate", "Indirect", "Irregularities", "ModelSpec", "Params",
           "RaceModel", "Succession", "read", "read_calibration"]

AGAINST_ALL = "against_all"


@attrs.frozen
class Params:
    """Model parameters set at one level of the file; None where that level says nothing.

    turnout, invalid_rate, against_all : means (fractions: of registered voters, of ballots
    cast, of valid votes); turnout_concentration, share_concentration : precinct noise (inf:
    none); swing_sd : the race shock; precincts : precincts of a race without precinct rows.
    """

    turnout: float | None = None
    turnout_concentration: float | None = None
    invalid_rate: float | None = None
    against_all: float | None = None
    share_concentration: float | None = None
    swing_sd: float | None = None
    precincts: int | None = None

    def over(self, base: Params) -> Params:
        """These values where set, else ``base``'s."""
        mine = attrs.asdict(self)
        return Params(**{k: getattr(base, k) if v is None else v for k, v in mine.items()})


@attrs.frozen
class RaceModel:
    """``[model.race.<id>]``: one race's parameters and, optionally, its mean shares."""

    race: str
    place: str
    params: Params
    shares: tuple[tuple[str, float], ...] | None = None  # candidate name or "against_all"


@attrs.frozen
class Generate:
    """``[[model.generate]]``: races drawn from an area's published figures in ``from``."""

    area: tuple[str, ...]
    place: str
    params: Params
    races: int | None = None
    registered: int | None = None
    candidates: int | None = None


@attrs.frozen
class Succession:
    """What happens between elections (``--cycles``): None where the file says nothing.

    incumbent_stands : P(an akim who may stand again does); incumbency_advantage : log-share
    boost of a standing incumbent; early_termination : P(a term ends early)
    """

    incumbent_stands: float | None = None
    incumbency_advantage: float | None = None
    early_termination: float | None = None


@attrs.frozen
class Indirect:
    """Deputies of a maslikhat (indirect rules): P(a deputy attends the session), P(a deputy
    present votes for the candidate the akim proposed first), P(a deputy repeats their
    first-round choice in the re-vote among tied leaders) (rho)."""

    attendance: float | None = None
    loyalty: float | None = None
    persistence: float | None = None


@attrs.frozen
class Calibration:
    """``[calibrate]``: which model parameters to fit to which published counts."""

    parameters: tuple[str, ...]
    targets: tuple[str, ...]
    runs: int = 100
    seed: int = 0
    place: str = "calibrate"
    check_runs: int = 1000  # rounds of the model check at the fit


FIT_PARAMETERS = ("loyalty", "attendance", "persistence")
FIT_TARGETS = ("elected", "ties", "one_vote_margins", "failed_quorum", "failed_majority")


@attrs.frozen
class Irregularities:
    """``[model.irregularities]``: fractions of precincts and how much fraud each gets."""

    incremental: float = 0.0
    extreme: float = 0.0
    stuffing: float = 0.0
    switching: float = 0.0
    spread: float = 0.05
    place: str = "model.irregularities"

    @property
    def active(self) -> bool:
        return self.incremental + self.extreme > 0


@attrs.frozen
class ModelSpec:
    source: str | None = None  # the "from" file, relative to the scenario
    params: Params = Params()
    succession: Succession = Succession()
    indirect: Indirect = Indirect()
    races: tuple[RaceModel, ...] = ()
    generate: tuple[Generate, ...] = ()
    place: str = "model"
    irregularities: Irregularities | None = None  # [model.irregularities]


class _Range(TypedDict, total=False):
    """The range of one parameter: keywords of :meth:`Reader.number`."""

    open_low: bool
    high: float
    infinite: bool


_PARAMS: dict[str, _Range] = {
    "turnout": {"open_low": True},
    "turnout_concentration": {"open_low": True, "high": math.inf, "infinite": True},
    "invalid_rate": {},
    "against_all": {},
    "share_concentration": {"open_low": True, "high": math.inf, "infinite": True},
    "swing_sd": {},
}


def _params(t: Reader) -> Params:
    values = {key: t.number(key, **kw) for key, kw in _PARAMS.items()}
    precincts = t.count("precincts")
    if precincts == 0:
        t.fail("must be >= 1", "precincts")
    if values["turnout"] == 1.0 and values["turnout_concentration"] not in (None, math.inf):
        t.fail('must be below 1 unless turnout_concentration = "inf"', "turnout")
    return Params(**values, precincts=precincts)


def _shares(t: Reader, key: str) -> tuple[tuple[str, float], ...] | None:
    value = t.raw(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        t.fail(f'must be a table like {{ "Name" = 0.6, against_all = 0.05 }}, got '
               f"{type_name(value)}", key)
    s = Reader(t.file, value, t.at(key))
    # every name is a key of the table, so number() finds it and gives no None
    out = cast("tuple[tuple[str, float], ...]",
               tuple((name, s.number(name, high=math.inf)) for name in value))
    s.close()
    if not sum(v for _, v in out) > 0:
        t.fail("must give at least one option a positive share", key)
    return out


def read(top: Reader) -> ModelSpec | None:
    """The ``[model]`` table of ``top``, or None when there is none."""
    m = top.table("model")
    if m is None:
        return None
    source = m.str("from")
    params = _params(m)
    succession = Succession(
        incumbent_stands=m.number("incumbent_stands"),
        incumbency_advantage=m.number("incumbency_advantage", low=-5.0, high=5.0),
        early_termination=m.number("early_termination"))
    indirect = Indirect(attendance=m.number("attendance"), loyalty=m.number("loyalty"),
                        persistence=m.number("persistence"))
    races = []
    table = m.table("race")
    if table is not None:
        for rid in table.data:
            r = table.table(rid, required=True)  # a key of the table: always there
            r.place = f"{m.place}.race[{rid}]"
            races.append(RaceModel(race=rid, place=r.place, params=_params(r),
                                   shares=_shares(r, "shares")))
            r.close()
        table.close()
    generate = []
    for _, g in m.tables("generate", label_key=None):
        area = g.str_list("area")
        if not g.has("area"):
            g.fail('is required but missing (e.g. area = ["Aqmola Region"])', "area")
        generate.append(Generate(area=area, place=g.place, params=_params(g),
                                 races=g.count("races"), registered=g.count("registered"),
                                 candidates=g.count("candidates")))
        if generate[-1].races == 0:
            g.fail("must be >= 1", "races")
        g.close()
    if generate and source is None:
        m.fail("generates races from an area's published figures, so it needs "
               'from = "<historical scenario>"', "generate")
    irregularities = _irregularities(m)
    m.close()
    return ModelSpec(source=source, params=params, succession=succession, indirect=indirect,
                     races=tuple(races),
                     generate=tuple(generate), place=m.place, irregularities=irregularities)


def read_calibration(top: Reader) -> Calibration | None:
    """The ``[calibrate]`` table of ``top``, or None."""
    c = top.table("calibrate")
    if c is None:
        return None
    parameters = c.str_list("parameters", default=FIT_PARAMETERS)
    if not parameters:
        c.fail(f"must name at least one of {', '.join(FIT_PARAMETERS)}", "parameters")
    for p in parameters:
        if p not in FIT_PARAMETERS:
            c.fail(f"unknown parameter {p!r}; choose among {', '.join(FIT_PARAMETERS)}",
                   "parameters")
    targets = c.str_list("targets")
    if not targets:
        c.fail("is required: the published counts to match, e.g. [\"ties\", "
               "\"one_vote_margins\"]", "targets")
    for t in targets:
        if t not in FIT_TARGETS:
            c.fail(f"unknown target {t!r}; choose among {', '.join(FIT_TARGETS)}", "targets")
    runs = c.count("runs")
    seed = c.count("seed")
    check_runs = c.count("check_runs")
    for key, value in (("runs", runs), ("check_runs", check_runs)):
        if value is not None and value < 10:
            c.fail(f"must be >= 10, got {value}", key)
    c.close()
    return Calibration(parameters=parameters, targets=targets, runs=runs or 100,
                       seed=seed or 0, place=c.place, check_runs=check_runs or 1000)


def _irregularities(m: Reader) -> Irregularities | None:
    """The ``irregularities`` table of the ``[model]`` reader ``m``, strictly, or None."""
    t = m.table("irregularities")
    if t is None:
        return None
    values = {key: t.number(key) for key in ("incremental", "extreme", "stuffing",
                                             "switching", "spread")}
    given = {k: v for k, v in values.items() if v is not None}
    irr = Irregularities(**given, place=t.place)
    if irr.incremental + irr.extreme > 1:
        t.fail(f"incremental + extreme must be <= 1 (fractions of precincts), got "
               f"{irr.incremental:g} + {irr.extreme:g}")
    if irr.incremental > 0 and irr.stuffing == 0 and irr.switching == 0:
        t.fail("incremental fraud needs stuffing or switching above 0", "incremental")
    t.close()
    return irr
