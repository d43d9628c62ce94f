"""An activity's rules (services.roster.domain.activities): what an attendance credits,
the capacity, and the windows for signing up and checking in. Plain Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.roster.domain import activities
from services.roster.domain.activities import (
    Activity,
    ActivityClosed,
    ActivityFull,
    HoursRule,
    NotSignedUp,
    OutsideWindow,
)

STARTS = datetime(2026, 3, 7, 1, 0, tzinfo=UTC)  # 09:00 in Changsha, a Saturday
ENDS = STARTS + timedelta(hours=2, minutes=30)
BEFORE = STARTS - timedelta(days=1)


LENGTH = HoursRule("length")


def drive(capacity: int = 2, rule: HoursRule = LENGTH) -> Activity:
    return Activity("A-1", "jingxiang", "cleanup", "清洁家园", ("jingxiang-g1",), STARTS, ENDS,
                    capacity, rule, "p-staff-1", BEFORE)  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "minutes"),
    [
        (HoursRule("length"), 150),
        (HoursRule("length", cap_minutes=120), 120),
        (HoursRule("fixed", fixed_minutes=60), 60),
        (HoursRule("fixed", fixed_minutes=90, cap_minutes=45), 45),
        (HoursRule("fixed", fixed_minutes=5000), 24 * 60),  # never above the ledger's day
    ],
)
def test_an_attendance_credits_by_the_activitys_rule(rule, minutes):
    assert drive(rule=rule).credit_minutes() == minutes


def test_the_rule_says_how_the_credit_came_about():
    capped = HoursRule("length", cap_minutes=120)
    assert capped.describe() == "activity: activity length, cap 120 min"
    assert HoursRule("fixed", fixed_minutes=60).describe() == "activity: fixed 60 min"


def test_the_last_place_goes_to_one_and_the_next_is_told_it_is_full():
    signed = activities.sign_up(activities.sign_up(drive(), "p-1", BEFORE), "p-2", BEFORE)
    assert signed.places_left == 0
    with pytest.raises(ActivityFull):
        activities.sign_up(signed, "p-3", BEFORE)
    assert activities.sign_up(signed, "p-2", BEFORE) is signed  # a retry changes nothing


def test_signing_up_and_withdrawing_close_when_it_starts():
    signed = activities.sign_up(drive(), "p-1", BEFORE)
    with pytest.raises(ActivityClosed):
        activities.sign_up(signed, "p-2", STARTS)
    with pytest.raises(ActivityClosed):
        activities.withdraw(signed, "p-1", STARTS)
    assert activities.withdraw(signed, "p-1", STARTS - timedelta(seconds=1)).signups == ()


def test_a_withdrawal_gives_the_place_back():
    full = activities.sign_up(activities.sign_up(drive(), "p-1", BEFORE), "p-2", BEFORE)
    freed = activities.withdraw(full, "p-1", BEFORE)
    assert activities.sign_up(freed, "p-3", BEFORE).places_left == 0


@pytest.mark.parametrize("at", [STARTS - timedelta(seconds=1), ENDS])
def test_a_check_in_counts_only_while_it_runs(at):
    signed = activities.sign_up(drive(), "p-1", BEFORE)
    with pytest.raises(OutsideWindow):
        activities.check_in(signed, "p-1", at)


def test_a_check_in_is_made_once_and_only_by_one_signed_up():
    signed = activities.sign_up(drive(), "p-1", BEFORE)
    with pytest.raises(NotSignedUp):
        activities.check_in(signed, "p-2", STARTS)
    checked, new = activities.check_in(signed, "p-1", STARTS + timedelta(minutes=5))
    assert new and checked.signup_of("p-1").checked_in_at == STARTS + timedelta(minutes=5)
    again, new = activities.check_in(checked, "p-1", ENDS + timedelta(hours=1))  # a late retry
    assert not new and again is checked
