"""Use cases of counting: an event into its facts, a batch of facts into the totals,
and the rebuild of every partition's totals from the stored facts (admin work)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lianxin.bus.envelope import Envelope
from services.metrics.app.zones import ZoneOf
from services.metrics.domain.measures import facts_of
from services.metrics.domain.totals import Fact
from services.metrics.events import READS
from services.metrics.store import MetricsStore


def count_message(
    count: Callable[[list[Fact]], None], zone_of: ZoneOf, message: Mapping[str, Any]
) -> int:
    """Read a message as metrics reads its events (events.READS) and count it; a type
    metrics does not count is left alone. Returns the facts counted."""
    event = READS.read_if_known(message)
    return 0 if event is None else count_event(count, zone_of, event)


def count_event(count: Callable[[list[Fact]], None], zone_of: ZoneOf, event: Envelope) -> int:
    """Turn an event into its facts and wait until batches have stored them; events
    metrics does not count are acknowledged and forgotten. Returns the facts counted."""
    facts = facts_of(event.event_id, event.type, event.occurred_at, event.payload, zone_of)
    if facts:
        count(facts)
    return len(facts)


def fold_facts(store: MetricsStore, facts: list[Fact], batch_id: str) -> int:
    """Store one partition's facts of a batch (lianxin.bus.batches calls this)."""
    return store.fold(facts[0].partition, facts, batch_id)


def rebuild(store: MetricsStore, apply: bool) -> list[dict]:
    """Recompute every partition's totals from the stored facts; list those that differ
    and, with `apply`, write the recomputed totals."""
    differences = []
    for partition in store.partitions():
        stored, recomputed = store.recount(partition, apply)
        if not stored.same_as(recomputed):
            differences.append(
                {"day": partition.id, "stored": stored.cells, "recomputed": recomputed.cells}
            )
    return differences
