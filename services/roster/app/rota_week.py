"""A grid's and team's week of duty (`GET /v1/rota-week`): the shifts day by day, who was
scheduled and who is on duty once covers, sign-ins, sign-outs, no-shows and leave are
applied, the gaps and overlaps `roster check` reports (views.grid_cover, the same rule),
the overrides and leave behind them, and recorded no-shows.

Everything is read by `_id`: the grid's lookup (the rotas serving it), each rota, its
overrides, the team, the people in it and, for a rota that needs sign-ins, each past
shift's no-show record (`no_shows/<rota>:<person>:<shift start>`): a few dozen documents,
whatever the size of the community.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.actors import Actor
from lianxin.privacy import mask_name
from services.roster.app.duty import RotaDuty, rota_duty
from services.roster.app.views import NotFound, grid_cover
from services.roster.domain.intervals import Interval, intersect
from services.roster.domain.rota import Rota, Shift
from services.roster.store import RosterStore

DAYS = 7


def week_of(day: date) -> date:
    """The Monday of the ISO week a day falls in."""
    return day - timedelta(days=day.weekday())


def rota_week(
    store: RosterStore,
    grid_id: str,
    team: str | None,
    day: date | None,
    now: datetime,
    actor: Actor,
) -> dict[str, Any]:
    """The week (Monday to Sunday, in the community's zone) that holds `day` (without one,
    the community's today: from Sunday 16:00 UTC it is Monday in Beijing), and the teams
    whose rotas serve the grid (to choose another); without a team, the first of them."""
    grid = store.definition("areas", grid_id)
    if grid is None or grid.get("kind") != "grid" or not actor.sees(grid.get("community_id") or ""):
        raise NotFound(f"No grid {grid_id}.")
    zone = zone_of(store, grid["community_id"])
    monday = week_of(day or now.astimezone(zone).date())
    window = (midnight(monday, zone), midnight(monday + timedelta(days=DAYS), zone))
    lookup = store.definition("lookups", f"grid:{grid_id}") or {"rotas": []}
    teams = list(dict.fromkeys(e["team"] for e in lookup["rotas"] if not e["distance"]))
    team = team or (teams[0] if teams else "")
    serving = [
        found
        for entry in lookup["rotas"]
        if entry["team"] == team and not entry["distance"]
        for found in [store.rota(entry["rota_id"])]
        if found is not None
    ]
    duties = [rota_duty(store, rota, window) for rota in serving]
    team_document = store.definition("teams", f"{grid['community_id']}:{team}") or {"code": team}
    cover = grid_cover(team_document, grid_id, [d.duty for d in duties], window)
    return {
        "grid_id": grid_id,
        "team": team,
        "teams": [_team(store, grid["community_id"], code) for code in teams],
        "community_id": grid["community_id"],
        "timezone": str(zone),
        "start": window[0],
        "end": window[1],
        "rotas": [_rota(found) for found in duties],
        "shifts": [s for found in duties for s in _shifts(found, window)],
        "gaps": cover["gaps"],
        "overlaps": cover["overlaps"],
        "overrides": [o for found in duties for o in _overrides(found, window)],
        "leave": [entry for found in duties for entry in _leave(found, window)],
        "no_shows": [n for found in duties for n in _no_shows(store, found.duty.rota, window, now)],
    }


def _team(store: RosterStore, community_id: str, code: str) -> dict[str, str]:
    found = store.definition("teams", f"{community_id}:{code}") or {}
    return {"code": code, "name": found.get("name") or code}


def zone_of(store: RosterStore, community_id: str) -> ZoneInfo:
    """The community's time zone, in which its weeks run Monday to Sunday."""
    community = store.definition("areas", community_id) or {}
    return ZoneInfo(community.get("timezone") or "Asia/Shanghai")


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _named(people: Mapping[str, dict | None], person_id: str) -> dict[str, str]:
    found = people.get(person_id) or {}
    return {"person_id": person_id, "display_name": mask_name(found.get("name") or person_id)}


def _rota(found: RotaDuty) -> dict[str, Any]:
    rota = found.duty.rota
    return {
        "rota_id": rota.id,
        "check_in_required": rota.check_in_required,
        "members": [_named(found.people, person) for person in rota.members],
    }


def _shifts(found: RotaDuty, window: Interval) -> list[dict[str, Any]]:
    """Each shift with its crew as scheduled and who is on duty during it."""
    spans = found.duty.intervals
    return [
        {
            "rota_id": shift.rota_id,
            "start": shift.start,
            "end": shift.end,
            "scheduled": [_named(found.people, person) for person in shift.people],
            "on_duty": [
                _named(found.people, person)
                for person, held in spans.items()
                if intersect(held, (shift.start, shift.end))
            ],
        }
        for shift in found.duty.rota.shifts(*window)
    ]


def _overrides(found: RotaDuty, window: Interval) -> list[dict[str, Any]]:
    start, end = window
    return [
        {
            **_named(found.people, override.person_id),
            "rota_id": found.duty.rota.id,
            "id": override.id,
            "kind": override.kind,
            "replaces": override.replaces,
            "start": override.start,
            "end": override.end,
            "note": override.note,
        }
        for override in found.overrides
        if override.start < end and override.end > start
    ]


def _leave(found: RotaDuty, window: Interval) -> list[dict[str, Any]]:
    """The leave of the rota's people within the week (a person in two rotas: each)."""
    start, end = window
    return [
        {**_named(found.people, person), **entry, "rota_id": found.duty.rota.id}
        for person, document in found.people.items()
        for entry in (document or {}).get("leave", ())
        if entry["start"] < end and entry["end"] > start
    ]


def _no_shows(store: RosterStore, rota: Rota, window: Interval, now: datetime) -> Iterable[dict]:
    """Recorded no-shows of the week's past shifts, read by their `_id`; only a rota that
    needs sign-ins records any."""
    if not rota.check_in_required:
        return []
    past: list[Shift] = [s for s in rota.shifts(*window) if s.start < now]
    found = (
        store.find("no_shows", f"{rota.id}:{person}:{shift.start.isoformat()}")
        for shift in past
        for person in shift.people
    )
    return [record for record in found if record is not None]
