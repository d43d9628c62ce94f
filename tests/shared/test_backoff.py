"""lianxin.backoff: the one back-off every retry waits by, plain Python."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tenacity import RetryCallState

from lianxin.backoff import BackOff
from lianxin.bus.consumer import OUTAGE_BACK_OFF
from lianxin.store.lease import WAITING


def test_the_wait_doubles_from_the_base_to_the_cap_and_stops_at_the_limit():
    back_off = BackOff(max_attempts=6, base_seconds=5, cap_seconds=60)
    assert [back_off.seconds(tries) for tries in range(1, 8)] == [5, 10, 20, 40, 60, None, None]
    assert back_off.delay(2) == timedelta(seconds=10) and back_off.delay(6) is None


def test_without_a_limit_the_wait_stays_at_the_cap_however_many_tries():
    assert BackOff(base_seconds=0.5, cap_seconds=60).seconds(100_000) == 60


@given(
    base=st.floats(min_value=0.001, max_value=60.0),
    cap=st.floats(min_value=0.001, max_value=3600.0),
    tries=st.integers(min_value=1, max_value=200),
)
def test_the_wait_is_the_base_doubled_for_each_try_after_the_first_at_most_the_cap(
    base, cap, tries
):
    assert BackOff(base_seconds=base, cap_seconds=cap).seconds(tries) == min(
        cap, base * 2 ** (tries - 1)
    )


def test_a_spread_wait_stays_within_its_share_of_the_wait(monkeypatch):
    draws = iter([0.0, 1.0])
    monkeypatch.setattr(random, "uniform", lambda low, high: low + (high - low) * next(draws))
    assert math.isclose(OUTAGE_BACK_OFF.spread(1, 0.2), 0.25 * 0.8)
    assert math.isclose(OUTAGE_BACK_OFF.spread(100, 0.2), 10.0 * 1.2)


@pytest.mark.parametrize("tries", [1, 3, 10])
def test_a_random_wait_is_at_most_the_back_offs(tries):
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = tries
    waits = [WAITING.random_wait()(state) for _ in range(200)]
    assert all(0 <= wait <= WAITING.seconds(tries) for wait in waits)
    assert max(waits) > WAITING.seconds(tries) / 2  # drawn across the range, not fixed
