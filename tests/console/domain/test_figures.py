"""The home page's figures: the lists behind them and the days they cover."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.console.domain.figures import (
    LIST_LIMIT,
    WORKLISTS,
    counted,
    period_query,
    shown,
    today_and_month,
)

NOW = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # 01:00 on the 7th in Shanghai
ZONE = ZoneInfo("Asia/Shanghai")


def test_today_and_this_month_are_the_communitys_days():
    today, month = today_and_month(NOW, ZONE)
    assert (str(today.since), str(today.until)) == ("2026-03-07", "2026-03-07")
    assert (str(month.since), str(month.until)) == ("2026-03-01", "2026-03-07")


def test_a_periods_list_starts_at_its_first_moment_in_the_communitys_zone():
    assert period_query("today", NOW, ZONE) == {"from": "2026-03-07T00:00:00+08:00"}
    assert period_query("month", NOW, ZONE) == {"from": "2026-03-01T00:00:00+08:00"}


def test_extension_requests_are_the_accepted_cases_with_one_pending():
    cases = [{"extension": {"state": "pending"}}, {"extension": {"state": "approved"}}, {}]
    assert len(counted(WORKLISTS["extensions"], cases)) == 1
    assert len(counted(WORKLISTS["overdue"], cases)) == 3


def test_a_full_listing_shows_as_more():
    assert shown(3) == "3" and shown(LIST_LIMIT) == f"{LIST_LIMIT}+"
