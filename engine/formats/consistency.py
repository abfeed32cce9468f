"""Counts that cannot be true together, checked once a scenario is read: more ballots than
voters (a race's own counts), more votes than ballots, a precinct id given twice, a model naming
an unknown race."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.errors import ScenarioError
from engine.formats.model_table import AGAINST_ALL
from engine.records import Race, RacePrecincts, Scenario

__all__ = ["check_counts", "check_model", "check_precincts", "impossible", "repeated_precinct"]


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


def check_counts(s: Scenario) -> None:
    """Counts that cannot be true together: more ballots than voters, more votes than ballots."""
    for race in s.races:
        def fail(problem: str, key: str, race: Race = race) -> None:
            raise ScenarioError(s.file, f"{race.place}.{key}", problem)

        p = race.precincts
        if p is not None:
            if race.office is None:  # an OpenElections file's race: its reader warns instead
                check_precincts(s.file, race, p)
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


def check_model(s: Scenario) -> None:
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
            names.add(AGAINST_ALL)
        for option, _ in rm.shares:
            if option not in names:
                raise ScenarioError(s.file, f"{rm.place}.shares.{option}",
                                    f"not an option of race {race.id!r}; options: "
                                    + ", ".join(sorted(names)))
        missing = [c.name for c in race.candidates if c.name not in dict(rm.shares)]
        if missing:
            raise ScenarioError(s.file, f"{rm.place}.shares",
                                f"gives no share for candidate {missing[0]!r}")


def impossible(p: RacePrecincts) -> list[tuple[np.ndarray, str]]:
    """Precinct counts that cannot be read as counts: (P,) masks and what is wrong. Invalid
    ballots or votes beyond the ballots cast; more ballots cast than registered voters can
    happen (voters added on the day) and is the basic protocol's relation ``cast <=
    registered``: a finding, never an error."""
    votes = np.maximum(p.votes, 0).sum(axis=1) + np.maximum(p.against_all, 0)
    return [
        ((p.cast >= 0) & (p.invalid > p.cast), "more invalid ballots than ballots cast"),
        ((p.cast >= 0) & (votes > p.cast), "more votes than ballots cast"),
    ]


def check_precincts(file: str, race: Race, p: RacePrecincts) -> None:
    for bad, problem in impossible(p):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ScenarioError(file, f"{race.place}.precinct[{p.ids[i]}]", problem)
