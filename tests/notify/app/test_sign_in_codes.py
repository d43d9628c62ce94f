"""The console's sign-in codes: sent once to the person's own SMS number, the stored
delivery masked, no event. The store in memory, the SMS channel a receiver that keeps
what it was given (conftest.py)."""

from __future__ import annotations

import pytest

from lianxin.access.actors import Actor
from services.notify.app import replicas, sign_in_codes
from services.notify.domain.delivery import DeliveryFailed
from tests.notify.app.conftest import AT

CONSOLE = Actor("k-console", "console", frozenset({"sign_in"}), frozenset({"*"}))


@pytest.fixture
def store(store):
    replicas.apply_person(store, {
        "person_id": "p-staff", "community_id": "jx", "display_name": "彭国庆",
        "roles": ["staff"], "contacts": [{"channel": "wecom", "address": "robot"},
                                        {"channel": "sms", "address": "13807310700"}],
        "active": True, "person_version": 1,
    })  # fmt: skip
    return store


def texted(receivers) -> list[tuple[str, str]]:
    """What each phone got: its number and the SMS text."""
    sms = receivers["sms"].sent
    return [(delivery.contact.address, message.short) for delivery, message, _ in sms]


def test_the_code_goes_to_the_persons_own_number_and_is_kept_masked(
    store, outbound, receivers, memory_backend
):
    sent = sign_in_codes.send_code(store, outbound, CONSOLE, "p-staff", "424242", AT)
    assert texted(receivers) == [("13807310700", sign_in_codes.message("424242").short)]
    assert sent.state == "sent" and sent.kind == "sign_in_code"
    kept = store.deliveries.collection.find_one({"_id": sent.id})
    assert "424242" not in str(kept) and "******" in kept["message"]["short"]
    assert memory_backend.published.messages == []  # no event: it is about no case


def test_a_failed_send_is_kept_dead_with_no_retry_and_no_code(store, outbound, receivers):
    receivers["sms"].failing = DeliveryFailed("HTTP 502 from the gateway")
    sent = sign_in_codes.send_code(store, outbound, CONSOLE, "p-staff", "424242", AT)
    assert sent.state == "dead" and sent.next_attempt_at is None
    assert "424242" not in str(store.deliveries.collection.find_one({"_id": sent.id}))


def test_nobody_without_an_sms_number_is_texted(store, outbound):
    with pytest.raises(sign_in_codes.NoSmsNumber):
        sign_in_codes.send_code(store, outbound, CONSOLE, "p-unknown", "424242", AT)


def test_a_key_of_another_community_cannot_text_a_person_and_learns_nothing(
    store, outbound, receivers
):
    elsewhere = Actor("k-other", "other console", frozenset({"sign_in"}), frozenset({"yl"}))
    with pytest.raises(sign_in_codes.NoSmsNumber) as refused:
        sign_in_codes.send_code(store, outbound, elsewhere, "p-staff", "424242", AT)
    unknown = pytest.raises(sign_in_codes.NoSmsNumber)
    with unknown as nobody:
        sign_in_codes.send_code(store, outbound, elsewhere, "p-unknown", "424242", AT)
    assert texted(receivers) == []
    assert store.deliveries.count() == 0
    assert type(refused.value) is type(nobody.value)  # the same refusal as for nobody
