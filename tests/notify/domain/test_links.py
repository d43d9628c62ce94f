"""Action link tokens: signed, expiring, tied to the delivery that carried them, no
substitute for a person token; and how long each lives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lianxin.access.actors import Unauthenticated
from lianxin.access.tokens import PersonTokens
from services.notify.domain.links import ActionLinks, LinkExpired, LinkInvalid, lifetimes

SECRET = "link-secret-0123456789abcdef"
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
LINKS = ActionLinks(SECRET, "https://lianxin.example.cn/")
KEY = "DL-0123456789ABCDEF0123"


def token_of(url: str) -> str:
    assert url.startswith("https://lianxin.example.cn/v1/links/")
    return url.rpartition("/")[2]


def issue(
    action: str = "accept", expires: timedelta = timedelta(minutes=30), key: str = KEY
) -> str:
    return token_of(LINKS.issue(key, "LX-1", action, "p-repair-1", NOW, NOW + expires))


def test_a_link_says_who_may_do_what_to_which_case_from_when_until_when():
    link = LINKS.read(issue(), NOW)
    assert (link.key, link.case_id, link.action, link.person_id, link.role) == (
        KEY,
        "LX-1",
        "accept",
        "p-repair-1",
        "volunteer",
    )
    assert (link.issued_at, link.expires_at) == (NOW, NOW + timedelta(minutes=30))


def test_each_action_of_a_delivery_is_used_once():
    accept, decline = LINKS.read(issue("accept"), NOW), LINKS.read(issue("decline"), NOW)
    assert accept.use_id != decline.use_id
    assert LINKS.read(issue("accept"), NOW).use_id == accept.use_id, "a repeat is the same use"
    assert LINKS.read(issue(key="DL-OTHER"), NOW).use_id != accept.use_id


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
                KEY, "LX-1", "accept", "p-repair-1", NOW, NOW + timedelta(days=1)
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
    url = LINKS.issue(
        "DL-5FDAC5396A635920ABCD", "LX-5FDAC5396A635920", "accept", "p-g1-leader", NOW, NOW
    )
    assert len(url) < 200


def test_a_link_for_someone_other_than_a_volunteer_carries_their_role():
    url = LINKS.issue(
        KEY, "LX-1", "resolve", "p-g1-leader", NOW, NOW + timedelta(hours=1), role="grid_leader"
    )
    assert LINKS.read(token_of(url), NOW).role == "grid_leader"


def test_there_is_no_link_for_another_action():
    with pytest.raises(ValueError):
        LINKS.issue(KEY, "LX-1", "close", "p-1", NOW, NOW)


# the confirmation its page posts back


def test_a_confirmation_is_the_links_own_and_only_the_services_can_make_it():
    accept, decline = LINKS.read(issue("accept"), NOW), LINKS.read(issue("decline"), NOW)
    given = LINKS.confirmation(accept)
    assert LINKS.confirms(accept, given)
    assert not LINKS.confirms(decline, given), "another link's"
    other = ActionLinks("another-secret-0123456789", "https://lianxin.example.cn")
    assert not LINKS.confirms(accept, other.confirmation(accept)), "another secret's"
    assert not LINKS.confirms(accept, "") and not LINKS.confirms(accept, None)


# how long links live

ACCEPT_FOR, LONGEST = timedelta(hours=24), timedelta(days=7)


def test_an_offers_links_live_until_the_offer_expires_not_seven_days():
    expires = NOW + timedelta(minutes=30)
    until = lifetimes(
        "case.dispatched",
        {"offer_expires_at": expires, "accept_by": NOW + timedelta(hours=2)},
        NOW,
        ACCEPT_FOR,
        LONGEST,
    )
    assert until == {"accept": expires, "decline": expires}, "no resolve link rides along"


def test_an_assignments_links_live_until_its_accept_deadline_or_a_day():
    by = NOW + timedelta(hours=3)
    assert lifetimes("case.assigned", {"accept_by": by}, NOW, ACCEPT_FOR, LONGEST) == {
        "accept": by,
        "decline": by,
    }
    assert lifetimes("case.assigned", {}, NOW, ACCEPT_FOR, LONGEST)["accept"] == NOW + ACCEPT_FOR


def test_no_link_lives_past_the_longest_lifetime():
    far = {"offer_expires_at": NOW + timedelta(days=30)}
    assert lifetimes("case.dispatched", far, NOW, ACCEPT_FOR, LONGEST)["accept"] == NOW + LONGEST


@pytest.mark.parametrize("template", ["case.escalated", "case.warning", "progress.resolved"])
def test_other_messages_carry_no_action_link(template):
    assert lifetimes(template, {}, NOW, ACCEPT_FOR, LONGEST) == {}
