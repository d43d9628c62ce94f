"""Summaries, trends, the hotline rate, volunteers and times (domain/reports.py; their CSV
is http/test_exports.py's). Plain Python, no I/O."""

from __future__ import annotations

from datetime import date, timedelta

from services.metrics.domain import reports
from services.metrics.domain.totals import ALL, Partition, Totals
from tests.metrics.sequences import DAY, Folded, lifecycle, opened


def day_of(day: date, **measures: int) -> Totals:
    return Totals(Partition("jx", day), {(*ALL, m): n for m, n in measures.items()})


# Summaries


def test_the_field_notes_numbers_57_collected_and_51_resolved():
    days = [
        day_of(
            DAY,
            reported=57,
            resolved=51,
            cohort_resolved=51,
            resolved_on_time=48,
            resolved_first_time=50,
            reopened=1,
            returned=2,
            rated=40,
            satisfied=36,
            rating_sum=170,
        )
    ]
    summary = reports.summarise(days, None)
    assert (summary["collected"], summary["resolved"]) == (57, 51)
    assert summary["resolution_rate"] == 0.8947  # 51 / 57
    assert summary["on_time_rate"] == 0.9412  # 48 / 51
    assert summary["first_time_rate"] == 0.9804  # 50 / 51
    assert summary["reopen_rate"] == 0.0196  # 1 / 51
    assert summary["return_rate"] == 0.0351  # 2 / 57
    assert summary["satisfaction_rate"] == 0.9  # 36 / 40
    assert summary["satisfaction_mean"] == 4.25
    assert summary["totals"]["reported"] == 57


def test_the_resolution_rate_follows_the_cohort_not_the_period_flows():
    """Ten collected in the period, four of them resolved since; eight resolutions in the
    period (four of older cases): the rate is 0.4, not 0.8."""
    summary = reports.summarise([day_of(DAY, reported=10, resolved=8, cohort_resolved=4)], None)
    assert summary["resolution_rate"] == 0.4
    assert summary["resolved"] == 8


def test_an_empty_period_has_zero_counts_and_no_rates():
    summary = reports.summarise([], None)
    assert summary["collected"] == summary["resolved"] == 0
    assert summary["resolution_rate"] is None and summary["satisfaction_rate"] is None
    assert summary["time_to_resolve"] == {
        "count": 0,
        "median_seconds": None,
        "p90_seconds": None,
        "mean_seconds": None,
        "min_seconds": None,
        "max_seconds": None,
    }
    assert summary["backlog"] == {"total": 0, "by_state": {}, "overdue": 0}
    assert set(summary["totals"]) == set(reports.TOTALS)


def test_the_backlog_is_open_cases_now_and_never_below_zero():
    live = Totals(
        Partition("jx"),
        {
            (*ALL, "state:dispatched"): 3,
            (*ALL, "state:accepted"): -1,  # a transition counted before the arrival
            (*ALL, "state:resolved"): 7,
            (*ALL, "state:closed"): 20,
            (*ALL, "overdue_open"): 2,
            ("grid", "g1", "state:dispatched"): 2,
        },
    )
    assert reports.backlog(live) == {"total": 3, "by_state": {"dispatched": 3}, "overdue": 2}
    assert reports.backlog(live, "g1")["total"] == 2
    assert reports.backlog(live, "g9")["total"] == 0


def test_a_grid_summary_has_the_grids_numbers_and_no_breakdowns():
    folded = Folded().fold([*lifecycle("LX-1"), *opened("LX-2", grid_id="jingxiang-g2")])
    summary = reports.summarise(list(folded.days().values()), folded.live(), "jingxiang-g2")
    assert (summary["collected"], summary["resolved"]) == (1, 0)
    assert summary["backlog"]["by_state"] == {"dispatched": 1}
    assert "by_grid" not in summary


# Trends


