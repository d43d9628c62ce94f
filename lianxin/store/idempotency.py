"""Remembering applied events inside the aggregate (docs/architecture.md rule 4).

The effect of an event and the record that it was applied land in the same
document write, so a redelivered event is recognised and changes nothing. The
record keeps the last `keep` ids only, so no document grows with the number of
events: a consumer that also orders events (a case's version) needs no more than
the few that may still be redelivered. Typed aggregates keep this record for every
change that names the event it applies (lianxin.store.typed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

APPLIED = "applied_events"


def already_applied(
    document: Mapping[str, Any] | None, event_id: str, field: str = APPLIED
) -> bool:
    return bool(document) and event_id in document.get(field, ())


def record_applied(
    document: Mapping[str, Any], event_id: str, keep: int | None = None, field: str = APPLIED
) -> dict[str, Any]:
    applied = list(document.get(field, ()))
    if event_id not in applied:
        applied.append(event_id)
    return {**document, field: applied[-keep:] if keep else applied}
