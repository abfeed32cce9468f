"""A replay as a NIST SP 1500-100 v2 Election Results Reporting document (the JSON form).

Reporting units (``GpUnit``): the nation (its type the election's ``level``: ``country``, or
``state`` for a scenario of OpenElections files), each area beneath it (``other``: ``region``,
``district``, ``area``), each race's territory (``other``: ``electoral-district``, the contest's
district) and its precincts (``precinct``), and the counties the precincts' files name
(``county``, made of their precincts in every race), every unit listing the units it is made
of. Per unit: registered voters (``VotersRegistered``), ballots cast (``VotersParticipated``, and
``BallotsCast`` in the election's ``BallotCounts``) and invalid ballots (``BallotsRejected``).
An area's counts are the sums of its races, written only when the file holds all of the area's
races: when a published ``races`` count of the area, or of an area beneath it, differs from the
file's races there on its day (a file of by-elections under a national table, a sample of the
races), the sums would pass for totals they are not, and the area's unit carries no counts (the
source's own area figures are checked by the replay, not copied here).
One ``CandidateContest`` per race with a ``CandidateSelection`` per candidate and its
``VoteCounts`` (type ``total``) in every precinct and in the race's unit.

Against all: the ballot's "against all" line (where the ballot has one) is a
``CandidateSelection`` without ``CandidateIds`` (its ``@id`` ends in ``-against-all``, its
``SequenceOrder`` follows the candidates'), counted like a candidate's line. The winner's
``PostElectionStatus`` is ``winner`` and the other candidates' ``defeated``; a race without a
winner (a tie, a failed election) gives no status. Registered candidates who withdrew are
listed as ``withdrawn``. Counts the source did not publish are left out, never written as 0; a
candidate without a party has no ``PartyId``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from typing import Any

from engine.errors import ScenarioError
from engine.records import Scenario
from engine.replay.run import Replay

__all__ = ["AGAINST_ALL_SUFFIX", "document", "to_json"]

AGAINST_ALL_SUFFIX = "-against-all"
NOTE = ("Replayed by saylau. A CandidateSelection without CandidateIds (its @id ends in "
        "'-against-all') is the ballot's 'against all' line.")
_LEVELS = {1: "region", 2: "district"}


def _text(content: str) -> dict[str, Any]:
    return {"@type": "ElectionResults.InternationalizedText",
            "Text": [{"@type": "ElectionResults.LanguageString", "Content": content,
                      "Language": "en"}]}


def _local_id(value: str) -> list[dict[str, Any]]:
    return [{"@type": "ElectionResults.ExternalIdentifier", "Type": "local-level",
             "Value": value}]


def _known(**counts: Any) -> dict[str, int]:
    """The counts that are known (>= 0), as Python ints."""
    return {k: int(v) for k, v in counts.items() if v is not None and v >= 0}


def _generated(when: dt.datetime | None) -> str:
    """``when``, else SOURCE_DATE_EPOCH (reproducible outputs), else now; in UTC."""
    if when is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        when = (dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch
                else dt.datetime.now(dt.UTC))
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("saylau")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown"


def _dates(s: Scenario) -> tuple[list[dt.date], str]:
    """The polling days of the scenario and a note on them. StartDate and EndDate are required:
    a scenario without a date is bounded by the year its election's name gives (the note says
    so), and refused without one."""
    days = [d for d in (s.election.date, *(r.date for r in s.races)) if d is not None]
    if days:
        return days, ""
    year = re.search(r"\b(19[5-9]\d|2\d{3})\b", s.election.name)
    if year is None:
        raise ScenarioError(s.file, "election.date", "is required for a NIST SP 1500-100 "
                            "document (its StartDate and EndDate)")
    y = int(year.group())
    return [dt.date(y, 1, 1), dt.date(y, 12, 31)], (
        f" The polling day is not known: StartDate and EndDate bound it by the year {y}.")


def _partial(s: Scenario) -> set[tuple[str, ...]]:
    """Areas of which the file holds only some races: those whose first published ``races``
    differs from the file's races beneath them on their day, and every area above one."""
    partial: set[tuple[str, ...]] = set()
    for a in s.areas:
        published = next((f.value for f in a.figures if f.key == "races"), None)
        day = a.date or s.election.date
        held = sum(1 for r in s.races
                   if r.area[:len(a.path)] == a.path and (r.date or s.election.date) == day)
        if published is not None and published != held:
            partial.update(a.path[:d] for d in range(len(a.path) + 1))
    return partial


