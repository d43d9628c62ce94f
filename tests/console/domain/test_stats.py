"""What the statistics page asks metrics for whom, and how its charts and tables carry
metrics' numbers."""

from __future__ import annotations

from datetime import date

import pytest

from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope
from services.console.domain.stats import (
    StatsQuery,
    area_of,
    breakdown_chart,
    category_names,
    evaluation_chart,
    evaluation_shown,
    period_errors,
    report_query,
    shown_value,
    trend_chart,
)

STAFF = Scope("jingxiang", None)
WORKER = Scope("jingxiang", frozenset({"jingxiang-g2", "jingxiang-g1"}))
EVALUATION = {
    "formula": {"zh": "得分 = …", "en": "score = …", "weights": {"resolution_rate": 30}},
    "units": [
        {"unit": "jingxiang-g1", "name": "一网格", "rank": 1, "score": 90.0, "collected": 5,
         "resolved": 5, "resolution_rate": 1.0},
        {"unit": "jingxiang-g3", "name": "三网格", "rank": 2, "score": 0.0, "collected": 3,
         "resolved": 0, "resolution_rate": 0.0},
    ],
    "red_list": [{"unit": "jingxiang-g1", "name": "一网格", "score": 90.0, "rank": 1}],
    "black_list": [{"unit": "jingxiang-g3", "name": "三网格", "score": 0.0, "rank": 2}],
}  # fmt: skip


def test_staff_read_the_community_and_a_grid_worker_their_first_grid():
    assert area_of(STAFF, None).whole_community
    assert area_of(STAFF, "jingxiang-g1").grid_id is None  # staff narrow nothing here
    worker = area_of(WORKER, None)
    assert (worker.grid_id, worker.grids) == ("jingxiang-g1", ("jingxiang-g1", "jingxiang-g2"))
    assert area_of(WORKER, "jingxiang-g2").grid_id == "jingxiang-g2"


@pytest.mark.parametrize("scope", [WORKER, Scope("jingxiang", frozenset())])
def test_a_grid_not_theirs_is_not_found(scope):
    with pytest.raises(NotVisible):
        area_of(scope, "jingxiang-g3")


def test_a_community_in_the_query_is_ignored():
    query = StatsQuery().load({"community_id": "elsewhere", "from": "2026-03-01"})
    assert query == {"since": date(2026, 3, 1)}


def test_a_period_metrics_would_refuse_is_the_fields_error():
    assert period_errors(date(2026, 3, 2), date(2026, 3, 1)) == {"from": "stats_error_order"}
    assert period_errors(date(2025, 1, 1), date(2026, 1, 3)) == {"to": "stats_error_range"}
    assert period_errors(date(2025, 1, 1), date(2026, 1, 2)) == {}  # 367 days, both ends
    assert period_errors(None, date(2026, 1, 2)) == {}


def test_each_report_asks_for_the_area_and_the_evaluation_for_the_quarter_the_period_ends_in():
    grid = area_of(WORKER, None)
    since, until = date(2026, 3, 20), date(2026, 4, 2)
    assert report_query(grid, "trend", since, until) == {
        "community_id": "jingxiang", "grid_id": "jingxiang-g1",
        "from": "2026-03-20", "to": "2026-04-02", "interval": "day",
    }  # fmt: skip
    assert report_query(grid, "evaluation", since, until) == {
        "community_id": "jingxiang", "of": "grid", "quarter": "2026-Q2",
    }  # fmt: skip
    assert report_query(area_of(STAFF, None), "summary", None, None) == {
        "community_id": "jingxiang"
    }


def test_a_grid_worker_reads_only_their_grids_rows_of_the_evaluation():
    shown = evaluation_shown(EVALUATION, area_of(WORKER, None))
    assert [row["unit"] for row in shown["units"]] == ["jingxiang-g1"]
    assert shown["red_list"] == EVALUATION["red_list"] and shown["black_list"] == []
    assert shown["formula"] == EVALUATION["formula"]
    assert evaluation_shown(EVALUATION, area_of(STAFF, None)) == EVALUATION


def test_a_chart_draws_metrics_numbers_unchanged_and_its_table_has_them_all():
    chart = evaluation_chart(EVALUATION)
    spec = chart.spec(str.upper)
    assert spec["categories"] == ["一网格", "三网格"]  # the grids by name
    assert spec["series"] == [{"key": "score", "name": "SCORE", "data": [90.0, 0.0]}]
    assert chart.rows()[0] == ("jingxiang-g1", "一网格", [1, 90.0, 5, 5, 1.0])
    trend = trend_chart({"periods": [{"period": "2026-03-01", "collected": 57, "resolved": 51}]})
    assert [s["data"] for s in trend.spec(str)["series"]] == [[57], [51]]


def test_a_breakdown_has_metrics_columns_and_order_and_nothing_measured_stays_none():
    chart = breakdown_chart("by_team", {
        "red_vests": {"collected": 2, "resolved": 1, "satisfaction_rate": None},
        "green_vests": {"collected": 1, "resolved": 0},
    })  # fmt: skip
    assert chart.id == "chart-by-team" and chart.categories == ["red_vests", "green_vests"]
    assert [series.key for series in chart.series] == ["collected", "resolved", "satisfaction_rate"]
    assert chart.rows() == [
        ("red_vests", "red_vests", [2, 1, None]),
        ("green_vests", "green_vests", [1, 0, None]),
    ]
    assert breakdown_chart("by_grid", {}).rows() == []


def test_figures_are_shown_as_people_read_them():
    assert shown_value("resolution_rate", 0.8947) == "89.5%"
    assert shown_value("change", -0.8) == "-80.0%"
    assert shown_value("median_resolve_seconds", 1800.0) == "30 min"
    assert shown_value("median_resolve_seconds", 9000.0) == "2.5 h"
    assert shown_value("collected", 57) == "57"
    assert shown_value("satisfaction_rate", None) == "—"


def test_categories_show_by_their_names_in_the_pages_language():
    categories = [{"code": "parking.fire_lane", "name": {"zh": "占用消防通道", "en": "Fire lane"}},
                  {"code": "other"}]  # fmt: skip
    names = category_names(categories, "en")
    assert names == {"parking.fire_lane": "Fire lane"}
    chart = breakdown_chart("by_category", {"parking.fire_lane": {"collected": 1}, "x": {}})
    assert chart.named(names).spec(str)["categories"] == ["Fire lane", "x"]
