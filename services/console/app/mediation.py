"""The mediation desk's pages (矛盾调处): the desk's board and a dispute's desk record with
its forms, and the desk's actions on a dispute.

Every read and every action goes to cases with the person's token, so cases decides who
may see a private dispute's details (the assignee and the community's officials) and who
may act; the console first checks the case is within the person's scope (another
community's or grid's is "not found", as the APIs answer). An action is sent with its
form's own key as the Idempotency-Key: a confirmation posted twice acts once.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from lianxin.contracts.calendars import DeskCalendar, desks
from services.console.app.desk import Desk
from services.console.domain.figures import LIST_LIMIT
from services.console.domain.mediation import (
    CASES_PATHS,
    available,
    desk_board,
    signatories,
)
from services.console.domain.queue import NotVisible, require_visible

MEDIATORS_LIMIT = 200


def community_desk(community_id: str) -> DeskCalendar | None:
    """The community's desk that keeps hours (the first, should it keep several)."""
    found = [desk for key, desk in sorted(desks().items()) if desk.community_id == community_id]
    return found[0] if found else None


def board(desk: Desk, now: datetime) -> dict[str, Any]:
    """The desk page: the community's disputes (each of the desk team's categories, within
    the person's grids) sorted into what the desk does next."""
    calendar = community_desk(desk.session.scope.community_id)
    if calendar is None:
        return {"calendar": None}
    categories = [c for c in desk.services.categories(desk.token) if c["team"] == calendar.team]
    disputes = [
        case
        for category in categories
        for case in desk.listing(LIST_LIMIT, category=category["code"])
    ]
    return {"calendar": calendar, "board": desk_board(calendar, disputes, now)}


def dispute(desk: Desk, case_id: str) -> dict[str, Any]:
    """A dispute's desk record and the forms the person may use on it, each with its own
    key; the desk team's people, whom a session names as its mediators."""
    case = require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    calendar = community_desk(case["community_id"])
    if calendar is None or case.get("team") != calendar.team:
        raise NotVisible("This case is no desk's dispute.")
    forms = available(desk.session.role, case, desk.session.person_id)
    mediators = []
    if "session" in forms:
        found = desk.services.people(
            desk.token, case["community_id"], team=calendar.team, active=True, limit=MEDIATORS_LIMIT
        )
        mediators = list(found.get("people", ()))
    return {
        "case": case,
        "calendar": calendar,
        "forms": forms,
        "form_keys": {form: secrets.token_urlsafe(18) for form in forms},
        "mediators": mediators,
    }


class BadLocalTime(ValueError):
    """A day or time the form could not read: said beside its field."""


def act(
    desk: Desk,
    case_id: str,
    action: str,
    form: Mapping[str, Any],
    calendar: DeskCalendar,
    now: datetime,
) -> dict[str, Any]:
    """Do the desk's `action` on the dispute with what its confirmed form sent."""
    require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    body = body_of(action, form, calendar, now)
    return desk.services.act(desk.token, case_id, CASES_PATHS[action], body, form["form_key"])


def body_of(
    action: str, form: Mapping[str, Any], calendar: DeskCalendar, now: datetime
) -> dict[str, Any]:
    """Cases' body for the action, from its form."""
    if action == "appointment":
        return {"starts_at": form["starts_at"], "minutes": form["minutes"], "venue": form["venue"]}
    if action == "party":
        phone = {"phone": form["phone"]} if form["phone"] else {}
        return {"name": form["name"], "role": form["role"], "consent": form["consent"], **phone}
    if action == "session":
        mediators = [form["mediator"], *([form["co_mediator"]] if form["co_mediator"] else [])]
        return {
            "held_at": form["held_at"],
            "minutes": form["minutes"],
            "parties": present(form),
            "mediators": list(dict.fromkeys(mediators)),
            "note": form["note"],
        }
    if action == "outcome":
        if form["result"] == "agreement":
            signed = signatories(form["signed_by"])
            return {"result": "agreement", "agreement": form["agreement"], "signed_by": signed}
        referred = {"referred_to": form["referred_to"]} if form["referred_to"] else {}
        return {"result": "referral", "department": form["department"], **referred}
    if not form["happened_on"]:
        return {"note": form["note"]}
    return {"note": form["note"], "happened_at": local_day(form["happened_on"], calendar, now)}


def present(form: Mapping[str, Any]) -> list[str]:
    """The parties ticked present (`party_1`, ... → `P1`, ...)."""
    return [f"P{n}" for n in range(1, 11) if form.get(f"party_{n}")]


def local_day(text: str, calendar: DeskCalendar, now: datetime) -> str:
    """A day as the date field sends it (`2026-12-11`): its noon in the desk's zone (or
    now, today before noon), when a visit is said to have been made or an answer come."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise BadLocalTime(text) from None
    return min(datetime.combine(day, time(12), tzinfo=calendar.zone), now).isoformat()
