"""The mediation desk's calendar (矛盾调处): a dispute's time limits follow the desk's
sessions and the community's holidays, in the community's zone. Plain Python, no I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from lianxin.contracts.calendars import WEEKDAYS, NoSession, calendars_from_data
from services.cases.domain import time_limits
from services.cases.domain.case import Case
from services.cases.domain.triage import Limit
from tests.cases.factories import TAXONOMY, report

ZONE = ZoneInfo("Asia/Shanghai")
DESK = TAXONOMY.desk("jingxiang", "mediation_desk")
ROOT = Path(__file__).resolve().parents[3]


def local(*args: int) -> datetime:
    """A moment of Changsha's wall clock, as the instant (UTC) cases keeps."""
    return datetime(*args, tzinfo=ZONE).astimezone(UTC)


def dispute(at: datetime, description: str = "邻居天天吵架，楼上漏水到我家也不管") -> Case:
    return report(description, at=at).case


def test_every_dispute_goes_to_the_desk_and_is_private():
    disputes = [c for c in TAXONOMY.categories.values() if c.group == "dispute"]
    assert {c.code.split(".")[1] for c in disputes} >= {
        "family",
        "neighbour",
        "labour",
        "property_management",
        "damages",
    }
    for category in disputes:
        assert category.team == "mediation_desk" and category.private, category.code


@pytest.mark.parametrize(
    "text, code",
    [
        ("老板拖欠工资三个月不发", "dispute.labour"),
        ("My employer owes me unpaid wages", "dispute.labour"),
        ("楼上装修把我家天花板弄坏了，要求赔偿修理费", "dispute.damages"),
        ("His dog damaged my door and he refuses to pay compensation", "dispute.damages"),
    ],
)
def test_labour_and_damages_disputes_are_recognised_in_both_languages(text, code):
    assert TAXONOMY.triage(text).category.code == code


def test_a_monday_dispute_is_due_friday_at_noon_and_its_clock_starts_when_the_desk_opens():
    case = dispute(local(2026, 12, 7, 10, 0))  # a Monday
    assert case.category == "dispute.neighbour" and case.team == "mediation_desk"
    assert case.accept_by == local(2026, 12, 11, 12, 0)
    assert case.clock_start == local(2026, 12, 11, 9, 0)
    # the resolve limit (a week) runs from the end of that session, to a session's end
    assert case.resolve_by == local(2026, 12, 18, 12, 0)
    (first,) = time_limits.clock(case, TAXONOMY.warning_share)
    assert first.due_at >= local(2026, 12, 11, 9, 0), "a warning before the desk opens"
    assert first.payload["step"] == "warning"


def test_a_holiday_friday_moves_the_limit_to_the_next_session():
    case = dispute(local(2026, 12, 28, 15, 0))  # Friday 1 January 2027 is New Year's Day
    assert case.accept_by == local(2027, 1, 8, 12, 0)
    assert case.clock_start == local(2027, 1, 8, 9, 0)


def test_a_resolve_limit_falling_on_a_holiday_moves_to_the_next_sessions_end():
    case = dispute(local(2026, 12, 21, 9, 0))  # due Friday 25 December, then a week on: 1 January
    assert case.accept_by == local(2026, 12, 25, 12, 0)
    assert case.resolve_by == local(2027, 1, 8, 12, 0)


@pytest.mark.parametrize(
    "reported, due, clock_start",
    [
        # during the morning session: due at its end, the clock from the report
        ((2026, 12, 11, 10, 0), (2026, 12, 11, 12, 0), (2026, 12, 11, 10, 0)),
        # less than half an hour left of it: due at the end of the afternoon's
        ((2026, 12, 11, 11, 45), (2026, 12, 11, 17, 0), (2026, 12, 11, 14, 0)),
        # over lunch: the afternoon session
        ((2026, 12, 11, 12, 30), (2026, 12, 11, 17, 0), (2026, 12, 11, 14, 0)),
        # the afternoon session's last minutes: next Friday's morning
        ((2026, 12, 11, 16, 40), (2026, 12, 18, 12, 0), (2026, 12, 18, 9, 0)),
        # Friday evening: next Friday's morning
        ((2026, 12, 11, 20, 0), (2026, 12, 18, 12, 0), (2026, 12, 18, 9, 0)),
    ],
)
def test_a_dispute_reported_on_a_friday_is_due_at_the_end_of_the_session_it_can_be_taken_in(
    reported, due, clock_start
):
    case = dispute(local(*reported))
    assert case.accept_by == local(*due)
    assert case.clock_start == local(*clock_start)


def test_the_sessions_are_cut_in_the_communitys_zone_not_utc():
    """Friday 09:00 in Changsha is Friday 01:00 UTC: a report at Thursday 23:30 UTC (07:30
    on Friday there) is due at noon that Friday, not a week later."""
    case = dispute(datetime(2026, 12, 10, 23, 30, tzinfo=UTC))
    assert case.accept_by == datetime(2026, 12, 11, 4, 0, tzinfo=UTC)


