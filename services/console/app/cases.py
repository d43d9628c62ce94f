"""The triage queue and a case's page, and the staff actions on it.

Every action first reads the case with the person's token and checks it is within their
scope (a case of another community or grid is "not found", as the APIs answer), then asks
cases to act with the form's own Idempotency-Key: cases' state machine, roles and
community rules decide, and a refusal (409 with the current state, 403, 400 with field
errors) comes back to the page as it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from services.console.app.desk import Desk
from services.console.domain.case_actions import CASES_PATHS, actions_for
from services.console.domain.figures import LIST_LIMIT
from services.console.domain.queue import (
    TRIAGE_STATE,
    NotVisible,
    require_photo,
    require_visible,
    triage_order,
)

# the timeline's actions after which cases answered the hotline's order (hotline.reply)
HOTLINE_REPLIES = frozenset({"reject", "verify", "rate", "request_extension"})


def triage_queue(desk: Desk) -> dict[str, Any]:
    """The queue, and the categories' names its suggestions are said with."""
    cases = triage_order(desk.listing(LIST_LIMIT, state=TRIAGE_STATE))
    suggesting = any((case.get("triage") or {}).get("suggestions") for case in cases)
    categories = desk.services.categories(desk.token) if suggesting else []
    return {"cases": cases, "category_names": {c["code"]: c["name"] for c in categories}}


def case_page(desk: Desk, case_id: str) -> dict[str, Any]:
    """The case, the forms the person may use on it (each with its own key), who is on
    duty for it with their load, and for triage the categories (those suggested first)
    and the places it may be put."""
    case = require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    actions = actions_for(desk.session.role, case)
    on_duty: list[dict[str, Any]] = []
    if "assign" in actions and case.get("team") and case.get("grid_id"):
        on_duty = desk.services.on_duty(desk.token, case["grid_id"], case["team"])
    triaging = "triage" in actions
    categories = desk.services.categories(desk.token) if triaging else []
    places = desk.services.triage_places(desk.token, case["community_id"]) if triaging else []
    replies = [step for step in case.get("timeline", ()) if step["action"] in HOTLINE_REPLIES]
    return {
        "case": case,
        "actions": actions,
        "form_keys": {action: secrets.token_urlsafe(18) for action in actions},
        "on_duty": on_duty,
        "categories": suggested_first(categories, (case.get("triage") or {}).get("suggestions")),
        "places": places_by_grid(places),
        "hotline_replies": replies if case.get("hotline") else [],
    }


def photo(desk: Desk, case_id: str, photo_id: str, thumbnail: bool) -> tuple[bytes, str]:
    """A photo the case names, as cases serves it to the person (its bytes and type):
    the case must be within the person's scope and name the photo."""
    case = require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    found = desk.services.photo(desk.token, require_photo(case, photo_id), thumbnail)
    if found is None:
        raise NotVisible("No such photo.")
    return found


def act(desk: Desk, case_id: str, action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Do `action` on the case with what its form sent (the CSRF token already checked)."""
    require_visible(desk.session.scope, desk.services.case(desk.token, case_id))
    return desk.services.act(
        desk.token, case_id, CASES_PATHS[action], body_of(action, form), form["form_key"]
    )


def body_of(action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Cases' body for the action, from its form."""
    if action == "triage":
        body = {"category": form["category"]}
        body |= {"priority": form["priority"]} if form.get("priority") else {}
        kind, _, code = form.get("place", "").partition(":")
        return body | ({"location": {PLACE_FIELDS[kind]: code}} if code else {})
    if action == "assign":
        person_id, _, name = form["assignee"].partition("|")
        return {"person_id": person_id, "display_name": name or person_id} | _note(form)
    if action == "merge":
        return {"into": form["into"]}
    if action == "extension":
        return {"approved": form["decision"] == "approve"} | _note(form)
    if "reason" in form:  # reject, reopen, suspend, withdraw
        return {"reason": form["reason"]}
    return _note(form)  # verify, resume, note


PLACE_FIELDS = {"grid": "grid_id", "area": "area_code"}


def _note(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"note": form["note"]} if form.get("note") else {}


def suggested_first(
    categories: list[dict[str, Any]], suggestions: list[str] | None
) -> list[dict[str, Any]]:
    """The taxonomy with the categories cases suggested on top, marked, best first."""
    order = {code: index for index, code in enumerate(suggestions or ())}
    marked = [{**category, "suggested": category["code"] in order} for category in categories]
    return sorted(marked, key=lambda category: order.get(category["code"], len(order)))


def places_by_grid(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The picker's groups: each grid, then its estates, buildings and units in registry
    order (cases lists them by kind, then code), each said with its parents' names."""
    names = {area["code"]: area for area in areas}
    grids = [area for area in areas if area["kind"] == "grid"]
    return [
        {
            "grid": grid,
            "places": [
                {**area, "said": _said(area, names)}
                for area in sorted(
                    (a for a in areas if a["kind"] != "grid" and a["grid_id"] == grid["code"]),
                    key=lambda a: _said(a, names),
                )
            ],
        }
        for grid in grids
    ]


def _said(area: Mapping[str, Any], names: Mapping[str, Mapping[str, Any]]) -> str:
    """"井湘小区 5栋 2单元": the area's name after its parents' below the grid, each said
    once (a registry often names a unit "5栋2单元" under "5栋": then the unit's name says
    both, as cases says a place)."""
    said = [area["name"]]
    parent = names.get(area.get("parent") or "")
    while parent is not None and parent["kind"] != "grid" and len(said) < 5:
        if not said[0].startswith(parent["name"]):
            said.insert(0, parent["name"])
        parent = names.get(parent.get("parent") or "")
    return " ".join(said)
