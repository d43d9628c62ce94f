"""A person's week of duty (`GET /v1/people/{id}/duty-week`): their shifts from Monday to
Sunday in the community's zone across every rota they are on (domain/duty_week.py), and
where they stand in each rota now: what a volunteer's own duty page shows and signs in to.

Everything is read by `_id`: the person, the lookups of their teams (`team:<community>:
<team>`, the rotas of each team), each rota and its overrides, the rotas' teams and grids
(definitions, cached), and for a grid worker asking, their own record. The calendar feed
(app/feeds.py) reads the same rotas the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.actors import Actor
from services.roster.app.duty import PersonNotFound, leave_of, rotas_of
from services.roster.app.rota_week import DAYS, midnight, week_of, zone_of
from services.roster.app.views import person as visible_person
from services.roster.domain import duty_week as rule
from services.roster.domain.intervals import Interval
from services.roster.domain.rota import Duty, Override, Rota
from services.roster.store import RosterStore


@dataclass(frozen=True)
class OnRota:
    """A rota the person is on, with its overrides and the person's duty over a window."""

    rota: Rota
    overrides: list[Override]
    duty: Duty  # the person's only


def rotas_on(store: RosterStore, person: Mapping[str, Any], window: Interval) -> Iterator[OnRota]:
    """The rotas of the person's teams they are on, each with their duty over the window
    (their leave applied)."""
    leave = leave_of(person)
    for rota_id in rotas_of(store, person):
        rota = store.rota(rota_id)
        if rota is None:
            continue
        overrides = store.overrides_of(rota_id)
        if rule.is_on(rota, overrides, person["_id"]):
            duty = rule.person_duty(rota, window, overrides, person["_id"], leave)
            yield OnRota(rota, overrides, duty)


def duty_week(
    store: RosterStore, person_id: str, monday: date | None, now: datetime, actor: Actor
) -> dict[str, Any]:
    """The week starting `monday` (default: this week in the community's zone). Another
    community's person, or one the actor may not read (domain rule), is not found."""
    person = visible_person(store, person_id, actor)
    zone = zone_of(store, person["community_id"])
    monday = monday or week_of(now.astimezone(zone).date())
    window = (midnight(monday, zone), midnight(monday + timedelta(days=DAYS), zone))
    on = list(rotas_on(store, person, window))
    grids = [*(person.get("home_grids") or ()), *(g for found in on for g in found.rota.grids)]
    reader = store.find("people", actor.person_id) if actor.person_id else None
    if not rule.may_read(actor.person_id, actor.role, reader, person_id, grids):
        raise PersonNotFound(person_id)
    leave = leave_of(person)
    rotas = [_rota(store, found, person_id, leave, zone, now) for found in on]
    return {
        "person_id": person_id,
        "community_id": person["community_id"],
        "timezone": str(zone),
        "week": monday,
        "start": window[0],
        "end": window[1],
        "rotas": [entry for entry, _ in rotas],
        "shifts": sorted(
            (shift for _, shifts in rotas for shift in shifts),
            key=lambda shift: (shift["start"], shift["rota_id"]),
        ),
    }


def _rota(
    store: RosterStore,
    found: OnRota,
    person_id: str,
    leave: list[Interval],
    zone: ZoneInfo,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A rota of the person's with where they stand in it now, and their shifts in it."""
    names = _names(store, found.rota)
    now_in = rule.standing(found.rota, found.overrides, person_id, leave, now)
    entry = {
        **names,
        "check_in_required": found.rota.check_in_required,
        "checked_in_at": now_in.checked_in_at,
        "on_duty_now": now_in.on_duty_now,
    }
    shifts = [
        _shift(shift, names, zone, now_in.on_duty_now)
        for shift in rule.shifts_of(found.duty, found.overrides, person_id, now)
    ]
    return entry, shifts


def _names(store: RosterStore, rota: Rota) -> dict[str, Any]:
    """The rota's id, team and grids, each with its name."""
    team = store.definition("teams", f"{rota.community_id}:{rota.team}") or {}
    return {
        "rota_id": rota.id,
        "team": {"code": rota.team, "name": team.get("name") or rota.team},
        "grids": [
            {"grid_id": grid, "name": (store.definition("areas", grid) or {}).get("name") or grid}
            for grid in rota.grids
        ],
    }


def _shift(
    shift: rule.PersonShift, names: Mapping[str, Any], zone: ZoneInfo, on_duty_now: bool
) -> dict[str, Any]:
    start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    return {
        **names,
        "day": start.date(),
        "start": start.astimezone(UTC),
        "end": end.astimezone(UTC),
        "start_local": start,
        "end_local": end,
        "on_duty": shift.on_duty,
        "under_way": shift.under_way,
        "on_duty_now": shift.under_way and on_duty_now,
        "covering": shift.covering,
    }