def test_a_hotline_deadline_before_the_desk_opens_still_wins():
    limit = Limit(timedelta(hours=4), timedelta(hours=168))
    monday, deadline = local(2026, 12, 7, 10, 0), local(2026, 12, 9, 10, 0)
    timing = time_limits.limits(monday, limit, deadline, DESK)
    assert timing == time_limits.Timing(deadline, deadline, deadline)


def test_other_teams_run_round_the_clock_as_before():
    case = report("5栋楼道灯坏了", at=local(2026, 12, 7, 10, 0)).case
    assert case.team == "repair_crew"
    assert case.clock_start == local(2026, 12, 7, 10, 0)
    assert case.accept_by == local(2026, 12, 7, 10, 30)
    assert TAXONOMY.desk("jingxiang", "repair_crew") is None
    assert TAXONOMY.desk("another", "mediation_desk") is None  # hours are per community


def test_an_appointment_fits_only_inside_one_session_and_never_on_a_holiday():
    def fits(start: datetime, minutes: int = 60) -> bool:
        return DESK.opening_holding(start, start + timedelta(minutes=minutes)) is not None

    assert fits(local(2026, 12, 11, 9, 0))
    assert fits(local(2026, 12, 11, 11, 0))  # ends at 12:00 sharp
    assert fits(local(2026, 12, 11, 14, 0), 180)
    assert not fits(local(2026, 12, 11, 11, 30))  # runs into lunch
    assert not fits(local(2026, 12, 11, 8, 30))
    assert not fits(local(2026, 12, 11, 12, 0))  # the morning's close: not inside it
    assert not fits(local(2026, 12, 10, 10, 0))  # a Thursday
    assert not fits(local(2027, 1, 1, 10, 0))  # New Year's Day


def test_a_calendar_with_no_session_ahead_is_refused_not_looped_over():
    first = datetime(2027, 1, 1).date()
    every_day = [str(first + timedelta(days=n)) for n in range(500)]
    session = {"day": "FR", "opens": "09:00", "closes": "12:00"}
    raw = {
        "communities": {
            "x": {
                "timezone": "Asia/Shanghai",
                "holidays": every_day,
                "desks": {"d": {"sessions": [session]}},
            }
        }
    }
    (desk,) = calendars_from_data(raw).values()
    start = local(2027, 1, 1, 0, 0)
    with pytest.raises(NoSession):
        desk.next_opening(start)
    # a case there still has limits (the plain ones), and an appointment fits nowhere
    limit = Limit(timedelta(hours=4), timedelta(hours=168))
    assert time_limits.limits(start, limit, None, desk).accept_by == start + timedelta(hours=4)
    assert (
        desk.opening_holding(start + timedelta(days=7), start + timedelta(days=7, hours=1)) is None
    )


@pytest.mark.parametrize(
    "session",
    [
        {"day": "FRI", "opens": "09:00", "closes": "12:00"},
        {"day": "FR", "opens": "12:00", "closes": "09:00"},
        {"day": "FR", "opens": "9", "closes": "12:00"},
    ],
)
def test_a_session_that_is_not_a_weekday_and_an_opening_before_its_close_is_refused(session):
    raw = {"communities": {"x": {"timezone": "UTC", "desks": {"d": {"sessions": [session]}}}}}
    with pytest.raises(ValueError):
        calendars_from_data(raw)


def test_the_sample_desks_sessions_are_its_rota_in_roster_and_its_zone_roster_s():
    """Cases' calendar and roster's rota say the same hours: the members on duty are
    there when the limits say the desk is."""
    sample = ROOT / "services" / "roster" / "data" / "jingxiang"
    community = yaml.safe_load((sample / "community.yaml").read_text(encoding="utf-8"))
    (rota,) = [r for r in community["rotas"] if r["team"] == "mediation_desk"]
    slots = set()
    for slot in rota["slots"]:
        rule = re.fullmatch(r"FREQ=WEEKLY;BYDAY=(\w\w);BYHOUR=(\d+) for (\d+)h", slot)
        day, hour, hours = rule.group(1), int(rule.group(2)), int(rule.group(3))
        slots.add((day, f"{hour:02d}:00", f"{hour + hours:02d}:00"))
    sessions = {
        (WEEKDAYS[s.weekday], f"{s.opens:%H:%M}", f"{s.closes:%H:%M}") for s in DESK.sessions
    }
    assert sessions == slots
    areas = (sample / "areas.csv").read_text(encoding="utf-8").splitlines()
    (row,) = [line for line in areas if line.startswith("jingxiang,community,")]
    assert DESK.zone.key in row.split(",")
