"""Event payloads and queries of the metrics service: tolerant of what producers do not
send yet, strict on what would corrupt a count. Plain Python, no I/O."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from services.metrics.schemas import (
    EVENTS,
    AreaPeriodQuery,
    EvaluationQuery,
    TrendQuery,
)
from tests.metrics.sequences import lifecycle


def test_every_event_of_a_lifecycle_reads_back_as_published():
    for event in lifecycle():
        read = EVENTS.read(event.message())
        assert read.payload["community_id"] == "jingxiang"
        assert read.payload.get("state") == event.payload["state"]


def test_an_about_block_with_only_the_case_and_its_community_is_counted():
    minimal = lifecycle()[0].message()
    minimal["payload"] = {"case_id": "LX-1", "community_id": "jingxiang"}
    assert EVENTS.read(minimal).payload["grid_id"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"community_id": None}, "community_id"),
        ({"rating": 6}, "rating"),
        ({"rating": "5"}, "rating"),
        ({"reported_at": "yesterday"}, "reported_at"),
        ({"which": "lunch"}, "which"),
    ],
)
def test_what_would_corrupt_a_count_is_refused(change, field):
    bad = lifecycle()[-1].message()
    bad["payload"] |= change
    with pytest.raises(ValidationError) as refused:
        EVENTS.read(bad)
    assert field in refused.value.messages


def test_an_event_type_metrics_does_not_count_is_left_alone():
    unknown = lifecycle()[0].message() | {"type": "case.commented"}
    assert EVENTS.read_if_known(unknown) is None


def test_a_period_query_reads_from_and_to_and_bounds_them():
    query = AreaPeriodQuery().load({"community_id": "jx", "from": "2026-01-01", "to": "2026-03-31"})
    assert (query["since"], query["until"]) == (date(2026, 1, 1), date(2026, 3, 31))
    assert "grid_id" not in query
    with pytest.raises(ValidationError) as refused:
        AreaPeriodQuery().load({"community_id": "jx", "from": "0001-01-01"})
    assert "from" in refused.value.messages


@pytest.mark.parametrize(
    ("schema", "query", "field"),
    [
        (AreaPeriodQuery, {}, "community_id"),
        (AreaPeriodQuery, {"community_id": "x" * 65}, "community_id"),
        (TrendQuery, {"community_id": "jx", "interval": "year"}, "interval"),
        (EvaluationQuery, {"community_id": "jx", "quarter": 0}, "quarter"),
        (EvaluationQuery, {"community_id": "jx", "of": "volunteer"}, "of"),
    ],
)
def test_a_bad_query_is_a_field_error(schema, query, field):
    with pytest.raises(ValidationError) as refused:
        schema().load(query)
    assert field in refused.value.messages
