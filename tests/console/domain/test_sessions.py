"""Sessions: idle and absolute expiry, and the person's access ending them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lianxin.access.person_access import PersonAccess
from services.console.domain import sessions
from services.console.domain.sessions import IDLE_LIMIT, LIFETIME, Scope

NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
ACCESS = PersonAccess("p-1", "jx", ("staff",), True, 3, NOW - timedelta(days=1))


def session(role: str = "staff", grids=None):
    return sessions.start("sid", "p-1", "王**", role, Scope("jx", grids), NOW)


def test_the_store_keeps_only_a_digest_of_the_session_id():
    made = session()
    assert made.id_digest == sessions.session_digest("sid") != "sid"
    assert made.csrf and made.csrf != session().csrf


def test_a_session_stands_while_the_person_is_active_in_the_role():
    assert sessions.ended(session(), ACCESS, NOW + timedelta(minutes=5)) is None


def test_an_idle_session_ends():
    assert sessions.ended(session(), ACCESS, NOW + IDLE_LIMIT) == "idle"


def test_a_session_in_use_still_ends_at_its_lifetime():
    used = replace(session(), last_seen=NOW + LIFETIME - timedelta(minutes=1))
    assert sessions.ended(used, ACCESS, NOW + LIFETIME) == "expired"


def test_deactivation_or_a_change_of_role_ends_the_session():
    later = NOW + timedelta(minutes=1)
    inactive = replace(ACCESS, active=False)
    demoted = replace(ACCESS, roles=("volunteer",), access_since=later)
    assert sessions.ended(session(), inactive, later) is not None
    assert sessions.ended(session(), demoted, later) is not None
    assert sessions.ended(session(), None, later) is not None


def test_a_change_of_access_after_sign_in_ends_it_even_with_the_role_kept():
    changed = replace(ACCESS, access_since=NOW + timedelta(seconds=1))
    assert sessions.ended(session(), changed, NOW + timedelta(seconds=2)) is not None


def test_last_seen_is_written_at_most_once_a_minute():
    made = session()
    assert made.touched(NOW + timedelta(seconds=30)) is None
    assert made.touched(NOW + timedelta(minutes=2)).last_seen == NOW + timedelta(minutes=2)


def test_staff_see_their_community_and_grid_people_their_grids():
    assert Scope("jx", None).covers("jx", "g9")
    assert Scope("jx", frozenset({"g1"})).covers("jx", "g1")
    assert not Scope("jx", frozenset({"g1"})).covers("jx", "g2")
    assert not Scope("jx", None).covers("other", "g1")
