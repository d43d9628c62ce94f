"""The rota week page (排班) and its leave and cover forms.

Roster reads the week (`GET /v1/rota-week`) and decides every change with the person's
token: leave and covers are for staff and grid leaders, of their community. The console
narrows further to the person's grids: a grid leader changes only the rotas of a grid of
theirs, and only for people in them. Each change first reads the week it is made from and
checks that the rota, the person, the leave or the cover is in it: anything else is "not
found", as the APIs answer for another community's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.console.app.desk import Desk
from services.console.domain.queue import NotVisible
from services.console.domain.rota import DAYS, may_edit, monday_of, week_days


def grids_of(desk: Desk) -> list[str]:
    """The grids the person may look at: theirs, or every grid of the community for staff."""
    scope = desk.session.scope
    if scope.grids is not None:
        return sorted(scope.grids)
    found = desk.services.rota_grids(desk.token, scope.community_id)
    return [area["code"] for area in found if not area.get("removed")]


def week(desk: Desk, grid_id: str, team: str | None, day: date) -> dict[str, Any]:
    """Roster's week of the grid and team, once the grid is within the person's scope."""
    scope = desk.session.scope
    if scope.grids is not None and grid_id not in scope.grids:
        raise NotVisible(f"No grid {grid_id}.")
    found = desk.services.rota_week(desk.token, grid_id, team, monday_of(day).isoformat())
    if not scope.covers(found["community_id"], grid_id):
        raise NotVisible(f"No grid {grid_id}.")
    return found


def week_page(
    desk: Desk, grid_id: str | None, team: str | None, day: date
) -> tuple[dict[str, Any], ZoneInfo]:
    """What the week page shows, and the community's zone (roster names it)."""
    grids = grids_of(desk)
    chosen = grid_id or (grids[0] if grids else None)
    if chosen is None:
        raise NotVisible("No grid to show.")
    found = week(desk, chosen, team, day)
    zone = ZoneInfo(found["timezone"])
    monday = monday_of(day)
    return {
        "week": found,
        "grids": grids,
        "days": week_days(found, zone),
        "monday": monday,
        "previous_week": monday - timedelta(days=DAYS),
        "next_week": monday + timedelta(days=DAYS),
        "members": {
            m["person_id"]: m["display_name"] for r in found["rotas"] for m in r["members"]
        },
        "editable": may_edit(desk.session.role),
    }, zone


# Each change takes the week it was made from (`shown`, read again) and its form.


def add_leave(desk: Desk, shown: Mapping[str, Any], form: Mapping[str, Any]) -> None:
    """Leave for someone in the week's rotas (roster takes them off every rota)."""
    _member(shown, form["person_id"])
    body = {**_window(form, shown), "reason": form.get("reason") or ""}
    desk.services.add_leave(desk.token, form["person_id"], body)


def remove_leave(desk: Desk, shown: Mapping[str, Any], form: Mapping[str, Any]) -> None:
    person_id, leave_id = form["person_id"], form["leave_id"]
    if not any(e["id"] == leave_id and e["person_id"] == person_id for e in shown["leave"]):
        raise NotVisible(f"No leave {leave_id}.")
    desk.services.remove_leave(desk.token, person_id, leave_id)


def add_override(desk: Desk, shown: Mapping[str, Any], form: Mapping[str, Any]) -> None:
    """A cover (someone takes another's duty) or extra duty on one of the week's rotas."""
    rota_id = form["rota_id"]
    _member(shown, form["person_id"], rota_id)
    body = {
        "kind": form["kind"],
        "person_id": form["person_id"],
        **_window(form, shown),
        "note": form.get("note") or "",
    }
    if form.get("replaces"):
        _member(shown, form["replaces"], rota_id)
        body["replaces"] = form["replaces"]
    desk.services.add_override(desk.token, rota_id, body)


def remove_override(desk: Desk, shown: Mapping[str, Any], form: Mapping[str, Any]) -> None:
    rota_id, override_id = form["rota_id"], form["override_id"]
    if not any(o["id"] == override_id and o["rota_id"] == rota_id for o in shown["overrides"]):
        raise NotVisible(f"No cover {override_id}.")
    desk.services.remove_override(desk.token, rota_id, override_id)


def _member(shown: Mapping[str, Any], person_id: str, rota_id: str | None = None) -> None:
    """The person is in one of the week's rotas (in `rota_id`, when named)."""
    for rota in shown["rotas"]:
        if rota_id in (None, rota["rota_id"]) and any(
            member["person_id"] == person_id for member in rota["members"]
        ):
            return
    raise NotVisible(f"No {person_id} in this rota.")


def _window(form: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, str]:
    """The form's local times (`datetime-local`, in the community's zone) as instants."""
    zone = ZoneInfo(shown["timezone"])
    return {name: _instant(form[name], zone) for name in ("start", "end")}


def _instant(local: datetime, zone: ZoneInfo) -> str:
    return local.replace(tzinfo=zone).isoformat()
