"""Published figures against recomputed ones (DESIGN.md section 6).

Every figure a scenario marks as published is recomputed from the counts and classified:
``exact``; ``rounded`` (within half a unit of its last digit); ``truncated`` (the exact value cut,
not rounded); ``mismatch``. A percentage that rests on a count the source did not publish cannot
be recomputed; it is used to infer that count instead and marked ``consistent``, or ``mismatch``
when it alone contradicts the other figures. Totals are checked against the sum of their parts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import overload

import attrs

from engine.records import Figure, Race
from engine.replay import inference
from engine.tally.races import RaceTotals

__all__ = ["COUNT_NAMES", "STATUSES", "Check", "Inferred", "classify", "count_check",
           "count_place", "race_checks", "ratio_check"]

STATUSES = ("exact", "rounded", "truncated", "consistent", "mismatch")


@attrs.frozen
class Check:
    """One published figure and what the counts say it should be.

    ``recomputed`` is exact: an int for counts, a Fraction (percent) for percentages, or None
    when it rests on unpublished counts (then ``low``/``high`` bound it, in percent).
    """

    where: str
    published: int | str
    recomputed: int | Fraction | None
    status: str
    source: str | None = None
    basis: str = ""
    low: Fraction | None = None
    high: Fraction | None = None

    @property
    def is_percent(self) -> bool:
        return isinstance(self.published, str)

    @property
    def difference(self) -> int | Fraction | None:
        """published - recomputed, in votes or percentage points."""
        if self.recomputed is None:
            return None
        pub = Fraction(self.published) if isinstance(self.published, str) else self.published
        return pub - self.recomputed


@attrs.frozen
class Inferred:
    """A count the source did not publish, as the interval its other figures allow."""

    where: str
    low: int
    high: int | None  # None: no bound above but the count limit (nothing published bounds it)
    basis: str = ""
    race: int = -1   # the race's row in the replay
    key: str = ""    # "cast", "invalid", "valid", "against_all", "candidate[k]", "registered"


def classify(exact: Fraction, published: str) -> str:
    """exact / rounded / truncated / mismatch for a percentage printed as ``published``."""
    p = Fraction(published)
    if exact == p:
        return "exact"
    decimals = len(published.partition(".")[2])
    unit = Fraction(1, 10**decimals)
    if abs(exact - p) <= unit / 2:
        return "rounded"
    if (exact // unit) * unit == p:
        return "truncated"
    return "mismatch"


COUNT_NAMES = {"registered": "registered voters", "cast": "ballots cast",
               "issued": "ballots issued",
               "invalid": "invalid ballots", "valid": "valid votes",
               "against_all": "votes against all"}


@overload
def count_check(fig: Figure, value: int, basis: str) -> Check: ...
@overload
def count_check(fig: Figure, value: int | None, basis: str) -> Check | None: ...
def count_check(fig: Figure, value: int | None, basis: str) -> Check | None:
    """A published count against the recomputed one; None when that is unknown."""
    if value is None:
        return None
    status = "exact" if fig.value == value else "mismatch"
    return Check(fig.place, fig.value, value, status, fig.source, basis)


def ratio_check(fig: Figure, num: int | None, den: int | None, basis: str,
                scale: int = 100) -> Check | None:
    """A published percentage (``scale`` 100) or ratio (1) against ``num / den`` exactly."""
    if num is None or den is None or den <= 0:
        return None
    assert isinstance(fig.value, str)  # a percentage keeps the string its source printed
    exact = Fraction(scale * num, den)
    return Check(fig.place, fig.value, exact, classify(exact, fig.value), fig.source, basis)


def count_place(race_place: str, key: str) -> str:
    """Where a race's count lives in the file: ``race[x].cast``, ``race[x].candidate[2].votes``,
    ``race[x].against_all.votes``."""
    if key == "against_all" or key.startswith("candidate["):
        return f"{race_place}.{key}.votes"
    return f"{race_place}.{key}"


def race_checks(race: Race, totals: RaceTotals, r: int, *, turnout_basis: str = "cast"
                ) -> tuple[list[Check], list[Inferred]]:
    """All checks of race ``r`` (row r of ``totals``) and the counts inferred for it; a
    published turnout is ``turnout_basis`` (cast or issued) over registered voters. The
    totals are sums of precinct rows where the race carries precincts (a race whose rows a
    file read in partitions gave carries stand-ins: engine.formats.partition_job)."""
    t = totals
    n = len(race.candidates)

    def val(x: int) -> int | None:
        return int(x) if x >= 0 else None

    v: dict[str, int | None] = {
        "registered": val(t.registered[r]), "cast": val(t.cast[r]), "invalid": val(t.invalid[r]),
        "valid": val(t.valid[r]), "against_all": val(t.against_all[r]),
        **{f"candidate[{k + 1}]": val(t.votes[r, k]) for k in range(n)},
    }
    if turnout_basis == "issued" or ("issued" in t.lines and t.lines["issued"][r] >= 0):
        # the turnout's base, or a bound on the ballots cast (cast <= issued)
        v["issued"] = val(t.lines["issued"][r]) if "issued" in t.lines else None
    names = {**COUNT_NAMES,
             **{f"candidate[{k + 1}]": f"{c.name}'s votes" for k, c in enumerate(race.candidates)}}
    checks: list[Check | None] = []
    option_sum = v["valid"]  # the tally's valid: candidate votes + against all, when all known

    # Totals against the sum of their parts.
    if race.precincts is not None:
        for key in ("registered", "cast", "invalid", "valid", "against_all"):
            given = getattr(race, key)
            if given is not None and v[key] is not None:
                fig = Figure(key, given, f"{race.place}.{key}")
                checks.append(count_check(fig, v[key], "sum of the precincts"))
    else:
        if race.valid is not None and option_sum is not None:
            checks.append(count_check(Figure("valid", race.valid, f"{race.place}.valid"),
                                       option_sum, "candidate votes + against all"))
        if race.cast is not None and race.invalid is not None and option_sum is not None:
            checks.append(count_check(Figure("cast", race.cast, f"{race.place}.cast"),
                                       option_sum + race.invalid,
                                       "candidate votes + against all + invalid"))

    # Published figures: counts compare directly, percentages as ratios.
    ratios: list[tuple[Figure, str, str]] = []
    share_den = race.share_basis

    def take(figs: tuple[Figure, ...], subject: str) -> None:
        for f in figs:
            if f.key in ("votes", "registered", "cast", "valid", "invalid"):
                key = subject if f.key == "votes" else f.key
                c = count_check(f, v[key], f"recomputed {names[key]}")
                if c:
                    checks.append(c)
            elif f.key in ("share", "invalid_share"):
                ratios.append((f, subject if f.key == "share" else "invalid",
                               share_den if f.key == "share" else "cast"))
            elif f.key == "turnout":
                ratios.append((f, turnout_basis, "registered"))

    take(race.published, "")
    for k, c in enumerate(race.candidates):
        take(c.published, f"candidate[{k + 1}]")
    take(race.against_all_published, "against_all")

    open_ratios = []
    for f, num, den in ratios:
        basis = f"{names[num]} / {names[den]}"
        check = ratio_check(f, v[num], v[den], basis)
        if check is None:
            open_ratios.append((f, num, den, basis))
        checks.append(check)

    inferred: list[Inferred] = []
    if open_ratios or any(x is None for x in v.values()):
        checks_open, inferred = _infer(race, r, v, names, open_ratios)
        checks.extend(checks_open)
    return [c for c in checks if c is not None], inferred


def _box(v: dict[str, int | None], parts: tuple[str, ...]) -> list[inference.Sum]:
    """The sums a race's counts obey (valid = the options, cast = valid + invalid, registered =
    cast + those who did not vote, issued = cast + those issued and not in the boxes), so
    valid <= cast <= registered and cast <= issued. A sum its published counts already break
    is left out: the checks and the protocol report it, and it would contradict everything."""
    sums = [inference.Sum("valid", (*parts, "against_all")),
            inference.Sum("cast", ("valid", "invalid")),
            inference.Sum("registered", ("cast", "abstained"))]
    if "issued" in v:
        sums.append(inference.Sum("issued", ("cast", "not_in_boxes")))

    def broken(s: inference.Sum) -> bool:
        total = v.get(s.total)
        known = [v.get(p) for p in s.parts]
        below = sum(x for x in known if x is not None)
        return total is not None and (below > total or (None not in known and below != total))

    return [s for s in sums if not broken(s)]


def _infer(race: Race, r: int, v: dict[str, int | None], names: dict[str, str],
           open_ratios: list) -> tuple[list[Check], list[Inferred]]:
    """Checks of the percentages that rest on unpublished counts, and those counts' intervals;
    with no such percentage, the counts the published ones pin (registered = valid: cast)."""
    top = v["registered"] if v["registered"] is not None else inference.CAP
    bounds = {k: ((x, x) if x is not None else (0, top)) for k, x in v.items()}
    bounds["abstained"] = (0, top)
    bounds["not_in_boxes"] = (0, inference.CAP)
    parts = tuple(k for k in v if k.startswith("candidate["))
    ratios = tuple(inference.Ratio(num, den, *inference.percent_range(f.value), tag=f.place)
                   for f, num, den, _ in open_ratios)
    system = inference.System(bounds=bounds, sums=tuple(_box(v, parts)), ratios=ratios)
    solved = inference.solve(system)
    if not open_ratios:  # the box alone: report what it pins, nothing else
        pinned = [] if solved is None else [
            Inferred(count_place(race.place, key), lo, hi, f"{names[key]}, from the published "
                     "counts (valid <= cast <= registered)", race=r, key=key)
            for key, (lo, hi) in solved.items()
            if key in v and v[key] is None and lo == hi]
        return [], pinned
    blamed = set(inference.culprits(system)) if solved is None else set()
    checks = []
    for f, num, den, basis in open_ratios:
        if solved is None:
            status = "mismatch" if f.place in blamed or not blamed else "consistent"
            checks.append(Check(f.place, f.value, None, status, f.source,
                                basis + ("; contradicts the other published figures"
                                         if status == "mismatch" else "")))
            continue
        (nlo, nhi), (dlo, dhi) = solved[num], solved[den]
        # an unbounded base leaves the share unbounded below (0); an unbounded count above
        # (100%: the base holds the count)
        low = Fraction(0) if dhi is None else Fraction(100 * nlo, dhi) if dhi else None
        high = (Fraction(100 * nhi, dlo) if nhi is not None and dlo else
                Fraction(100) if nhi is None else None)
        checks.append(Check(f.place, f.value, None, "consistent", f.source,
                            basis + " (rests on counts not published)", low, high))
    inferred = []
    if solved is not None:
        for key, (lo, hi) in solved.items():
            if key not in v or v[key] is not None:
                continue
            inferred.append(Inferred(count_place(race.place, key), lo, hi,
                                     f"{names[key]}, from the published percentages and counts",
                                     race=r, key=key))
    return checks, inferred
