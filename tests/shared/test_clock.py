"""The scaled clock (lianxin.clock) as plain Python: how it reads its setting, what time it
says, how it converts a span of domain time to a real one, and that unset means real time."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from lianxin import clock
from lianxin.clock import ClockSpecError, ScaledClock

START = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)


def test_a_spec_round_trips_and_names_start_anchor_and_speed():
    made = ScaledClock(START, 1780000000.5, 17280.0)
    assert ScaledClock.parse(made.spec()) == made
    parsed = ScaledClock.parse("2026-07-01T08:00:00+08:00@1780000000x1440")
    assert parsed.start == START and parsed.anchor == 1780000000 and parsed.speed == 1440


@pytest.mark.parametrize(
    "spec",
    [
        "2026-07-01T00:00:00@1780000000x10",  # no zone: which midnight?
        "2026-07-01T00:00:00+00:00@1780000000x0",
        "2026-07-01T00:00:00+00:00@1780000000x-2",
        "2026-07-01T00:00:00+00:00x10",
        "tomorrow@now x fast",
        "2026-07-01T00:00:00+00:00@go-file-not-absolute x10",
        "",
    ],
)
def test_a_bad_spec_is_refused_with_the_variable_named(spec):
    with pytest.raises(ClockSpecError, match="LIANXIN_CLOCK"):
        ScaledClock.parse(spec)


def test_the_clock_stands_at_its_start_until_the_anchor_then_runs_speed_times_as_fast():
    anchor = time.time() - 2.0  # two real seconds ago
    scaled = ScaledClock(START, anchor, 3600.0)
    elapsed = (scaled.now() - START).total_seconds()
    assert 2 * 3600 <= elapsed < 2.5 * 3600  # two hours, and the time this line took
    assert scaled.real_seconds(1800) == 0.5
    waiting = ScaledClock(START, time.time() + 60.0, 3600.0)  # a stack being stocked
    assert waiting.now() == START


def test_a_file_anchor_holds_the_clock_until_the_file_is_made_then_runs_from_its_time(tmp_path):
    go = tmp_path / "go"
    scaled = ScaledClock.parse(f"{START.isoformat()}@{go}x3600")
    assert scaled.anchor_file == str(go) and ScaledClock.parse(scaled.spec()) == scaled
    assert scaled.now() == START and scaled.anchor_time() is None  # the stack is being stocked
    go.touch()
    made = go.stat().st_mtime
    os.utime(go, (made - 2.0, made - 2.0))  # made two real seconds ago
    elapsed = (scaled.now() - START).total_seconds()
    assert 2 * 3600 <= elapsed < 2.5 * 3600
    go.unlink()  # read once: the clock keeps running from the time it read
    assert scaled.now() > START + timedelta(hours=2)


def test_unset_is_real_time_and_a_span_is_itself(monkeypatch):
    monkeypatch.delenv(clock.VARIABLE, raising=False)
    clock.configured.cache_clear()
    try:
        assert clock.configured() is None
        assert abs((clock.utc_now() - datetime.now(UTC)).total_seconds()) < 1
        assert clock.real_seconds(90.0) == 90.0
    finally:
        clock.configured.cache_clear()


def test_set_the_process_lives_on_the_simulated_time(monkeypatch):
    monkeypatch.setenv(clock.VARIABLE, f"{START.isoformat()}@{time.time():.3f}x86400")
    clock.configured.cache_clear()
    try:
        now = clock.utc_now()
        assert START <= now < START + timedelta(hours=12)  # a day a second
        assert now.tzinfo is not None
        assert clock.real_seconds(86400) == 1.0
    finally:
        monkeypatch.delenv(clock.VARIABLE)
        clock.configured.cache_clear()
