"""``[[maslikhat]]`` tables: maslikhats as electing bodies, and the races that name them.

Under indirect rules (2013-2021) the deputies of a district or town maslikhat elect the akims of
its rural districts, settlements and villages at one sitting (seed 002; DESIGN.md section 4):
the same deputies and the same attendance for every akim it elects. A race names its body
(``maslikhat = "<id>"``) and takes from it its seats (the race's ``registered``, on which the
quorum is counted) and the deputies present (its ``cast``); a race that gives them as well must
agree with its body, and a race without an area takes its body's.
"""

from __future__ import annotations

from collections import Counter

import attrs

from engine.errors import ScenarioError
from engine.formats.toml_reader import Reader
from engine.records import Election, Maslikhat, Race

__all__ = ["attach", "read"]


def read(top: Reader, election: Election) -> tuple[Maslikhat, ...]:
    """Every ``[[maslikhat]]`` table of ``top``, checked on its own."""
    bodies: list[Maslikhat] = []
    seen: dict[str, int] = {}
    for i, t in top.tables("maslikhat"):
        mid = t.str("id", required=True)
        if mid in seen:
            t.fail(f"duplicate maslikhat id {mid!r} (also maslikhat[{seen[mid]}])", "id")
        seen[mid] = i
        if election.rules.kind != "indirect":
            t.fail(f"a maslikhat elects akims under indirect rules; the {election.rules.name} "
                   "rules are direct (the voters elect)")
        body = Maslikhat(id=mid, name=t.str("name", default=mid), place=t.place,
                         area=t.str_list("area"), seats=t.count("seats"),
                         present=t.count("present"), races=t.count("races"),
                         candidates=t.count("candidates"), date=t.date("date"),
                         source=t.str("source"))
        for key in ("seats", "races"):
            if getattr(body, key) == 0:
                t.fail("must be >= 1", key)
        if body.seats is not None and body.present is not None and body.present > body.seats:
            t.fail(f"more deputies present ({body.present}) than seats ({body.seats})",
                   "present")
        if body.races is not None and body.candidates is not None \
                and body.candidates < body.races:
            t.fail(f"fewer candidates ({body.candidates}) than the {body.races} posts it "
                   "filled", "candidates")
        t.close()
        bodies.append(body)
    return tuple(bodies)


def _fail(file: str, place: str, problem: str) -> ScenarioError:
    return ScenarioError(file, place, problem)


def attach(file: str, election: Election, races: tuple[Race, ...],
           bodies: tuple[Maslikhat, ...]) -> tuple[Race, ...]:
    """``races`` with each one naming a maslikhat given its seats, deputies present and area;
    a race naming an unknown body, or disagreeing with its body, is refused."""
    by_id = {b.id: b for b in bodies}
    named: Counter[str] = Counter()
    out = []
    for race in races:
        if race.maslikhat is None:
            out.append(race)
            continue
        where = f"{race.place}.maslikhat"
        if election.rules.kind != "indirect":
            raise _fail(file, where, f"the {election.rules.name} rules are direct: the voters "
                        "elect, not a maslikhat")
        body = by_id.get(race.maslikhat)
        if body is None:
            known = ", ".join(sorted(by_id)) or "none"
            raise _fail(file, where, f"no [[maslikhat]] with id {race.maslikhat!r} "
                        f"(maslikhats: {known})")
        if race.precincts is not None:
            raise _fail(file, where, "a race a maslikhat elects has no polling stations: "
                        "give its deputies' votes on the candidates")
        for key, mine, theirs, what in (("registered", race.registered, body.seats, "seats"),
                                        ("cast", race.cast, body.present, "present")):
            if mine is not None and theirs is not None and mine != theirs:
                raise _fail(file, f"{race.place}.{key}",
                            f"{mine}, but its maslikhat {body.id!r} has {theirs} ({body.place}."
                            f"{what}): the races of one maslikhat share its deputies and its "
                            "sitting")
        present = race.cast if race.cast is not None else body.present
        if present is not None:
            for label, votes in (("votes", [c.votes for c in race.candidates]),
                                 ("revote", [c.revote for c in race.candidates])):
                total = sum(v for v in votes if v is not None)
                if total > present:
                    raise _fail(file, f"{race.place}.candidate",
                                f"the candidates' {label} add up to {total}, more than the "
                                f"{present} deputies present at maslikhat {body.id!r}")
        named[body.id] += 1
        out.append(attrs.evolve(
            race, area=race.area or body.area,
            registered=race.registered if race.registered is not None else body.seats,
            cast=present))
    for body in bodies:
        if body.races is not None and named[body.id] > body.races:
            raise _fail(file, f"{body.place}.races",
                        f"{named[body.id]} races name this maslikhat, more than the posts it "
                        f"filled ({body.races})")
    return tuple(out)
