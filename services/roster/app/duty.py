"""Duty use cases: who is on duty now, sign-in and sign-out (签到/签退), leave, covers
and extra duty. Each change restarts the rota's clock (rota_clock.py), which turns
the new duty into reminders, duty counts and no-shows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lianxin.bus.deadlines import Deadline
from lianxin.privacy import mask_name
from services.roster.domain import rota as rotas
from services.roster.domain.intervals import Interval
from services.roster.domain.rota import Override, Rota
from services.roster.store import (
    RosterStore,
    rota_from_document,
)

ROTA_TICK = "rota_tick"
CHECK_IN_HOURS = 12  # a sign-in without a sign-out ends by itself after this long
KEEP_OVERRIDES = timedelta(days=2)  # ended overrides stay this long, then only logs keep them
KEEP_LEAVE = timedelta(days=30)
EPSILON = timedelta(microseconds=1)


class RotaNotFound(Exception):
    def __init__(self, rota_id: str):
        super().__init__(f"No rota {rota_id}.")


class PersonNotFound(Exception):
    def __init__(self, person_id: str):
        super().__init__(f"No person {person_id}.")


class NotInTeam(Exception):
    """Only a member of a rota's team can be put on its duty."""


class OverrideNotFound(Exception):
    pass


def leave_of(person: Mapping[str, Any] | None) -> list[Interval]:
    return [(entry["start"], entry["end"]) for entry in (person or {}).get("leave", ())]


def on_duty_now(
    store: RosterStore, rota: Rota, at: datetime, people: dict[str, dict | None]
) -> list[str]:
    """The rota's people on duty at `at`, overrides and leave applied, in rota order.
    `people` caches the person documents read (dispatch uses them next)."""
    found = []
    for person_id in rotas.on_duty(rota, at, store.overrides_of(rota.id)):
        if person_id not in people:
            people[person_id] = store.find("people", person_id)
        if not any(start <= at < end for start, end in leave_of(people[person_id])):
            found.append(person_id)
    return found


def who_is_on_duty(store: RosterStore, grid_id: str, team: str, at: datetime) -> list[dict]:
    """`GET /v1/on-duty`: the team's people on duty for the grid itself, each with their
    open cases against their cap (what staff weigh when they assign by hand; read from
    the person documents dispatch keeps, no query more)."""
    lookup = store.definition("lookups", f"grid:{grid_id}") or {"rotas": []}
    people: dict[str, dict | None] = {}
    listed: dict[str, dict] = {}
    for entry in lookup["rotas"]:
        rota = (
            store.rota(entry["rota_id"])
            if entry["team"] == team and not entry["distance"]
            else None
        )
        for person_id in on_duty_now(store, rota, at, people) if rota else []:
            person = people[person_id] or {"name": person_id}
            listed.setdefault(
                person_id,
                {
                    "person_id": person_id,
                    "display_name": mask_name(person["name"]),
                    "rota_id": rota.id,
                    **load_of(store, people[person_id]),
                },
            )
    return list(listed.values())


def load_of(store: RosterStore, person: Mapping[str, Any] | None) -> dict[str, int | None]:
    """A person's open cases and their cap (the community's default unless set)."""
    if person is None:
        return {"open_cases": 0, "cap": None}
    cap = person.get("max_open_cases") or store.policy(person["community_id"]).dispatch.default_cap
    return {"open_cases": len(person.get("open_cases", ())), "cap": cap}


@dataclass(frozen=True)
class RotaDuty:
    """A rota's duty over a window, with what it was made of: the rota's overrides and the
    documents of everyone in it (their leave, their names)."""

    duty: rotas.Duty
    overrides: list[Override]
    people: dict[str, dict | None]


