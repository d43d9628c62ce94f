"""A person's quiet hours and rate limit: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.people import QuietHours, RateLimit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(22, 0), time(7, 0))


@pytest.mark.parametrize(
    ("local", "held"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(3, 0), True),
        (time(6, 59), True),
        (time(7, 0), False),
        (time(12, 0), False),
    ],
)
def test_a_span_over_midnight_holds_the_night(local, held):
    assert NIGHT.holds(local) is held


def test_a_message_at_night_waits_for_seven_in_the_morning_local_time():
    at = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 in Shanghai
    assert NIGHT.hold_until(at, SHANGHAI) == datetime(2026, 11, 22, 7, 0, tzinfo=SHANGHAI)
    evening = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    assert NIGHT.hold_until(evening, SHANGHAI) == datetime(2026, 11, 22, 7, 0, tzinfo=SHANGHAI)
    assert NIGHT.hold_until(datetime(2026, 11, 21, 4, 0, tzinfo=UTC), SHANGHAI) is None


@given(
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
    zone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London", "UTC"]),
)
def test_a_held_message_goes_at_the_end_of_the_span_within_a_day(at, start, end, zone):
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    if start == end:
        return
    quiet, tz = QuietHours(start, end), ZoneInfo(zone)
    until = quiet.hold_until(at, tz)
    if not quiet.holds(at.astimezone(tz).time()):
        assert until is None
        return
    assert at <= until <= at + timedelta(hours=25)
    if until > at:
        assert not quiet.holds(until.astimezone(tz).time()) or until.astimezone(tz).time() == end


@pytest.mark.parametrize("raw", [None, "", "22:00", "08:00-08:00", "late"])
def test_no_span_means_no_quiet_hours(raw):
    assert QuietHours.parse(raw) is None


def test_roster_s_span_is_read_as_written():
    assert QuietHours.parse("22:30-06:30") == QuietHours(time(22, 30), time(6, 30))


LIMIT = RateLimit(count=3, window=timedelta(minutes=10))
T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_under_the_limit_a_message_goes_now():
    assert LIMIT.next_free([T0, T0 + timedelta(minutes=1)], T0 + timedelta(minutes=2)) is None


def test_at_the_limit_the_next_slot_frees_when_the_oldest_send_leaves_the_window():
    recent = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert LIMIT.next_free(recent, T0 + timedelta(minutes=3)) == T0 + timedelta(minutes=10)
    assert LIMIT.next_free(recent, T0 + timedelta(minutes=10)) is None


@given(st.lists(st.integers(0, 3600), max_size=50), st.integers(0, 3600))
def test_the_sends_kept_are_bounded_and_inside_the_window(offsets, now_offset):
    now = T0 + timedelta(seconds=now_offset)
    kept = LIMIT.keep([T0 + timedelta(seconds=o) for o in offsets], now)
    assert len(kept) <= LIMIT.count and all(now - at < LIMIT.window for at in kept)
