"""Volunteer hours (志愿时长): the approvals queue, staff decisions, corrections, a person's
and a household's ledger, and the CSV export.

Roster holds the ledger and its rules: only staff decide and correct
(`actor.require_role("staff")`), nobody their own hours, an approval grants at most what
was credited, in quarter hours. The console shows the forms to staff only and passes
every refusal back as roster gave it; a grid leader or worker reads the pages as roster
lets them read the ledger, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.app.desk import Desk
from services.console.domain.hours import correction_key, may_decide

QUEUE_PAGE = 50


def queue(desk: Desk, after: str | None) -> dict[str, Any]:
    """A page of the credits waiting for staff, oldest first."""
    community = desk.session.scope.community_id
    found = desk.services.waiting_hours(desk.token, community, after, QUEUE_PAGE)
    return {"queue": found, "deciding": may_decide(desk.session.role)}


def waiting_count(desk: Desk) -> int:
    """How many credits wait in the community (the home page's figure)."""
    community = desk.session.scope.community_id
    return desk.services.waiting_hours(desk.token, community, None, 1)["waiting"]


def decide(desk: Desk, entry_id: str, decision: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """Approve (optionally fewer hours than credited) or reject, with a note."""
    body: dict[str, Any] = {"note": form.get("note") or ""}
    if decision == "approve" and form.get("hours"):
        body["hours"] = float(form["hours"])
    return desk.services.decide_hours(desk.token, entry_id, decision, body)


def person_ledger(desk: Desk, person_id: str) -> dict[str, Any]:
    """A person's ledger, with their (masked) name."""
    person = desk.services.ledger_person(desk.token, person_id)
    return {
        "person": person,
        "ledger": desk.services.person_hours(desk.token, person_id),
        "correcting": may_decide(desk.session.role),
    }


def household_ledger(desk: Desk, household_id: str) -> dict[str, Any]:
    community = desk.session.scope.community_id
    return {"ledger": desk.services.household_hours(desk.token, community, household_id)}


def correct(desk: Desk, person_id: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """A correction with its reason, named by its form's key: one entry however often the
    form is sent."""
    body = {"hours": float(form["hours"]), "reason": form["reason"]}
    if form.get("case_id"):
        body["case_id"] = form["case_id"]
    key = correction_key(desk.session.person_id, form["request_key"])
    return desk.services.correct_hours(desk.token, person_id, body, key)


def export(desk: Desk, by: str) -> tuple[bytes, str]:
    return desk.services.hours_csv(desk.token, desk.session.scope.community_id, by)
