"""The statistics page's use cases against a stand-in for metrics: what is asked, in what
order, and what a grid worker may download."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.console.apis import Download
from services.console.app import stats
from services.console.app.desk import Desk
from services.console.domain import sessions
from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope
from services.console.domain.stats import BREAKDOWNS, area_of

BRIEF = {"collected": 1, "resolved": 0}


class Metrics:
    """Answers as metrics would, and remembers what it was asked."""

    def __init__(self):
        self.asked: list[tuple[str, dict]] = []

    def stats(self, token: str, report: str, query: dict) -> dict:
        self.asked.append((report, query))
        return {
            "summary": {"from": "2026-03-04", "to": "2026-04-02", "timezone": "Asia/Shanghai",
                        **{name: {"g": BRIEF} for name in BREAKDOWNS}},
            "trend": {"periods": []},
            "hotline": {"months": []},
            "evaluation": {"formula": {"weights": {}}, "units": [{"unit": "g1"}, {"unit": "g2"}],
                           "red_list": [{"unit": "g2"}], "black_list": []},
        }[report]  # fmt: skip

    def categories(self, token: str) -> list[dict]:
        self.asked.append(("categories", {}))
        return [{"code": "g", "name": {"zh": "类别", "en": "a category"}}]

    def stats_csv(self, token: str, report: str, query: dict) -> Download:
        self.asked.append((f"{report}.csv", query))
        return Download(b"scope,value\n", 'attachment; filename="summary.csv"')


def desk(metrics: Metrics, grids: frozenset[str] | None) -> Desk:
    now = datetime(2026, 4, 2, tzinfo=UTC)
    session = sessions.start("id", "p-1", "王**", "staff", Scope("c", grids), now)
    return Desk(metrics, "token", session)  # type: ignore[arg-type]


def test_every_report_is_asked_and_the_evaluation_is_of_the_quarter_the_period_ends_in():
    metrics = Metrics()
    staff = area_of(Scope("c", None), None)
    shown = stats.statistics(desk(metrics, None), staff, None, date(2026, 4, 2), "en",
                             {"g": "by scanning"})  # fmt: skip
    asked = dict(metrics.asked)
    assert set(asked) == {"summary", "trend", "hotline", "evaluation", "categories"}
    assert asked["evaluation"] == {"community_id": "c", "of": "grid", "quarter": "2026-Q2"}
    assert asked["trend"] == {"community_id": "c", "to": "2026-04-02", "interval": "day"}
    assert list(shown["charts"]) == [
        "chart-trend", "chart-hotline", "chart-evaluation",
        "chart-by-grid", "chart-by-team", "chart-by-category", "chart-by-channel",
    ]  # fmt: skip
    assert shown["downloads"] == {"from": "2026-03-04", "to": "2026-04-02"}
    assert shown["charts"]["chart-by-category"].shown == ["a category"]
    assert shown["charts"]["chart-by-channel"].shown == ["by scanning"]


def test_without_a_last_day_metrics_chooses_the_period_and_its_quarter():
    metrics = Metrics()
    stats.statistics(desk(metrics, None), area_of(Scope("c", None), None), None, None, "zh")
    assert dict(metrics.asked)["evaluation"] == {"community_id": "c", "of": "grid"}


def test_a_grid_worker_is_asked_their_grid_and_shown_no_breakdown():
    metrics = Metrics()
    scope = Scope("c", frozenset({"g1"}))
    shown = stats.statistics(desk(metrics, scope.grids), area_of(scope, None), None, None, "zh")
    asked = dict(metrics.asked)
    assert all(asked[report]["grid_id"] == "g1" for report in ("summary", "trend", "hotline"))
    assert "categories" not in asked  # no breakdown to name
    assert "chart-by-grid" not in shown["charts"]
    assert [row["unit"] for row in shown["evaluation"]["units"]] == ["g1"]
    assert shown["evaluation"]["red_list"] == []


def test_a_grid_worker_downloads_their_grids_reports_but_not_the_whole_ranking():
    metrics = Metrics()
    scope = Scope("c", frozenset({"g1"}))
    area = area_of(scope, None)
    got = stats.export(desk(metrics, scope.grids), area, "summary", date(2026, 3, 1), None)
    assert got.content.startswith(b"scope")
    assert metrics.asked == [("summary.csv", {"community_id": "c", "grid_id": "g1",
                                              "from": "2026-03-01"})]  # fmt: skip
    for report in ("evaluation", "volunteers", "../keys"):
        with pytest.raises(NotVisible):
            stats.export(desk(metrics, scope.grids), area, report, None, None)
    assert len(metrics.asked) == 1