def rota_duty(store: RosterStore, rota: Rota, window: Interval) -> RotaDuty:
    """A rota's duty over a window, with every override and everyone's leave."""
    overrides = store.overrides_of(rota.id)
    names = dict.fromkeys([*rota.members, *(o.person_id for o in overrides)])
    people = {person: store.find("people", person) for person in names}
    leave = {person: leave_of(found) for person, found in people.items()}
    return RotaDuty(rotas.duty(rota, window, overrides, leave), overrides, people)


def duty_of(store: RosterStore, rota: Rota, window: Interval) -> rotas.Duty:
    return rota_duty(store, rota, window).duty


# -- sign-in, sign-out, covers, extra duty --------------------------------------------------


def fresh_rota(store: RosterStore, rota_id: str) -> Rota:
    stored = store.find("rotas", rota_id)
    if stored is None:
        raise RotaNotFound(rota_id)
    return rota_from_document(stored)


def _require_member(store: RosterStore, rota: Rota, person_id: str) -> dict:
    person = store.find("people", person_id)
    if person is None or person["community_id"] != rota.community_id:
        raise PersonNotFound(person_id)
    if rota.team not in person.get("teams", ()):
        raise NotInTeam(f"{person_id} is not in team {rota.team}.")
    return person


def check_in(store: RosterStore, rota_id: str, person_id: str, now: datetime) -> Override:
    """签到: on duty from now until signing out (or CHECK_IN_HOURS). Signing in twice
    is signing in once."""
    rota = fresh_rota(store, rota_id)
    _require_member(store, rota, person_id)
    with store.overrides.change(rota_id) as change:
        current = overrides_in(change.value)
        open_ = _open_check_in(current, person_id, now)
        if open_ is not None:
            return open_
        signed = Override(
            new_id(), "check_in", person_id, now, now + timedelta(hours=CHECK_IN_HOURS)
        )
        save_overrides(change, [*current, signed], now)
    store.insert("attendance", _attendance(rota, person_id, "check_in", now))
    restart_clock(store, rota_id, now)
    return signed


def check_out(store: RosterStore, rota_id: str, person_id: str, now: datetime) -> list[Override]:
    """签退: off duty from now, whether signed in ad hoc or scheduled for a shift."""
    rota = fresh_rota(store, rota_id)
    _require_member(store, rota, person_id)
    with store.overrides.change(rota_id) as change:
        current = overrides_in(change.value)
        kept = [
            Override(o.id, o.kind, o.person_id, o.start, now, o.replaces, o.note)
            if o.kind in ("check_in", "extra")
            and o.person_id == person_id
            and o.start <= now < o.end
            else o
            for o in current
        ]
        scheduled = rotas.duty(rota, (now, now + timedelta(days=2)), kept).intervals.get(
            person_id, ()
        )
        ending = [end for start, end in scheduled if start <= now < end]
        if ending:
            kept.append(Override(new_id(), "check_out", person_id, now, ending[0]))
        save_overrides(change, kept, now)
    store.insert("attendance", _attendance(rota, person_id, "check_out", now))
    restart_clock(store, rota_id, now)
    return [o for o in kept if o.person_id == person_id and o.end >= now]


def add_override(
    store: RosterStore,
    rota_id: str,
    kind: str,
    person_id: str,
    start: datetime,
    end: datetime,
    replaces: str | None,
    note: str,
    now: datetime,
) -> Override:
    """A cover (`person_id` takes what `replaces` was scheduled for; a swap is two) or
    extra duty, from start to end."""
    rota = fresh_rota(store, rota_id)
    _require_member(store, rota, person_id)
    if replaces:
        _require_member(store, rota, replaces)
    override = Override(new_id(), kind, person_id, start, end, replaces, note)
    with store.overrides.change(rota_id) as change:
        save_overrides(change, [*overrides_in(change.value), override], now)
    restart_clock(store, rota_id, now)
    return override


def remove_override(store: RosterStore, rota_id: str, override_id: str, now: datetime) -> None:
    fresh_rota(store, rota_id)
    with store.overrides.change(rota_id) as change:
        current = overrides_in(change.value)
        kept = [o for o in current if o.id != override_id]
        if len(kept) == len(current):
            raise OverrideNotFound(f"No override {override_id} on {rota_id}.")
        save_overrides(change, kept, now)
    restart_clock(store, rota_id, now)


