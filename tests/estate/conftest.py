"""Fixtures for estate's tests: its parts on the in-memory twin (tests/backends.py), the
sample community's register imported into them, and the actors who ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from lianxin.access.actors import Actor
from lianxin.store.repository import ensure_indexes
from services.estate import compose
from services.estate.app import register
from services.estate.domain.households import rows_from_csv
from tests.backends import Backend

SAMPLE = Path(__file__).parents[2] / "services" / "estate" / "data" / "jingxiang" / "households.csv"
CONFIG = {"PHONE_SECRET": "test-estate-phone-secret-0123"}


@pytest.fixture
def parts(memory_backend: Backend) -> compose.Parts:
    context = memory_backend.context("estate", CONFIG)
    built = compose.build(context)
    ensure_indexes(context, built)
    return built


@pytest.fixture
def sample(parts) -> register.ImportResult:
    rows = rows_from_csv(SAMPLE.name, SAMPLE.read_text(encoding="utf-8"))
    result = register.import_register(parts.store, rows, parts.digest, None, dry_run=False)
    assert result.applied, result.plan.rejected[:3]
    return result


def staff(community: str = "jingxiang", person: str = "p-staff-1") -> Actor:
    """A staff member acting through the console's key: their token narrows it to theirs."""
    return Actor("k-console", "console", frozenset({"read", "act"}), frozenset({community}),
                 person_id=person, role="staff")  # fmt: skip


def volunteer(community: str = "jingxiang") -> Actor:
    return Actor("k-console", "console", frozenset({"read", "act"}), frozenset({community}),
                 person_id="p-g1-red-1", role="volunteer")  # fmt: skip
