"""Use cases of the metrics service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from lianxin.envelope import Envelope
from services.metrics import domain
from services.metrics.store import MetricsStore


def count_event(count: Callable[[domain.Fact], None], event: Envelope) -> None:
    """Turn an event into its fact and wait until a batch has stored it; events metrics
    does not count are acknowledged and forgotten."""
    fact = domain.fact_of(event.event_id, event.type, event.occurred_at, event.payload)
    if fact is not None:
        count(fact)


def fold_facts(store: MetricsStore, facts: list[domain.Fact], batch_id: str) -> int:
    """Store one community-day's facts of a batch (FactBatches calls this)."""
    return store.fold(facts[0].community_id, facts[0].day, facts, batch_id)


def summary(store: MetricsStore, community_id: str, since: date, until: date) -> dict:
    days = store.days_of(community_id, domain.days_between(since, until))
    return {
        "community_id": community_id,
        "from": since.isoformat(),
        "to": until.isoformat(),
        **domain.summarise(days),
    }


def rebuild(store: MetricsStore, apply: bool) -> list[dict]:
    """Recompute every day's totals from the stored facts; list the days that differ
    and, with `apply`, write the recomputed totals."""
    differences = []
    for community_id, day in store.partitions():
        stored, recomputed = store.recount(community_id, day)
        if dict(stored.cells) != dict(recomputed.cells):
            differences.append(
                {"day": recomputed.id, "stored": stored.cells, "recomputed": recomputed.cells}
            )
            if apply:
                store.replace_totals(recomputed)
    return differences