def overrides_in(stored: Iterable[Override] | None) -> list[Override]:
    """A rota's overrides as its change holds them (None before the first)."""
    return list(stored or ())


def save_overrides(change, overrides: Iterable[Override], now: datetime) -> None:
    """Overrides that ended a while ago go: the document stays small; attendance and
    no-shows keep their own records."""
    kept = [o for o in overrides if o.end > now - KEEP_OVERRIDES]
    change.save(tuple(kept))


def _open_check_in(overrides: Iterable[Override], person_id: str, now: datetime) -> Override | None:
    return next(
        (
            o
            for o in overrides
            if o.kind == "check_in" and o.person_id == person_id and o.start <= now < o.end
        ),
        None,
    )


def _attendance(rota: Rota, person_id: str, kind: str, at: datetime) -> dict:
    return {"_id": new_id(), "rota_id": rota.id, "person_id": person_id, "kind": kind, "at": at}


def new_id() -> str:
    return uuid.uuid4().hex[:16]


# -- leave ----------------------------------------------------------------------------------


def add_leave(
    store: RosterStore,
    person_id: str,
    start: datetime,
    end: datetime,
    reason: str,
    by: str,
    now: datetime,
) -> dict:
    """Leave (请假) takes the person off every rota from start to end."""
    entry = {"id": new_id(), "start": start, "end": end, "reason": reason, "by": by}
    with store.change("people", person_id) as change:
        person = change.value
        if person is None:
            raise PersonNotFound(person_id)
        kept = [e for e in person.get("leave", ()) if e["end"] > now - KEEP_LEAVE]
        change.save({**person, "leave": [*kept, entry]})
    for rota_id in rotas_of(store, person):
        restart_clock(store, rota_id, now)
    return entry


def remove_leave(store: RosterStore, person_id: str, leave_id: str, now: datetime) -> None:
    with store.change("people", person_id) as change:
        person = change.value
        if person is None:
            raise PersonNotFound(person_id)
        kept = [e for e in person.get("leave", ()) if e["id"] != leave_id]
        if len(kept) == len(person.get("leave", ())):
            raise OverrideNotFound(f"No leave {leave_id} for {person_id}.")
        change.save({**person, "leave": kept})
    for rota_id in rotas_of(store, person):
        restart_clock(store, rota_id, now)


def reset_feed(store: RosterStore, person_id: str) -> int:
    """A new version of the person's feed URL (services.roster.http.feed_tokens): every URL
    signed for an older one is turned away from now on. Returns the new version."""
    with store.change("people", person_id) as change:
        person = change.value
        if person is None:
            raise PersonNotFound(person_id)
        version = person.get("feed_version", 0) + 1
        change.save({**person, "feed_version": version})
    return version


def rotas_of(store: RosterStore, person: Mapping[str, Any]) -> list[str]:
    """The rotas of the person's teams (lookups/team:<community>:<team>)."""
    found: list[str] = []
    for team in person.get("teams", ()):
        lookup = store.find("lookups", f"team:{person['community_id']}:{team}") or {"rotas": []}
        found.extend(lookup["rotas"])
    return list(dict.fromkeys(found))


# -- the rota clock -------------------------------------------------------------------------


def restart_clock(store: RosterStore, rota_id: str, now: datetime) -> None:
    """A new chain for the rota's clock, firing now; the old chain's next deadline will
    find its generation superseded."""
    with store.change("rota_clocks", rota_id) as change:
        clock = change.value or {"_id": rota_id, "generation": 0}
        generation = clock.get("generation", 0) + 1
        change.save(
            {**clock, "generation": generation},
            [Deadline(ROTA_TICK, rota_id, now, {"generation": generation})],
        )
