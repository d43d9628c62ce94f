"""The metrics store on the real FerretDB, with a lease clock a test moves by hand."""

from __future__ import annotations

import pytest

from lianxin.config import Settings
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases
from lianxin.store.repository import StoreContext, ensure_indexes
from services.metrics.store import MetricsStore

METRICS_LEASE_TTL = 10.0


@pytest.fixture
def store(test_db, clock) -> MetricsStore:
    writes = ConditionalWrites(Engine.detect(test_db))
    leases = Leases(
        test_db["leases"], writes, ttl_seconds=METRICS_LEASE_TTL, wait_seconds=5, clock=clock
    )
    context = StoreContext(
        test_db, writes.engine, writes, leases, lambda message: None, Settings("metrics"), {}
    )
    metrics = MetricsStore(context)
    ensure_indexes(context, metrics)
    return metrics
