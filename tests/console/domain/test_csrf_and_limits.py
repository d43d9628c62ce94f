"""CSRF tokens compare exactly; rate limits count in fixed windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.console.domain import csrf
from services.console.domain.limits import CODES_PER_PHONE, Limit

NOW = datetime(2026, 3, 6, 2, 0, 30, tzinfo=UTC)


def test_a_form_token_must_be_the_one_expected():
    token = csrf.new_token()
    assert csrf.matches(token, token)
    assert not csrf.matches(token, token[:-1])
    assert not csrf.matches(token, "")
    assert not csrf.matches(token, None)
    assert not csrf.matches(None, None)
    assert not csrf.matches("", "")


def test_a_window_is_named_by_limit_who_and_start():
    limit = Limit("x", 2, 60)
    assert limit.window_id("a", NOW) == limit.window_id("a", NOW + timedelta(seconds=29))
    assert limit.window_id("a", NOW) != limit.window_id("a", NOW + timedelta(seconds=30))
    assert limit.window_id("a", NOW) != limit.window_id("b", NOW)


def test_a_limit_allows_its_count():
    assert [CODES_PER_PHONE.allows(used) for used in range(6)] == [True] * 5 + [False]
