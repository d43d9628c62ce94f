"""The pact as the console's pages see it (services.console.domain.pact) and the resident
page's proven number (services.console.app.residents_pact): the household a unit and room
name, and a proof that holds only for its number,
community and half hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.console.app import residents_pact
from services.console.domain import pact
from services.console.domain.residents_report import proof

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Changsha
SECRET = "test-console-secret-0123456789"


def test_a_household_is_its_unit_and_room_and_seen_at_is_local():
    assert pact.household_id("jingxiang-b11-u3", "202") == "jingxiang-b11-u3-202"
    seen = pact.seen_at(date(2026, 12, 6), time(9, 30), SHANGHAI)
    assert seen.astimezone(UTC) == datetime(2026, 12, 6, 1, 30, tzinfo=UTC)


def test_staff_wait_on_the_answered_and_the_stood_only():
    listed = [{"id": n, "state": state} for n, state in
              enumerate(("open", "to_decide", "stood", "upheld", "withdrawn"))]  # fmt: skip
    assert [seen["id"] for seen in pact.waiting(listed)] == [1, 2]


def cookie_for(phone: str, community: str = "jingxiang", at: datetime = NOW) -> str:
    return residents_pact.proven_cookie(phone, proof(SECRET, phone, community, at))


def test_the_cookie_proves_its_number_for_its_community_for_half_an_hour():
    kept = cookie_for("13907311001")
    assert residents_pact.proven_phone(SECRET, kept, "jingxiang", NOW) == "13907311001"
    for cookie, community, at in (
        (kept, "yuhua", NOW),  # another community's page
        (kept, "jingxiang", NOW + timedelta(minutes=31)),  # run out
        (kept.replace("13907311001", "13907311002"), "jingxiang", NOW),  # another number
        ("13907311001~1.deadbeef", "jingxiang", NOW),  # forged
        (None, "jingxiang", NOW),
    ):
        with pytest.raises(residents_pact.NotProven):
            residents_pact.proven_phone(SECRET, cookie, community, at)
