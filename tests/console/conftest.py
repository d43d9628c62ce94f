"""The console's repository on a store backend: `store` on every backend (its contract,
test_store.py), `memory_store` in memory alone (use-case tests, in milliseconds)."""

from __future__ import annotations

import pytest

from lianxin.store.repository import ensure_indexes
from services.console.store import ConsoleStore
from tests.backends import Backend, FakeClock

SECRET = "test-console-secret-0123456789"


def console_store(backend: Backend, clock: FakeClock) -> ConsoleStore:
    context = backend.context("console", clock=clock)
    store = ConsoleStore(context)
    ensure_indexes(context, store)
    return store


@pytest.fixture
def store(backend, clock) -> ConsoleStore:
    return console_store(backend, clock)


@pytest.fixture
def memory_store(memory_backend, clock) -> ConsoleStore:
    return console_store(memory_backend, clock)
