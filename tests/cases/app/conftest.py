"""The cases use cases on the in-memory store (tests/backends.py): the service's parts as
compose.py builds them, with the community of tests/cases/factories.py known."""

from __future__ import annotations

import pytest

from services.cases import compose
from tests.cases.factories import community


@pytest.fixture
def parts(memory_backend):
    built = compose.build(memory_backend.context("cases"))
    with built.store.area_change("jingxiang") as change:
        change.save(community())
    return built


@pytest.fixture
def published(memory_backend):
    """What the parts published, as the broker would have received it."""
    return memory_backend.published
