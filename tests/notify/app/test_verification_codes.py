"""A resident's verification code: texted once to the number given, from its own template
in both languages, kept masked, no event, at most five an hour to one number whoever
asks; only for a community the key covers and notify knows. The store in memory, the SMS
channel a receiver that keeps what it was given (conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lianxin.access.actors import Actor
from services.notify.app import replicas, verification_codes
from services.notify.app.verification_codes import NUMBER_LIMIT, TooManyCodes, UnknownCommunity
from services.notify.domain.delivery import DeliveryFailed
from tests.notify.app.conftest import AT, COMMUNITY

RESIDENTS = Actor("k-residents", "console residents", frozenset({"verify"}), frozenset({"*"}))
NUMBER = "13900001111"


@pytest.fixture
def store(store):
    replicas.apply_area(store, {
        "node": {"code": COMMUNITY, "kind": "community", "parent": None, "name": "井湘社区"},
        "area_version": 1,
    })  # fmt: skip
    return store


def texts(receivers) -> list[tuple[str, str]]:
    return [(d.contact.address, m.short) for d, m, _ in receivers["sms"].sent]


def send(store, outbound, actor=RESIDENTS, number=NUMBER, community=COMMUNITY, at=AT):
    return verification_codes.send_code(store, outbound, actor, community, number, "135790", at)


def test_the_code_goes_to_the_number_in_both_languages_and_is_kept_masked(
    store, outbound, receivers, memory_backend
):
    sent = send(store, outbound)
    [(number, short)] = texts(receivers)
    assert number == NUMBER and "验证码为 135790" in short and "井湘社区" in short
    [(_, message, _)] = receivers["sms"].sent
    assert "Lianxin verification code: 135790" in message.text
    assert sent.state == "sent" and sent.kind == "verification_code"
    kept = store.deliveries.collection.find_one({"_id": sent.id})
    assert "135790" not in str(kept) and "******" in kept["message"]["short"]
    assert memory_backend.published.messages == []  # no event: it is about no case


def test_a_number_gets_five_codes_an_hour_whoever_asks(store, outbound, receivers):
    for minute in range(NUMBER_LIMIT.count):
        send(store, outbound, at=AT + timedelta(minutes=minute))
    other_key = Actor("k-other", "another", frozenset({"verify"}), frozenset({COMMUNITY}))
    with pytest.raises(TooManyCodes):
        send(store, outbound, actor=other_key, at=AT + timedelta(minutes=10))
    send(store, outbound, number="13900002222", at=AT + timedelta(minutes=10))  # another number
    assert len(texts(receivers)) == NUMBER_LIMIT.count + 1
    send(store, outbound, at=AT + timedelta(minutes=61))  # the first hour's first code is over
    assert len(texts(receivers)) == NUMBER_LIMIT.count + 2


def test_the_number_is_kept_only_by_its_digest_in_the_limit(store, outbound):
    send(store, outbound)
    assert NUMBER not in str(list(store.numbers.collection.find()))


def test_a_failed_send_is_kept_dead_with_no_retry_and_no_code(store, outbound, receivers):
    receivers["sms"].failing = DeliveryFailed("HTTP 502 from the gateway")
    sent = send(store, outbound)
    assert sent.state == "dead" and sent.next_attempt_at is None
    assert "135790" not in str(store.deliveries.collection.find_one({"_id": sent.id}))


@pytest.mark.parametrize(
    "actor, community",
    [
        (Actor("k-yl", "yl console", frozenset({"verify"}), frozenset({"yl"})), COMMUNITY),
        (RESIDENTS, "nowhere"),
    ],
)
def test_a_community_not_covered_or_not_known_texts_nobody(
    store, outbound, receivers, actor, community
):
    with pytest.raises(UnknownCommunity):
        send(store, outbound, actor=actor, community=community)
    assert texts(receivers) == [] and store.deliveries.count() == 0
