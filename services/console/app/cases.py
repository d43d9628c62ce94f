"""The triage queue and a case's page, and the staff actions on it.

Every action first reads the case with the person's token and checks it is within their
scope (a case of another community or grid is "not found", as the APIs answer), then asks
cases to act: cases' state machine, roles and community rules decide, and a refusal (409
with the current state, 403) comes back to the page as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.app.desk import Desk
from services.console.domain.figures import LIST_LIMIT
from services.console.domain.queue import (
    TRIAGE_STATE,
    actions_for,
    require_visible,
    triage_order,
)

ACTIONS = ("triage", "assign", "verify", "reject")


def triage_queue(desk: Desk) -> list[Mapping[str, Any]]:
    return triage_order(desk.listing(LIST_LIMIT, state=TRIAGE_STATE))


def case_page(desk: Desk, case_id: str) -> dict[str, Any]:
    """The case, the forms the person may use on it, who is on duty for it, and the
    categories triage may choose from."""
    case = require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    actions = actions_for(desk.session.role, case["state"])
    on_duty: list[dict[str, Any]] = []
    if "assign" in actions and case.get("team") and case.get("grid_id"):
        on_duty = desk.services.on_duty(desk.token, case["grid_id"], case["team"])
    categories = desk.services.categories(desk.token) if "triage" in actions else []
    return {"case": case, "actions": actions, "on_duty": on_duty, "categories": categories}


def act(desk: Desk, case_id: str, action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Do `action` on the case with what its form sent (the CSRF token already checked)."""
    require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    return desk.services.act(desk.token, case_id, action, _body(action, form))


def _body(action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    if action == "triage":
        body = {"category": form["category"]}
        return body | ({"priority": form["priority"]} if form.get("priority") else {})
    if action == "assign":
        person_id, _, name = form["assignee"].partition("|")
        return {"person_id": person_id, "display_name": name or person_id} | _note(form)
    if action == "reject":
        return {"reason": form["reason"]}
    return _note(form)  # verify


def _note(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"note": form["note"]} if form.get("note") else {}
