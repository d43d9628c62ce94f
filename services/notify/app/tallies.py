"""A notice's tallies: each batch's deliveries, their states and reads (domain/notices.py).
The delivery pipeline tells them of every later outcome (a held SMS sent when the quiet
hours end, a retry); the batch that made the deliveries tells them first. Each write is
a merge under the tally's lease, so the order they come in does not matter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.notify.domain.delivery import Delivery
from services.notify.domain.notices import merged, tally_id
from services.notify.store import NotifyStore

KIND = "notice"  # a notice's deliveries' kind (and its template's name)


def entry_of(delivery: Delivery, read_at: datetime | None = None) -> dict[str, Any]:
    """What a tally keeps of a delivery: its channel as the notice names it, the masked
    name of whom it reached, its state and attempts, when it was read."""
    return {
        "channel": "group" if delivery.recipient.kind == "group" else "sms",
        "name": delivery.recipient.name,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "read_at": read_at,
    }


def record(store: NotifyStore, cause_id: str, told: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge `told` (delivery id → entry) into the tally of the batch `cause_id` names."""
    if not told:
        return
    key = tally_id(cause_id)
    with store.tallies.change(key) as change:
        entries = dict((change.value or {}).get("entries", {}))
        for delivery_id, entry in told.items():
            entries[delivery_id] = merged(entries.get(delivery_id), entry)
        tally = {"tally": key, "entries": entries}
        change.save(tally, then=lambda: store.sum_tally(tally))


def outcome(store: NotifyStore, delivery: Delivery) -> None:
    """The pipeline's hook: a notice's delivery moved on."""
    if delivery.kind == KIND:
        record(store, delivery.cause_id, {delivery.id: entry_of(delivery)})
