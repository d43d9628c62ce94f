"""Use cases of the metrics service."""

from __future__ import annotations

from datetime import date

from lianxin.envelope import Envelope
from services.metrics import domain
from services.metrics.store import MetricsStore


def count_event(store: MetricsStore, event: Envelope) -> None:
    """Count a case fact once: the bucket records the event id in the same write."""
    fact = event.payload
    empty = domain.Bucket(
        fact["community_id"], domain.local_day(event.occurred_at), fact["category"]
    )
    with store.change(empty) as change:
        if change.applied(event.event_id):
            return
        change.save(domain.count(change.bucket, event.type, fact), event.event_id)


def summary(store: MetricsStore, community_id: str, since: date, until: date) -> dict:
    buckets = store.buckets_of(community_id, since, until)
    return {
        "community_id": community_id,
        "from": since.isoformat(),
        "to": until.isoformat(),
        **domain.summarise(buckets),
    }
