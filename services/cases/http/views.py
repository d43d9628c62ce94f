"""What the APIs show of a case or a category: personal data masked unless the key is an
admin's (the reporter's name and phone, and phone numbers written into the text)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lianxin.privacy import mask_name, mask_phone
from services.cases.domain.case import Case
from services.cases.domain.mediation import shown_signatories
from services.cases.domain.parties import shown_parties
from services.cases.domain.triage import Category

TRIAGE_FIELDS = ("reporter", "keywords", "staff", "suggestions")
LOCATION_FIELDS = ("grid_id", "area_code", "estate", "building", "unit", "address", "lat", "lon")


def _with_reason(
    record: Mapping[str, Any] | None, text: Callable[[str], str]
) -> dict[str, Any] | None:
    """An escalation or extension as shown: its reason is free text like any note."""
    if not record:
        return None
    shown = dict(record)
    if shown.get("reason"):
        shown["reason"] = text(shown["reason"])
    return shown


WITHHELD = {  # what a private case's view shows of its details to whoever may not see them
    "description": "",
    "place": None,
    "reporter": None,
    "attachments": [],
    "resolution": None,
    "escalation": None,
    "extension": None,
    "appointment": None,
    "mediation": None,
    "parties": [],
    "sessions": [],
}


def case_view(case: Case, unmasked: bool = False, details: bool = True) -> dict[str, Any]:
    """The case as the API shows it; without `details` (a private case, domain/disclosure.py)
    no text, place, reporter, photo or note of it."""
    view = _full_view(case, unmasked)
    if details:
        return view
    view |= WITHHELD
    view["location"] = {"grid_id": case.grid_id}
    view["timeline"] = [{**step, "note": "", "attachments": []} for step in view["timeline"]]
    return view


def _full_view(case: Case, unmasked: bool) -> dict[str, Any]:
    text = (lambda value: value) if unmasked else mask_phone
    reporter = case.reporter or {}
    return {
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "community_id": case.community_id,
        "grid_id": case.grid_id,
        "category": case.category,
        "category_label": dict(case.category_label),
        "private": case.private,
        "team": case.team,
        "priority": case.priority,
        "triage": {key: case.triage.get(key) for key in TRIAGE_FIELDS if key in case.triage},
        "description": text(case.description),
        "channel": case.channel,
        "reported_at": case.reported_at,
        "location": {
            key: (text(value) if key == "address" and value else value)
            for key in LOCATION_FIELDS
            if (value := case.location.get(key)) is not None or key == "grid_id"
        },
        "place": text(case.place),
        "reporter": {
            "name": reporter.get("name") if unmasked else mask_name(reporter.get("name") or ""),
            "phone": reporter.get("phone") if unmasked else mask_phone(reporter.get("phone") or ""),
            "email": reporter.get("email") if unmasked else _mask_email(reporter.get("email")),
        }
        if reporter
        else None,
        "attachments": list(case.attachments),
        "hotline": (
            {key: case.hotline.get(key) for key in ("hotline_id", "order_no", "deadline")}
            if case.hotline
            else None
        ),
        "emergency": dict(case.emergency) if case.emergency else None,
        "accept_by": case.accept_by,
        "resolve_by": case.resolve_by,
        "overdue": list(case.overdue),
        "suspended": case.suspended_since is not None,
        "escalation": _with_reason(case.escalation, text),
        "extension": _with_reason(case.extension, text),
        "appointment": (
            {**case.appointment, "venue": text(case.appointment.get("venue") or "")}
            if case.appointment
            else None
        ),
        "mediation": _mediation(case.mediation, text, unmasked),
        "parties": shown_parties(case.parties, unmasked),
        "sessions": [{**session, "note": text(session["note"])} for session in case.sessions],
        "assignee": case.assignee,
        "assignee_name": case.assignee_name,
        "resolution": text(case.resolution) if case.resolution else case.resolution,
        "volunteer_hours": case.volunteer_hours,
        "rating": case.rating,
        "reopen_count": case.reopen_count,
        "merged_into": dict(case.merged_into) if case.merged_into else None,
        "duplicates": case.duplicates,
        "version": case.version,
        "timeline": [
            {
                "at": step.at,
                "action": step.action,
                "state": step.state,
                "by": step.by,
                "channel": step.channel,
                "role": step.role,
                "note": text(step.note),
                "attachments": list(step.attachments),
            }
            for step in case.timeline
        ],
    }


def _mediation(
    record: Mapping[str, Any] | None, text: Callable[[str], str], unmasked: bool
) -> dict[str, Any] | None:
    """A desk's outcome as shown: the agreement is free text, who signed are names."""
    if not record:
        return None
    return {
        **record,
        "agreement": text(record["agreement"]) if record.get("agreement") else None,
        "signed_by": shown_signatories(record.get("signed_by") or (), unmasked),
        "followed_up": _with_note(record.get("followed_up"), text),
    }


def _with_note(record: Mapping[str, Any] | None, text: Callable[[str], str]) -> dict | None:
    return {**record, "note": text(record.get("note") or "")} if record else None


def _mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{mask_name(local)}@{domain}"


def category_view(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.label,
        "group": category.group,
        "team": category.team,
        "priority": category.priority,
        "private": category.private,
        "limits": {
            priority: {
                "accept_minutes": limit.accept.total_seconds() / 60,
                "resolve_hours": limit.resolve.total_seconds() / 3600,
            }
            for priority, limit in category.limits.items()
        },
        "duplicates": {
            "radius_m": category.duplicate_radius_m,
            "window_hours": category.duplicate_window.total_seconds() / 3600,
        },
    }
