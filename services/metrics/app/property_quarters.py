"""The property company's evaluation as metrics keeps it: each estate's latest closed quarter
(`property.quarter_closed` from estate), for the Prometheus gauges of satisfaction,
complaints and verdict per estate (gauges/families.py). No personal data arrives: the
event carries figures and the verdict only.
"""

from __future__ import annotations

from lianxin.bus.envelope import Envelope
from services.metrics.store import MetricsStore

KEPT = ("community_id", "estate_id", "quarter", "satisfaction", "complaints", "households",
        "ballots", "level")  # fmt: skip


def on_quarter_closed(store: MetricsStore, event: Envelope) -> bool:
    """Keep the estate's closed quarter unless a later one is kept (a replay, or a late
    event of an earlier quarter, changes nothing). Returns whether it was kept."""
    payload = event.payload
    key = f"{payload['community_id']}:{payload['estate_id']}"
    return store.keep_property_quarter(key, {name: payload.get(name) for name in KEPT})
