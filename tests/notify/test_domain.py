"""Signed webhooks, delivery bookkeeping and message texts: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2.exceptions import UndefinedError

from services.notify.domain import Delivery, sign, verify
from services.notify.messages import Messages
from services.notify.schemas import CaseDispatched

SECRET = "s3cret"
BODY = b'{"case_id": "C-1"}'
NOW = 1_772_760_000


# Signatures


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 2**40))
def test_a_signed_body_verifies(secret, body, timestamp):
    assert verify(secret, sign(secret, timestamp, body), body, now=timestamp)


def test_the_header_names_its_timestamp_and_scheme():
    header = sign(SECRET, NOW, BODY)
    timestamp, mac = header.split(",")
    assert timestamp == f"t={NOW}"
    assert mac.startswith("v1=") and len(mac) == 3 + 64


def test_a_tampered_body_fails():
    assert not verify(SECRET, sign(SECRET, NOW, BODY), BODY + b" ", now=NOW)


def test_a_wrong_secret_fails():
    assert not verify("other", sign(SECRET, NOW, BODY), BODY, now=NOW)


def test_a_rewritten_timestamp_fails():
    mac = sign(SECRET, NOW, BODY).split(",")[1]
    assert not verify(SECRET, f"t={NOW + 1},{mac}", BODY, now=NOW)


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (300, True), (301, False), (-301, False)])
def test_a_signature_older_or_newer_than_the_tolerance_fails(age, fresh):
    header = sign(SECRET, NOW - age, BODY)
    assert verify(SECRET, header, BODY, now=NOW, tolerance=300) is fresh


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=,v1=00", "t=abc,v1=00", "v1=00", f"t={NOW}", f"t={NOW};v1=00"],
)
def test_a_malformed_header_fails(header):
    assert verify(SECRET, header, BODY, now=NOW) is False


def test_a_header_with_non_ascii_characters_fails_quietly():
    assert verify(SECRET, f"t={NOW},v1=é", BODY, now=NOW) is False


# Deliveries


def pending() -> Delivery:
    return Delivery("DL-1", "case.dispatched", "C-1", "webhook", "https://hooks.example/robot")


def test_a_delivery_starts_pending_with_no_attempts():
    assert (pending().state, pending().attempts) == ("pending", 0)


def test_a_failure_counts_an_attempt_and_keeps_the_error():
    failed = pending().failed("HTTP 502")
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "HTTP 502")
    assert failed.failed("timeout").attempts == 2


def test_a_long_error_is_cut_to_500_characters():
    assert len(pending().failed("x" * 2000).last_error) == 500


def test_a_success_after_failures_counts_the_attempt_and_clears_the_error():
    at = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
    delivered = pending().failed("HTTP 502").succeeded(at)
    assert delivered.state == "delivered"
    assert delivered.attempts == 2
    assert delivered.last_error == ""
    assert delivered.delivered_at == at


# Message texts

ABOUT = {
    "case_id": "C-20260306-0001",
    "community_id": "jingxiang",
    "grid_id": "jingxiang-g1",
    "category": "facility.lighting",
    "team": "repair_crew",
    "priority": "normal",
}
DISPATCHED = {
    **ABOUT,
    "offer_id": "OF-1",
    "person_id": "p-repair-1",
    "display_name": "石*",
    "accept_by": datetime(2026, 3, 5, 16, 30, tzinfo=UTC),
}


def test_a_dispatch_message_names_the_case_the_masked_person_and_local_deadline():
    text = Messages().render("case.dispatched", DISPATCHED)
    assert "C-20260306-0001" in text
    assert "石*" in text
    assert "03-06 00:30" in text  # 16:30 UTC is half past midnight next day in Shanghai
    assert "facility.lighting" in text
    assert text == text.strip()


def test_an_escalation_message_names_the_level_and_reason():
    payload = {**ABOUT, "level": "grid_leader", "reason": "nobody on duty"}
    text = Messages().render("case.escalated", payload)
    assert "C-20260306-0001" in text
    assert "grid_leader" in text
    assert "nobody on duty" in text


@pytest.mark.parametrize("missing", ["grid_id", "display_name"])
def test_a_missing_field_raises_instead_of_rendering_blank(missing):
    payload = {key: value for key, value in DISPATCHED.items() if key != missing}
    with pytest.raises(UndefinedError):
        Messages().render("case.dispatched", payload)


def test_a_dispatch_without_deadline_that_the_schema_accepts_still_renders():
    payload = CaseDispatched().load({**DISPATCHED, "accept_by": None})
    assert "C-20260306-0001" in Messages().render("case.dispatched", payload)
