"""The care rounds' rules (services.roster.domain.care): when rounds are due in the
community's zone, weekly and monthly across month ends; which may be ticked; and what a
check of a missed round does, in turn."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.roster.domain import care
from services.roster.domain.care import CarePlan, Check, Consent

CHANGSHA = ZoneInfo("Asia/Shanghai")
MADE = datetime(2026, 1, 30, 2, 0, tzinfo=UTC)  # 10:00 on Friday 30 January in Changsha
REMIND, GRID = timedelta(days=1), timedelta(days=1)


def plan(cadence: str = "weekly", starts: datetime | None = None, **more) -> CarePlan:
    made = CarePlan(
        id="CP-0123456789abcdef", community_id="jingxiang", grid_id="jingxiang-g1",
        area_code="jingxiang-b01-u1", name="王秀英", phone="13800000001",
        need="elderly_alone", kind="call", cadence=cadence, carer_id="p-g1-red-1",
        starts_at=starts or datetime(2026, 1, 31, 18, 0, tzinfo=CHANGSHA),
        zone="Asia/Shanghai", consent=Consent("p-staff-1", MADE), created_at=MADE,
    )  # fmt: skip
    made = replace(made, first_round=care.first_round(made, MADE))
    return replace(made, **more)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHANGSHA)


def test_weekly_rounds_fall_on_the_same_weekday_and_local_time():
    weekly = plan("weekly")
    assert [care.due_at(weekly, k) for k in range(3)] == [
        local(2026, 1, 31, 18), local(2026, 2, 7, 18), local(2026, 2, 14, 18),
    ]  # fmt: skip


def test_a_round_at_local_evening_is_due_on_the_local_day_not_the_utc_one():
    # 01:30 on 1 February in Changsha is still 31 January in UTC
    late = plan("weekly", starts=local(2026, 2, 1, 1, 30))
    assert care.local_day(late, 0) == date(2026, 2, 1)
    assert care.due_at(late, 0).astimezone(UTC).date() == date(2026, 1, 31)
    assert care.index_of(late, date(2026, 2, 8)) == 1
    assert care.index_of(late, date(2026, 2, 7)) is None


def test_monthly_rounds_keep_the_31st_across_shorter_months():
    monthly = plan("monthly")  # from 31 January
    days = [care.local_day(monthly, k) for k in range(5)]
    assert days == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
        date(2026, 5, 31),
    ]  # fmt: skip


def test_monthly_rounds_in_a_leap_year_and_across_the_year_end():
    monthly = plan("monthly", starts=local(2027, 11, 30, 9), created_at=local(2027, 11, 1))
    monthly = replace(monthly, first_round=0)
    assert [care.local_day(monthly, k) for k in range(4)] == [
        date(2027, 11, 30), date(2027, 12, 30), date(2028, 1, 30), date(2028, 2, 29),
    ]  # fmt: skip
    assert care.index_of(monthly, date(2028, 2, 29)) == 3
    assert care.index_of(monthly, date(2028, 2, 28)) is None


def test_no_round_is_due_before_the_plan_was_made():
    early = plan("weekly", starts=local(2026, 1, 2, 18))  # four Fridays before the making
    assert care.first_round(early, MADE) == 4
    assert care.local_day(early, early.first_round) == date(2026, 1, 30)
    assert care.index_of(early, date(2026, 1, 23)) is None


def test_the_next_round_due_is_found_after_years():
    weekly = plan("weekly")
    later = local(2029, 6, 1, 12)
    index = care.next_due(weekly, later)
    assert care.due_at(weekly, index - 1) <= later < care.due_at(weekly, index)


def test_open_rounds_are_the_next_one_and_a_few_before_it():
    weekly = plan("weekly")
    assert list(care.open_rounds(weekly, local(2026, 1, 30, 12))) == [0]
    assert list(care.open_rounds(weekly, local(2026, 2, 1, 12))) == [0, 1]
    assert list(care.open_rounds(weekly, local(2026, 4, 1, 12))) == [6, 7, 8, 9]  # 4 Apr: 9
    assert list(care.open_rounds(replace(weekly, ended_at=MADE), local(2026, 2, 1))) == []


def test_rounds_show_their_state():
    weekly = plan("weekly")
    now = local(2026, 2, 1, 12)
    ticked = care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-1", "well", "都好", None, now)
    shown = care.rounds(weekly, now, {ticked.round_id: ticked})
    assert [(r.day, r.state) for r in shown] == [
        (date(2026, 2, 7), "due"), (date(2026, 1, 31), "ticked"),
    ]  # fmt: skip


def test_only_the_carer_ticks_and_only_an_open_round():
    weekly = plan("weekly")
    now = local(2026, 2, 1, 12)
    with pytest.raises(care.NotTheCarer):
        care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-2", "well", "好", None, now)
    with pytest.raises(care.RoundNotOpen):  # the week after next has not opened
        care.tick_of(weekly, date(2026, 2, 14), "p-g1-red-1", "well", "好", None, now)
    with pytest.raises(care.RoundNotOpen):  # no round on a Tuesday
        care.tick_of(weekly, date(2026, 2, 3), "p-g1-red-1", "well", "好", None, now)
    with pytest.raises(care.PlanEnded):
        care.tick_of(replace(weekly, ended_at=now), date(2026, 1, 31), "p-g1-red-1", "well",
                     "好", None, now)  # fmt: skip
    too_late = local(2026, 3, 20)  # four later rounds have opened since
    with pytest.raises(care.RoundNotOpen):
        care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-1", "well", "好", None, too_late)


def test_a_repeat_says_the_same_or_is_another_tick():
    weekly = plan("weekly")
    now = local(2026, 2, 1, 12)
    first = care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-1", "well", "都好", None, now)
    again = care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-1", "well", "都好", None,
                         now + timedelta(minutes=1))  # fmt: skip
    other = care.tick_of(weekly, date(2026, 1, 31), "p-g1-red-1", "needs_help", "摔倒", "LX-1", now)
    assert care.same_tick(first, again)
    assert not care.same_tick(first, other)


# -- the missed round's escalation ----------------------------------------------------------


def test_the_first_check_is_the_first_rounds_reminder():
    weekly = plan("weekly")
    assert care.first_check(weekly, REMIND) == Check(0, "carer", local(2026, 2, 1, 18))


def test_a_missed_round_reminds_the_carer_then_tells_the_grid_worker():
    weekly = plan("weekly")
    first = care.first_check(weekly, REMIND)
    reminded = care.on_check(weekly, first, False, REMIND, GRID)
    assert reminded.missed == "carer"
    escalation, following = reminded.next_checks
    assert escalation == Check(0, "grid_worker", local(2026, 2, 2, 18))
    assert following == Check(1, "carer", local(2026, 2, 8, 18))
    assert care.on_check(weekly, escalation, False, REMIND, GRID).missed == "grid_worker"
    assert care.on_check(weekly, escalation, False, REMIND, GRID).next_checks == ()


def test_a_round_ticked_before_its_check_tells_no_one():
    weekly = plan("weekly")
    first = care.first_check(weekly, REMIND)
    found = care.on_check(weekly, first, True, REMIND, GRID)
    assert found.missed is None
    assert found.next_checks == (Check(1, "carer", local(2026, 2, 8, 18)),)
    late = Check(0, "grid_worker", local(2026, 2, 2, 18))
    assert care.on_check(weekly, late, True, REMIND, GRID).missed is None  # ticked after reminder


def test_an_ended_plan_stops_its_chain():
    ended = plan("weekly", ended_at=local(2026, 2, 3))
    check = Check(1, "carer", local(2026, 2, 8, 18))
    assert care.on_check(ended, check, False, REMIND, GRID) == care.CheckOutcome(None)
    # a round due before the end is still followed up
    assert care.on_check(ended, Check(0, "grid_worker", local(2026, 2, 2, 18)), False,
                         REMIND, GRID).missed == "grid_worker"  # fmt: skip
