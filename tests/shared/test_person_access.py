"""Whether a credential naming a person still stands, as plain Python: the person is
known, active, holds the role, and the credential was issued after their access last
changed; a replica moves forward only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.access.person_access import PersonAccess, merged, refusal
from lianxin.access.replicas import PERSON_ACCESS

CHANGED = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def person(**overrides) -> PersonAccess:
    fields = {
        "person_id": "p-1",
        "community_id": "jingxiang",
        "roles": ("volunteer", "grid_worker"),
        "active": True,
        "person_version": 3,
        "access_since": CHANGED,
    }
    return PersonAccess(**{**fields, **overrides})


def test_an_active_person_with_the_role_and_a_credential_issued_since_stands():
    assert refusal(person(), "volunteer", CHANGED + timedelta(milliseconds=1)) is None
    assert refusal(person(), "grid_worker", CHANGED) is None
    assert refusal(person(access_since=None), "volunteer", None) is None


@pytest.mark.parametrize(
    ("access", "role", "issued_at", "reason"),
    [
        (None, "volunteer", CHANGED, "not known"),
        (person(active=False), "volunteer", CHANGED, "no longer active"),
        (person(), "staff", CHANGED, "no longer holds"),
        (person(), "volunteer", CHANGED - timedelta(milliseconds=1), "changed after"),
        (person(), "volunteer", None, "changed after"),
    ],
    ids=["unknown", "deactivated", "role-not-held", "issued-before-the-change", "undated"],
)
def test_a_credential_falls_when_the_person_or_their_access_moved(access, role, issued_at, reason):
    assert reason in refusal(access, role, issued_at)


@given(st.integers(-10_000, 10_000))
def test_only_credentials_issued_before_the_change_fall(offset_ms):
    issued = CHANGED + timedelta(milliseconds=offset_ms)
    assert (refusal(person(), "volunteer", issued) is None) == (offset_ms >= 0)


def test_a_replica_moves_forward_by_version_whatever_order_events_arrive_in():
    stored = person(person_version=3)
    assert merged(None, person(person_version=1)) == person(person_version=1)
    assert merged(stored, person(person_version=4, active=False)).active is False
    assert merged(stored, person(person_version=3)) is None
    assert merged(stored, person(person_version=2)) is None


def test_an_access_reset_only_moves_forward():
    """Credentials issued before a reset stay void: a later event that leaves the reset
    out, or names an earlier one, does not revive them."""
    later = CHANGED + timedelta(hours=1)
    stored = person(person_version=1, access_since=later)
    assert merged(stored, person(person_version=2, access_since=None)).access_since == later
    assert merged(stored, person(person_version=2, access_since=CHANGED)).access_since == later
    newest = CHANGED + timedelta(hours=2)
    assert merged(stored, person(person_version=2, access_since=newest)).access_since == newest


def test_the_replica_document_round_trips():
    access = person()
    assert PersonAccess.from_document(access.to_document()) == access


def test_person_changed_is_read_for_access_alone_and_access_since_may_be_absent():
    payload = {
        "person_id": "p-1",
        "community_id": "jingxiang",
        "display_name": "石**",
        "roles": ["volunteer"],
        "teams": ["repair_crew"],
        "home_grids": ["g1"],
        "contacts": [{"channel": "sms", "address": "13800000000"}],
        "quiet_hours": None,
        "active": True,
        "person_version": 2,
    }
    reading = PERSON_ACCESS.readings[("person.changed", 1)]
    read = PersonAccess.from_payload(reading.load(payload))
    assert read == person(roles=("volunteer",), person_version=2, access_since=None)
    dated = reading.load({**payload, "access_since": CHANGED.isoformat()})
    assert PersonAccess.from_payload(dated).access_since == CHANGED
