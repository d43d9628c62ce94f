"""Retry with back-off, or park the message (docs/architecture.md rule 5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from lianxin.bus.retry import DeadLetter, PermanentError, Retry, RetryPolicy

POLICY = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=60.0)


class Unreachable(ConnectionError):
    pass


class PoisonPill(PermanentError):
    pass


@pytest.mark.parametrize(("attempt", "delay"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)])
def test_the_delay_doubles_with_each_failed_attempt(attempt, delay):
    assert POLICY.decide(attempt, Unreachable()) == Retry(delay, attempt)


def test_the_delay_is_capped():
    policy = RetryPolicy(max_attempts=20, base_delay=1.0, max_delay=10.0)
    assert policy.decide(4, Unreachable()).delay_seconds == 8.0
    assert policy.decide(5, Unreachable()).delay_seconds == 10.0
    assert policy.decide(19, Unreachable()).delay_seconds == 10.0


def test_the_last_attempt_is_dead_lettered():
    decision = POLICY.decide(5, Unreachable())
    assert isinstance(decision, DeadLetter)
    assert decision.attempt == 5
    assert "5 attempts" in decision.reason


@pytest.mark.parametrize(
    "error", [ValidationError("bad payload"), PermanentError("no such case"), PoisonPill()]
)
def test_an_error_retrying_cannot_cure_is_dead_lettered_at_once(error):
    decision = POLICY.decide(1, error)
    assert isinstance(decision, DeadLetter)
    assert decision.attempt == 1
    assert decision.reason.startswith("permanent")


@given(
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.001, max_value=3600.0),
    max_attempts=st.integers(min_value=2, max_value=200),
)
def test_delays_never_shrink_and_never_pass_the_cap(base, cap, max_attempts):
    policy = RetryPolicy(max_attempts=max_attempts, base_delay=base, max_delay=cap)
    decisions = [policy.decide(attempt, Unreachable()) for attempt in range(1, max_attempts)]
    delays = [decision.delay_seconds for decision in decisions]
    assert all(isinstance(decision, Retry) for decision in decisions)
    assert delays == sorted(delays)
    assert all(delay <= cap for delay in delays)
    assert delays[0] == min(base, cap)
    assert isinstance(policy.decide(max_attempts, Unreachable()), DeadLetter)


def test_a_patient_policy_keeps_retrying_at_the_cap():
    policy = RetryPolicy(max_attempts=10_000, base_delay=0.5, max_delay=60.0)
    assert policy.decide(2_000, Unreachable()) == Retry(60.0, 2_000)
