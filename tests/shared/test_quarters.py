"""The one way quarters are named and computed (lianxin/quarters.py): plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from lianxin.quarters import QUARTER, NotAQuarter, Quarter

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_new_years_eve_in_utc_is_already_next_years_first_quarter_in_shanghai():
    half_past_eleven = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 07:30 on 1 January there
    assert str(Quarter.of(half_past_eleven, SHANGHAI)) == "2027-Q1"
    assert str(Quarter.of(half_past_eleven, UTC)) == "2026-Q4"
    last_second = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    assert Quarter.of(last_second, SHANGHAI) == Quarter(2026, 4)
    assert Quarter.of(last_second + timedelta(seconds=1), SHANGHAI) == Quarter(2027, 1)


@pytest.mark.parametrize(
    ("day", "name", "first", "last"),
    [
        (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2028, 2, 29), "2028-Q1", date(2028, 1, 1), date(2028, 3, 31)),
        (date(2026, 4, 1), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_a_day_names_its_quarter_and_the_quarter_its_days(day, name, first, last):
    quarter = Quarter.of_day(day)
    assert str(quarter) == name and Quarter.parse(name) == quarter
    assert (quarter.first_day, quarter.last_day) == (first, last)
    assert quarter.first_day <= day <= quarter.last_day


def test_recent_quarters_run_back_across_a_year_latest_first():
    assert [str(q) for q in Quarter(2027, 1).recent(4)] == [
        "2027-Q1", "2026-Q4", "2026-Q3", "2026-Q2",
    ]  # fmt: skip
    assert Quarter(2027, 1).recent(1) == [Quarter(2027, 1)]
    assert Quarter(2027, 1).previous() == Quarter(2026, 4)
    assert Quarter(2026, 3).previous() == Quarter(2026, 2)


def test_names_sort_in_time_order_as_stored_names_are_compared():
    latest_first = [str(q) for q in Quarter(2030, 2).recent(30)]  # back into 2023
    assert sorted(latest_first, reverse=True) == latest_first


@pytest.mark.parametrize(
    "name",
    [
        "2026Q4",  # the pact's old name: no longer a second way
        "0000-Q1",  # a year the calendar has no date for: refused, never a 500
        "1999-Q4",
        "2026-Q0",
        "2026-Q5",
        "2026-q4",
        " 2026-Q4",
        "2026-Q4\n",
        "２０２６-Q4",
        "2０２６-Q4",  # full-width digits match \d, and int() reads them: not a year of ours
        "",
        "26-Q4",
    ],
)
def test_anything_else_is_not_a_quarter(name):
    with pytest.raises(NotAQuarter):
        Quarter.parse(name)
    with pytest.raises(ValidationError, match="2026-Q4"):
        QUARTER(name)


def test_a_quarter_cannot_be_made_outside_the_years_it_can_be_named_in():
    assert issubclass(NotAQuarter, ValueError)
    for year, number in ((1999, 4), (3000, 1), (2026, 0), (2026, 5)):
        with pytest.raises(NotAQuarter):
            Quarter(year, number)
    with pytest.raises(NotAQuarter):
        Quarter(2000, 1).previous()
    with pytest.raises(NotAQuarter):
        Quarter.of(datetime(1999, 12, 31, 12, tzinfo=UTC), SHANGHAI)


def test_the_validator_takes_the_name_as_it_is():
    assert QUARTER("2026-Q4") == "2026-Q4"
