"""Action link tokens: signed, expiring, and no substitute for a person token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lianxin.auth import PersonTokens, Unauthenticated
from services.notify.links import ActionLinks, LinkExpired, LinkInvalid

SECRET = "link-secret-0123456789abcdef"
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
LINKS = ActionLinks(SECRET, "https://lianxin.example.cn/")


def token_of(url: str) -> str:
    assert url.startswith("https://lianxin.example.cn/v1/links/")
    return url.rpartition("/")[2]


def issue(action: str = "accept", expires: timedelta = timedelta(minutes=30)) -> str:
    return token_of(LINKS.issue("LX-1", action, "p-repair-1", NOW + expires))


def test_a_link_says_who_may_do_what_to_which_case_until_when():
    link = LINKS.read(issue(), NOW)
    assert (link.case_id, link.action, link.person_id, link.role) == (
        "LX-1",
        "accept",
        "p-repair-1",
        "volunteer",
    )
    assert link.expires_at == NOW + timedelta(minutes=30)


def test_every_link_has_its_own_id_for_its_single_use():
    assert LINKS.read(issue(), NOW).id != LINKS.read(issue(), NOW).id


def test_a_link_expires_at_its_time():
    token = issue(expires=timedelta(seconds=10))
    assert LINKS.read(token, NOW + timedelta(seconds=9)).action == "accept"
    with pytest.raises(LinkExpired):
        LINKS.read(token, NOW + timedelta(seconds=10))


def altered(token: str) -> str:
    """One character of the signature changed: its first, which carries six whole bits
    of the MAC (the last character of unpadded base64 may carry only padding bits, so
    changing it can leave the signature as it was)."""
    at = token.rindex(".") + 1
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


@pytest.mark.parametrize(
    "token",
    [
        altered(issue()),
        issue()[: len(issue()) // 2],
        "",
        "x.y",
        token_of(
            ActionLinks("another-secret-0123456789", "https://lianxin.example.cn").issue(
                "LX-1", "accept", "p-repair-1", NOW + timedelta(days=1)
            )
        ),
    ],
    ids=["altered", "cut", "empty", "garbage", "other-secret"],
)
def test_an_altered_or_foreign_link_is_invalid(token):
    with pytest.raises(LinkInvalid):
        LINKS.read(token, NOW)


def test_a_link_and_a_person_token_cannot_stand_for_each_other():
    tokens = PersonTokens(SECRET)
    with pytest.raises(LinkInvalid):
        LINKS.read(tokens.issue("p-repair-1", "volunteer", ["jx"]), NOW)
    with pytest.raises(Unauthenticated):
        tokens.verify(issue(), max_age_seconds=3600)


def test_a_link_is_short_enough_for_an_sms():
    url = LINKS.issue("LX-5FDAC5396A635920", "accept", "p-g1-leader", NOW)
    assert len(url) < 200


def test_a_link_for_someone_other_than_a_volunteer_carries_their_role():
    url = LINKS.issue(
        "LX-1", "resolve", "p-g1-leader", NOW + timedelta(hours=1), role="grid_leader"
    )
    assert LINKS.read(token_of(url), NOW).role == "grid_leader"


def test_there_is_no_link_for_another_action():
    with pytest.raises(ValueError):
        LINKS.issue("LX-1", "close", "p-1", NOW)
