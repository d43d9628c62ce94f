"""The metrics repository on a store backend, with a lease clock a test moves by hand:
`store` on every backend (its contract, test_store.py), `memory_store` in memory alone
(use-case tests, in milliseconds)."""

from __future__ import annotations

import pytest

from lianxin.store.repository import ensure_indexes
from services.metrics.store import MetricsStore
from tests.backends import Backend, FakeClock

METRICS_LEASE_TTL = 10.0


def metrics_store(backend: Backend, clock: FakeClock) -> MetricsStore:
    context = backend.context("metrics", lease_ttl_seconds=METRICS_LEASE_TTL, clock=clock)
    metrics = MetricsStore(context)
    ensure_indexes(context, metrics)
    return metrics


@pytest.fixture
def store(backend, clock) -> MetricsStore:
    return metrics_store(backend, clock)


@pytest.fixture
def memory_store(memory_backend, clock) -> MetricsStore:
    return metrics_store(memory_backend, clock)
