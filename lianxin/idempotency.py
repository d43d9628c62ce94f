"""Remembering applied events inside the aggregate (DESIGN.md rule 4).

The effect of an event and the record that it was applied land in the same
document write, so a redelivered event is recognised and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

APPLIED = "applied_events"


def already_applied(document: Mapping[str, Any] | None, event_id: str) -> bool:
    return bool(document) and event_id in document.get(APPLIED, ())


def record_applied(document: Mapping[str, Any], event_id: str) -> dict[str, Any]:
    applied = list(document.get(APPLIED, ()))
    if event_id not in applied:
        applied.append(event_id)
    return {**document, APPLIED: applied}
