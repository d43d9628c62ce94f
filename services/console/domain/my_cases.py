"""A person's own cases (`/my`, `/my/cases/<id>`, and the page a message's signed link
opens): which cases are theirs, how their list is grouped, what they may do on each, and
which photos show the problem (before) and which the work (after). Plain Python.

A case is the person's while cases names them its assignee: offered to them (dispatched),
taken (accepted), or resolved by them. Any other case — of another volunteer, declined,
handed on — is "not found" on these pages, as an API answers for a record one may not
see; what cases answers of a case (a private case's details to its assignee only:
services/cases/domain/disclosure.py) is all the page ever shows.

Cases decides every action (its lifecycle and roles); the table below only hides the forms
the assignee could not use, as domain/case_actions.py does for staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console.domain.queue import PHOTO, NotVisible

# action → the states of the case in which its assignee may take it
ACTIONS: dict[str, frozenset[str]] = {
    "accept": frozenset({"dispatched"}),
    "decline": frozenset({"dispatched"}),
    "resolve": frozenset({"accepted"}),
    "extension": frozenset({"accepted"}),  # ask for more time (延期); staff decide
}
OFFERED, TAKEN = "dispatched", "accepted"
DONE = frozenset({"resolved", "closed", "rated"})
RECENT_DONE = 5  # resolved cases the list shows
OPEN_OFFER = "open"  # roster's state of an offer not yet answered
# cases takes 1–9 photos a step, 10 MB each (services/cases/domain/photos.py); the page
# says so and cases refuses more
MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024
AFTER = "after"  # the tag of a photo of the work done


def is_theirs(case: Mapping[str, Any] | None, person_id: str) -> bool:
    return case is not None and case.get("assignee") == person_id


def require_theirs(case: Mapping[str, Any] | None, person_id: str) -> Mapping[str, Any]:
    if not is_theirs(case, person_id):
        raise NotVisible("No such case.")
    assert case is not None
    return case


def actions_for(case: Mapping[str, Any]) -> tuple[str, ...]:
    """What the assignee may do now; no second extension while one waits for staff."""
    pending = (case.get("extension") or {}).get("state") == "pending"
    return tuple(
        action
        for action, states in ACTIONS.items()
        if case["state"] in states and not (action == "extension" and pending)
    )


@dataclass(frozen=True)
class Photos:
    """A case's photos by the step that bound them: `before` the report's (the problem),
    `after` the resolve step's (the work). Each is an attachment as cases names it."""

    before: tuple[str, ...]
    after: tuple[str, ...]


def photos_by_step(case: Mapping[str, Any]) -> Photos:
    after = [
        attachment
        for step in case.get("timeline", ())
        if step["action"] == "resolve"
        for attachment in step.get("attachments", ())
    ]
    return Photos(tuple(case.get("attachments", ())), tuple(after))


def photo_ids(attachments: Iterable[str]) -> list[str]:
    return [a.removeprefix(PHOTO) for a in attachments if a.startswith(PHOTO)]


def case_ids_to_read(
    offers: Iterable[Mapping[str, Any]],
    open_cases: Iterable[str],
    hours: Iterable[Mapping[str, Any]],
    now: datetime,
) -> list[str]:
    """The cases the list reads (each by id): the open offers, the cases the person holds,
    then the latest they were credited hours for or accepted from an offer (resolved
    since, or about to be), each once. Bounded by roster's answers: its latest offers,
    the person's caps, and RECENT_DONE of the rest."""
    open_offers = [
        offer["case_id"]
        for offer in offers
        if offer["state"] == OPEN_OFFER and instant(offer["expires_at"]) > now
    ]
    credited = [entry["case_id"] for entry in reversed(list(hours)) if entry.get("case_id")]
    accepted = [offer["case_id"] for offer in offers if offer["state"] == "accepted"]
    recent = list(dict.fromkeys([*credited, *accepted]))[:RECENT_DONE]
    return list(dict.fromkeys([*open_offers, *open_cases, *recent]))


def instant(text: str) -> datetime:
    """A time as the APIs write it (ISO 8601, with its offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def offer_deadlines(offers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Until when each open offer may be accepted, by case (roster's expiry)."""
    return {o["case_id"]: o["expires_at"] for o in offers if o["state"] == OPEN_OFFER}


def grouped(
    cases: Iterable[Mapping[str, Any]], person_id: str
) -> dict[str, list[Mapping[str, Any]]]:
    """The person's cases as the list shows them: offered (accept by), taken (resolve by,
    soonest first), and recently resolved (latest first)."""
    theirs = [case for case in cases if is_theirs(case, person_id)]
    return {
        "offered": [case for case in theirs if case["state"] == OFFERED],
        "taken": sorted(
            (case for case in theirs if case["state"] == TAKEN),
            key=lambda case: case.get("resolve_by") or "~",  # ISO times in UTC sort as text
        ),
        "done": sorted(
            (case for case in theirs if case["state"] in DONE),
            key=_resolved_at,
            reverse=True,
        )[:RECENT_DONE],
    }


def _resolved_at(case: Mapping[str, Any]) -> str:
    steps = [step for step in case.get("timeline", ()) if step["action"] == "resolve"]
    return str(steps[-1]["at"]) if steps else ""


class BadTime(ValueError):
    """A time the form could not read: said beside its field."""


def until_from_local(text: str, zone: ZoneInfo) -> datetime:
    """The extension's "until" as the phone's date-time field sends it (`2026-03-06T18:00`,
    no zone): a time in the community's zone, which the page names beside the field."""
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise BadTime(text) from None
    return local.replace(tzinfo=zone).astimezone(UTC)


def action_body(action: str, form: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Cases' body for the assignee's action, from its form."""
    if action == "decline":
        return {"reason": form["reason"]}
    if action == "resolve":
        attachments = [PHOTO + photo_id for photo_id in form["photos"].split()]
        return {"resolution": form["resolution"], "attachments": attachments}
    if action == "extension":
        until = until_from_local(form["until"], zone)
        return {"until": until.isoformat(), "reason": form["reason"]}
    return {"note": form["note"]} if form.get("note") else {}  # accept


def link_form_token(secret: str, token: str) -> str:
    """What the forms of a link's page carry instead of a session's CSRF token: made from
    the link with the console's secret, so only a page the link opened can post for it."""
    mac = hmac.new(secret.encode(), f"case-page-form:{token}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()
