"""What notify keeps of a case for its residents: the follow (`follows/<case>`).

Later messages about a case need what later events do not carry: the description and
the location `case.reported` tells, and whom to tell — the reporter's contact, only when
they consented, and the reporters of duplicates merged into the case (`followers`, by
the duplicate's case id). A case's end (closed, rejected, or merged into another) tells
them one last time, then lets the contacts go; a merged case hands its reporters over
to the case it joined, whose later progress then reaches them too.

Events arrive in any order: a merge may be read before the duplicate's report. The
follow remembers the merge (`merged_into`); a report read after it hands its reporter
over at once and tells them of the merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lianxin.bus.envelope import Envelope
from services.notify.store import NotifyStore

# The events whose news the follow keeps; the last three end the case for its residents.
FOLLOWED = frozenset({"case.reported", "case.closed", "case.rejected", "case.merged"})
ENDING = frozenset({"case.closed", "case.rejected", "case.merged"})
FOLLOWER_LIMIT = 20  # reporters of duplicates a case keeps telling; more are not followed
FOLLOWED_FIELDS = (
    "number",
    "community_id",
    "grid_id",
    "category",
    "team",
    "priority",
    "place",
    "location",
    "description",
)


def follow(store: NotifyStore, event: Envelope) -> dict[str, Any]:
    """The follow as this event's messages need it: for an ending event, with the
    contacts it lets go. Changes it for the events it follows (FOLLOWED).

    A case's first event usually finds no follow yet: then one unique insert creates
    it, instead of a change under a lease (five commands on FerretDB)."""
    case_id = event.payload["case_id"]
    if event.type not in FOLLOWED:
        return store.follows.get(case_id) or {}
    if event.type == "case.reported":
        created = _followed({}, event)
        if store.create_follow(case_id, created, applied=event.event_id):
            return created
    with store.follows.change(case_id) as change:
        document = change.value or {}
        if change.has_applied(event.event_id):
            return document
        told = _followed(document, event)
        if not _ended(told):
            change.save(told, applied=event.event_id)
            return told
        into = (told.get("merged_into") or {}).get("case_id")
        if into:
            _hand_over(store, into, residents(case_id, told))
        last = {**told, "contact": None, "followers": {}}  # told for the last time
        change.save(last, applied=event.event_id)
    return told


def residents(case_id: str, document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Whom the case's progress is told to, by the case they reported: its reporter (if
    they consented) and the reporters of the duplicates merged into it."""
    found = dict(document.get("followers") or {})
    if document.get("contact"):
        found[case_id] = document["contact"]
    return found


def known(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the follow keeps, for an event that does not tell it itself."""
    keys = (*FOLLOWED_FIELDS, "category_label")
    found = {key: document[key] for key in keys if document.get(key) not in (None, "")}
    if document.get("merged_into"):
        found["into_number"] = document["merged_into"].get("number")
    return found


def _followed(document: Mapping[str, Any], event: Envelope) -> dict[str, Any]:
    """The follow with what `event` tells."""
    changed = dict(document)
    payload = event.payload
    for key in FOLLOWED_FIELDS:
        if payload.get(key) not in (None, ""):
            changed[key] = payload[key]
    if payload.get("category_label"):
        changed["category_label"] = dict(payload["category_label"])
    contact = payload.get("contact")
    if event.type == "case.reported" and contact and contact.get("consent"):
        changed["contact"] = dict(contact)
    if event.type == "case.merged":
        changed["merged_into"] = {
            "case_id": payload.get("into_case_id"),
            "number": payload.get("into_number"),
        }
    if event.type in ENDING:
        changed["ended"] = event.type
    return changed


def _ended(document: Mapping[str, Any]) -> bool:
    """Whether the case has ended for its residents: then no contact is kept (a report
    read after its case's merge or end is told, handed over, and let go at once)."""
    return bool(document.get("ended"))


def _hand_over(store: NotifyStore, into: str, reporters: Mapping[str, Mapping[str, Any]]) -> None:
    """The reporters of a merged case follow the case it joined, keyed by the case they
    reported (a repeat adds nobody twice); not once that case has ended."""
    if not reporters:
        return
    with store.follows.change(into) as change:
        document = change.value or {}
        if _ended(document):
            return
        followers = dict(document.get("followers") or {})
        for case_id, contact in reporters.items():
            if case_id in followers or len(followers) < FOLLOWER_LIMIT:
                followers[case_id] = dict(contact)
        change.save({**document, "followers": followers})
