"""The console repository's contract on every store backend (tests/backends.py): sessions,
codes, people and rate windows, each by `_id`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.console.domain import codes, sessions
from services.console.domain.limits import Limit
from services.console.domain.sessions import Scope
from services.console.domain.staff import StaffMember

NOW = datetime(2026, 3, 6, 2, 0, 0, 123000, tzinfo=UTC)


def test_a_session_is_stored_and_read_back_whole(store):
    made = sessions.start("sid", "p-1", "王**", "grid_leader", Scope("jx", frozenset({"g1"})), NOW)
    store.start_session(made)
    assert store.session(made.id_digest) == made
    touched = made.touched(NOW + timedelta(minutes=2))
    store.touch_session(touched)
    assert store.session(made.id_digest).last_seen == touched.last_seen
    store.end_session(made.id_digest)
    assert store.session(made.id_digest) is None
    store.touch_session(touched)  # signed out in another tab meanwhile: not brought back
    assert store.session(made.id_digest) is None


def test_a_staff_session_sees_every_grid(store):
    made = sessions.start("s2", "p-2", "李**", "staff", Scope("jx", None), NOW)
    store.start_session(made)
    assert store.session(made.id_digest).scope.grids is None


def test_a_code_is_replaced_and_counted(store):
    with store.code_change("phone") as change:
        assert change.value is None
        change.save(codes.issue("secret", "phone", "p-1", "123456", NOW))
    with store.code_change("phone") as change:
        tried, _ = codes.attempt(change.value, "secret", "000000", NOW)
        change.save(tried)
    with store.code_change("phone") as change:
        assert change.value.tries == 1 and change.value.person_id == "p-1"
        assert change.value.issued_at == NOW


def test_people_and_the_phone_index(store):
    member = StaffMember("p-1", "jx", "王**", ("staff",), ("g1",), True, 2, "digest")
    with store.member_change("p-1") as change:
        change.save(member)
    store.index_phone("digest", "p-1", 2)
    assert store.member_by_phone("digest") == member
    store.index_phone("digest", "p-9", 1)  # an older claim loses
    assert store.member_by_phone("digest").person_id == "p-1"
    store.unindex_phone("digest", "p-9")  # not theirs to remove
    assert store.member_by_phone("digest") is not None
    store.unindex_phone("digest", "p-1")
    assert store.member_by_phone("digest") is None


def test_a_rate_window_counts_up_to_its_limit(store):
    limit = Limit("t", 3, 60)
    assert [store.count(limit, "who", NOW) for _ in range(4)] == [True, True, True, False]
    assert store.count(limit, "other", NOW)
    assert store.count(limit, "who", NOW + timedelta(seconds=60))
    assert store.recover() == 0


def test_a_duty_form_is_claimed_once_and_again_once_released(store):
    assert store.claim_duty_form("p-1:key", "check_in", NOW)
    assert not store.claim_duty_form("p-1:key", "check_in", NOW)
    assert store.claim_duty_form("p-2:key", "check_in", NOW)  # another person's form
    store.release_duty_form("p-1:key")
    store.release_duty_form("p-9:key")  # never claimed: nothing to forget
    assert store.claim_duty_form("p-1:key", "check_in", NOW)
