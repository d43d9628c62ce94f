"""Every estate event that names a quarter names it one way, `2026-Q4` (lianxin/quarters.py):
the pact's events once said `2026Q4`, and a consumer would have had two names to match."""

from __future__ import annotations

import pytest

from lianxin.contracts.estate import ESTATE

NAMING = sorted(t for t in ESTATE.types if "quarter" in ESTATE.schema(t).fields)


def test_the_pact_and_the_property_evaluation_events_name_quarters():
    assert NAMING == [
        "pact.list_published", "pact.observation_decided", "pact.observation_recorded",
        "property.quarter_closed",
    ]  # fmt: skip


@pytest.mark.parametrize("type_", NAMING)
def test_an_event_names_its_quarter_2026_q4_and_no_other_way(type_):
    schema = ESTATE.schema(type_)
    assert "quarter" not in schema.validate({"quarter": "2026-Q4"}, partial=True)
    for other in ("2026Q4", "0000-Q1", "2026-Q4\n", "2026-q4"):
        assert "quarter" in schema.validate({"quarter": other}, partial=True), other
