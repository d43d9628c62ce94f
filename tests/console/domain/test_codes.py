"""Sign-in codes: six digits, five minutes, five tries, stored only as a digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.console.domain import codes
from services.console.domain.codes import MAX_TRIES, Outcome

SECRET = "test-secret-0123456789"
NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
PHONE = "phone-digest"


def issued(person_id: str | None = "p-1", code: str = "123456"):
    return codes.issue(SECRET, PHONE, person_id, code, NOW)


def test_a_new_code_is_six_digits_and_they_vary():
    made = {codes.new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in made)
    assert len(made) > 150


def test_the_code_is_kept_only_as_a_digest():
    record = issued(code="654321")
    assert "654321" not in repr(record)
    assert record.code_digest != codes.code_digest(SECRET, "another-phone", "654321")


def test_the_right_code_signs_in_once():
    record, outcome = codes.attempt(issued(), SECRET, "123456", NOW + timedelta(minutes=4))
    assert outcome is Outcome.ACCEPTED and record.used
    _, again = codes.attempt(record, SECRET, "123456", NOW + timedelta(minutes=4))
    assert again is Outcome.NONE


def test_a_code_expires_after_five_minutes():
    _, outcome = codes.attempt(issued(), SECRET, "123456", NOW + timedelta(minutes=5))
    assert outcome is Outcome.EXPIRED


def test_the_fifth_wrong_try_locks_the_code_even_against_the_right_one():
    record = issued()
    outcomes = []
    for _ in range(MAX_TRIES):
        record, outcome = codes.attempt(record, SECRET, "000000", NOW)
        outcomes.append(outcome)
    assert outcomes == [Outcome.WRONG] * (MAX_TRIES - 1) + [Outcome.LOCKED]
    _, outcome = codes.attempt(record, SECRET, "123456", NOW)
    assert outcome is Outcome.LOCKED


def test_a_code_for_a_number_of_nobody_is_never_accepted_but_counts_tries_alike():
    record, outcome = codes.attempt(issued(person_id=None), SECRET, "123456", NOW)
    assert outcome is Outcome.WRONG and record.tries == 1


def test_no_code_asked_for():
    assert codes.attempt(None, SECRET, "123456", NOW) == (None, Outcome.NONE)


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_only_the_code_issued_is_accepted(guess):
    _, outcome = codes.attempt(issued(code="424242"), SECRET, guess, NOW)
    assert (outcome is Outcome.ACCEPTED) == (guess == "424242")
