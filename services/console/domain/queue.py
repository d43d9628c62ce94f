"""What the triage queue and the case pages show, and to whom.

The queue (待分类) holds the cases in state `reported` that triage could not map: an
emergency first (marked), then the oldest. A signed-in person sees a case only within
their scope (domain/sessions.py): anything else is "not found", as the APIs answer for
another community's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.console.domain.sessions import Scope

TRIAGE_STATE = "reported"


class NotVisible(Exception):
    """A case outside the person's scope, or none: a 404 either way."""


def visible(scope: Scope, case: Mapping[str, Any]) -> bool:
    return scope.covers(case.get("community_id", ""), case.get("grid_id"))


def require_visible(scope: Scope, case: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if case is None or not visible(scope, case):
        raise NotVisible("No such case.")
    return case


PHOTO = "photo:"  # how cases names an uploaded photo among a report's or a step's files


def photos_of(case: Mapping[str, Any]) -> set[str]:
    """The ids of the photos the case names, in its report or any step: the only photos
    its page may show (a photo of another grid's case is not reached through this one)."""
    named = list(case.get("attachments", ()))
    for step in case.get("timeline", ()):
        named.extend(step.get("attachments", ()))
    return {attachment.removeprefix(PHOTO) for attachment in named if attachment.startswith(PHOTO)}


def require_photo(case: Mapping[str, Any], photo_id: str) -> str:
    if photo_id not in photos_of(case):
        raise NotVisible("No such photo.")
    return photo_id


def triage_order(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Emergencies on top, then the oldest report first."""
    return sorted(cases, key=lambda case: (case.get("emergency") is None, case["reported_at"]))