def _counties(s: Scenario, race_id: list[str]) -> dict[str, tuple[str, str, list[str]]]:
    """The counties the races' precincts name (OpenElections files): county -> its unit's id,
    its name and its precincts' units (of every race), in the order the races name them."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    for r, race in enumerate(s.races):
        p = race.precincts
        if p is None or p.county is None:
            continue
        for i, county in enumerate(p.county.tolist()):
            if county:
                entry = out.setdefault(county, (f"ru-county-{len(out)}", county, []))
                entry[2].append(f"{race_id[r]}-p{i}")
    return out


def document(rp: Replay, *, generated: dt.datetime | None = None) -> dict[str, Any]:
    """The replay ``rp`` as an ``ElectionResults.ElectionReport`` (plain JSON-ready data)."""
    s, res, areas = rp.scenario, rp.races, rp.areas
    t = res.totals
    e = s.election
    units: list[dict[str, Any]] = []
    ballots: list[dict[str, Any]] = []

    def unit(uid: str, name: str, kind: str, *, other: str | None = None,
             local: str | None = None, parts: list[str] | None = None,
             registered: Any = None, cast: Any = None, invalid: Any = None) -> None:
        u: dict[str, Any] = {"@id": uid, "@type": "ElectionResults.ReportingUnit",
                             "Name": _text(name), "Type": kind}
        if other:
            u["OtherType"] = other
        if local is not None:
            u["ExternalIdentifier"] = _local_id(local)
        if parts:
            u["ComposingGpUnitIds"] = parts
        known = _known(VotersRegistered=registered, VotersParticipated=cast)
        units.append(u | known)
        counted = _known(BallotsCast=cast, BallotsRejected=invalid)
        if counted:
            ballots.append({"@type": "ElectionResults.BallotCounts", "GpUnitId": uid,
                            "Type": "total"} | counted)

    # Areas: every prefix of the races' and the published areas' paths, the nation first.
    paths = dict.fromkeys(areas.paths)
    for a in s.areas:
        paths.update(dict.fromkeys(a.path[:d] for d in range(len(a.path) + 1)))
    area_id = {p: f"ru-area-{i}" for i, p in enumerate(paths)}
    race_id = [f"ru-race-{r}" for r in range(len(s.races))]
    children: dict[tuple[str, ...], list[str]] = {p: [] for p in paths}
    for p in paths:
        if p:
            children[p[:-1]].append(area_id[p])
    for r, race in enumerate(s.races):
        children[race.area].append(race_id[r])
    counties = _counties(s, race_id)
    children[()] += [uid for uid, _, _ in counties.values()]
    partial = _partial(s)
    for p in paths:
        i = areas.paths.index(p) if p in areas.paths else -1
        counted = i >= 0 and areas.races[i] > 0 and p not in partial
        unit(area_id[p], p[-1] if p else e.nation, e.level if not p else "other",
             other=_LEVELS.get(len(p), "area") if p else None, parts=children[p],
             registered=areas.registered[i] if counted else None,
             cast=areas.cast[i] if counted else None,
             invalid=areas.invalid[i] if counted else None)

    for uid, name, parts in counties.values():
        unit(uid, name, "county", parts=parts)

    # Races and their precincts; parties, candidates and contests.
    party_id: dict[str, str] = {}
    people: dict[str, dict[str, Any]] = {}
    candidates: list[dict[str, Any]] = []
    contests: list[dict[str, Any]] = []
    for r, race in enumerate(s.races):
        rows = race.precincts
        precinct_ids = [] if rows is None else [f"{race_id[r]}-p{i}" for i in range(len(rows.ids))]
        unit(race_id[r], race.name, "other", other="electoral-district", local=race.id,
             parts=precinct_ids, registered=t.registered[r], cast=t.cast[r],
             invalid=t.invalid[r])
        if rows is not None:  # else no precinct_ids
            for i, uid in enumerate(precinct_ids):
                unit(uid, str(rows.ids[i]), "precinct", local=str(rows.ids[i]),
                     registered=rows.registered[i], cast=rows.cast[i], invalid=rows.invalid[i])

        def counts(column: Any, total: Any, precinct_ids: list[str] = precinct_ids,
                   race_unit: str = race_id[r]) -> list:
            """VoteCounts of one line: each precinct's (``column``), then the race's."""
            pairs = [*zip(precinct_ids, [] if column is None else column, strict=True),
                     (race_unit, total)]
            return [{"@type": "ElectionResults.VoteCounts", "GpUnitId": uid, "Type": "total",
                     "Count": int(v)} for uid, v in pairs if v >= 0]

        winner = int(res.winner[r])
        selections = []
        for j, c in enumerate(race.candidates):
            cid = f"cand-{r}-{j + 1}"
            cand: dict[str, Any] = {"@id": cid, "@type": "ElectionResults.Candidate",
                                    "BallotName": _text(c.name)}
            if c.party:  # a file without a party column gives none
                cand["PartyId"] = party_id.setdefault(c.party, f"party-{len(party_id) + 1}")
            if c.person or c.birth_date:
                person = people.setdefault(c.person or cid, {
                    "@id": f"person-{len(people) + 1}", "@type": "ElectionResults.Person",
                    "FullName": _text(c.name)})
                if c.birth_date:
                    person["DateOfBirth"] = c.birth_date.isoformat()
                cand["PersonId"] = person["@id"]
            if winner >= 0:
                cand["PostElectionStatus"] = "winner" if j == winner else "defeated"
            candidates.append(cand)
            selections.append({"@id": f"sel-{r}-{j + 1}",
                               "@type": "ElectionResults.CandidateSelection",
                               "CandidateIds": [cid], "SequenceOrder": j + 1,
                               "VoteCounts": counts(None if rows is None else rows.votes[:, j],
                                                    t.votes[r, j])})
        if e.rules.against_all and race.against_all_line:
            selections.append({"@id": f"sel-{r}{AGAINST_ALL_SUFFIX}",
                               "@type": "ElectionResults.CandidateSelection",
                               "SequenceOrder": len(race.candidates) + 1,
                               "VoteCounts": counts(None if rows is None else rows.against_all,
                                                    t.against_all[r])})
        for j, w in enumerate(race.withdrawn, start=1):
            wid = f"cand-{r}-w{j}"
            pid = party_id.setdefault(w.party, f"party-{len(party_id) + 1}")
            candidates.append({"@id": wid, "@type": "ElectionResults.Candidate",
                               "BallotName": _text(w.name), "PartyId": pid,
                               "PostElectionStatus": "withdrawn"})
        contests.append({"@id": f"contest-{r}", "@type": "ElectionResults.CandidateContest",
                         "Name": race.name, "ElectionDistrictId": race_id[r],
                         "ExternalIdentifier": _local_id(race.id), "VotesAllowed": 1,
                         "NumberElected": 1, "SequenceOrder": r + 1,
                         "ContestSelection": selections})

    days, dated = _dates(s)
    election = {
        "@type": "ElectionResults.Election", "Name": _text(e.name), "Type": "general",
        "ElectionScopeId": area_id[()], "StartDate": min(days).isoformat(),
        "EndDate": max(days).isoformat(), "Candidate": candidates, "Contest": contests,
        "BallotCounts": ballots}
    note = NOTE + dated + (f" Source: {e.source}." if e.source else "")
    return {
        "@type": "ElectionResults.ElectionReport",
        "Format": ("precinct-level" if any(x.precincts is not None for x in s.races)
                   else "summary-contest"),
        "GeneratedDate": _generated(generated),
        "Issuer": "saylau",
        "IssuerAbbreviation": "saylau",
        "Notes": note,
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "unofficial-complete",
        "VendorApplicationId": f"saylau {_version()}",
        "Election": [election],
        "GpUnit": units,
        "Party": [{"@id": pid, "@type": "ElectionResults.Party", "Name": _text(name)}
                  for name, pid in party_id.items()],
        "Person": list(people.values()),
    }


def to_json(rp: Replay) -> str:
    """:func:`document` as JSON text (UTF-8, names as written)."""
    return json.dumps(document(rp), ensure_ascii=False, indent=2) + "\n"
