"""The home page's figures: the board's filters behind them and the days they cover."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.console.domain.figures import list_named, list_query, today_and_month

NOW = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # 01:00 on the 7th in Shanghai
ZONE = ZoneInfo("Asia/Shanghai")


def test_today_and_this_month_are_the_communitys_days():
    today, month = today_and_month(NOW, ZONE)
    assert (str(today.since), str(today.until)) == ("2026-03-07", "2026-03-07")
    assert (str(month.since), str(month.until)) == ("2026-03-01", "2026-03-07")


def test_a_periods_list_is_the_board_from_its_first_day_in_the_communitys_zone():
    assert list_query("today", NOW, ZONE) == {"from": "2026-03-07"}
    assert list_query("month", NOW, ZONE) == {"from": "2026-03-01"}


def test_extension_requests_are_the_accepted_cases_with_one_pending():
    assert list_query("extensions", NOW, ZONE) == {"state": "accepted", "extension": "pending"}


def test_a_boards_filter_is_named_by_the_figure_it_is_exactly():
    assert list_named({"from": "2026-03-07"}, NOW, ZONE) == "today"
    assert list_named({"state": "resolved"}, NOW, ZONE) == "verification"
    assert list_named({"state": "resolved", "grid": "g1"}, NOW, ZONE) is None
    assert list_named({}, NOW, ZONE) is None
