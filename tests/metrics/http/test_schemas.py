"""The statistics' queries (http/schemas.py): bounded periods, field errors for bad
input. Plain Python, no I/O."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from services.metrics.http.schemas import AreaPeriodQuery, EvaluationQuery, TrendQuery


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
        (EvaluationQuery, {"community_id": "jx", "quarter": "0000-Q1"}, "quarter"),
        (EvaluationQuery, {"community_id": "jx", "quarter": "2026Q1"}, "quarter"),
        (EvaluationQuery, {"community_id": "jx", "of": "volunteer"}, "of"),
    ],
)
def test_a_bad_query_is_a_field_error(schema, query, field):
    with pytest.raises(ValidationError) as refused:
        schema().load(query)
    assert field in refused.value.messages