def test_a_daily_trend_has_every_day_of_the_range_even_empty_ones():
    days = {DAY: day_of(DAY, reported=2), DAY + timedelta(days=2): day_of(DAY, reported=1)}
    rows = reports.trend(days, DAY, DAY + timedelta(days=2), "day", None)
    assert [(row["period"], row["collected"]) for row in rows] == [
        ("2026-03-06", 2),
        ("2026-03-07", 0),
        ("2026-03-08", 1),
    ]


def test_weeks_start_on_monday_and_months_are_clipped_to_the_range():
    days = {date(2026, 3, d): day_of(date(2026, 3, d), reported=1) for d in range(1, 32)}
    weeks = reports.trend(days, date(2026, 3, 6), date(2026, 3, 16), "week", None)
    assert [(row["period"], row["from"], row["to"], row["collected"]) for row in weeks] == [
        ("2026-W10", "2026-03-06", "2026-03-08", 3),
        ("2026-W11", "2026-03-09", "2026-03-15", 7),
        ("2026-W12", "2026-03-16", "2026-03-16", 1),
    ]
    months = reports.trend(days, date(2026, 2, 20), date(2026, 3, 10), "month", None)
    assert [(row["period"], row["collected"]) for row in months] == [
        ("2026-02", 0),
        ("2026-03", 10),
    ]


# The hotline rate


def hotline_day(day: date, cases: int) -> Totals:
    return Totals(Partition("jx", day), {("channel", "hotline", "reported"): cases})


def test_the_hotline_rate_fell_80_percent_year_on_year():
    """2,156 households; 50 hotline complaints in the first half of last year, 10 this year."""
    since, until = date(2026, 1, 1), date(2026, 6, 30)
    this_year = {date(2026, 3, 1): hotline_day(date(2026, 3, 1), 10)}
    last_year = {
        date(2025, 2, 1): hotline_day(date(2025, 2, 1), 30),
        date(2025, 5, 9): hotline_day(date(2025, 5, 9), 20),
    }
    report = reports.hotline(this_year, last_year, since, until, 2156, None)
    assert report["hotline_cases"] == 10
    assert report["per_1000_households"] == 4.64
    assert report["last_year"] == {
        "from": "2025-01-01",
        "to": "2025-06-30",
        "hotline_cases": 50,
        "per_1000_households": 23.19,
    }
    assert report["change"] == -0.8
    assert [m["month"] for m in report["months"]] == [f"2026-0{n}" for n in range(1, 7)]
    february = report["months"][1]
    assert (february["hotline_cases"], february["last_year_hotline_cases"]) == (0, 30)


def test_a_grid_hotline_rate_counts_the_grids_own_hotline_reports():
    day = Totals(
        Partition("jx", DAY),
        {
            ("grid_channel", "g1|hotline", "reported"): 2,
            ("grid_channel", "g1|wechat", "reported"): 5,
            ("channel", "hotline", "reported"): 9,
        },
    )
    report = reports.hotline({DAY: day}, {}, DAY, DAY, 104, "g1")
    assert report["hotline_cases"] == 2
    assert report["change"] is None  # nothing last year to compare with


def test_no_households_known_means_no_rate_rather_than_a_wrong_one():
    report = reports.hotline({DAY: hotline_day(DAY, 3)}, {}, DAY, DAY, 0, None)
    assert report["per_1000_households"] is None


def test_the_same_day_last_year_of_29_february_is_the_28th():
    assert reports.same_day_last_year(date(2028, 2, 29)) == date(2027, 2, 28)


# Volunteers


def test_volunteers_are_listed_by_hours_with_their_cases():
    day = Totals(
        Partition("jx", DAY),
        {
            ("person", "p-1", "hours_milli"): 1500,
            ("person", "p-1", "resolved"): 2,
            ("person", "p-2", "hours_milli"): 3250,
            ("person", "p-2", "accepted"): 1,
            ("person", "p-3", "declined"): 1,
        },
    )
    report = reports.volunteers([day])
    assert [row["person_id"] for row in report["volunteers"]] == ["p-2", "p-1", "p-3"]
    assert report["volunteers"][0]["hours"] == 3.25
    assert (report["people"], report["hours"], report["resolved"]) == (3, 4.75, 2)
