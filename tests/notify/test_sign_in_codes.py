"""The console's sign-in codes: sent once to the person's own SMS number, the stored
delivery masked, no event. The store in memory, the channel a recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lianxin.backoff import BackOff
from services.notify import replicas, sign_in_codes
from services.notify.domain import DeliveryFailed, redact
from services.notify.store import NotifyStore

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@dataclass
class Recording:
    """The SMS channel: records what each phone got, or fails as told."""

    fail: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, delivery, message):
        if self.fail:
            raise DeliveryFailed("HTTP 502 from the gateway")
        self.sent.append((delivery.contact.address, message.short))
        return "ok"


@dataclass
class Outbound:
    channels: Recording
    back_off: BackOff = field(default_factory=lambda: BackOff(max_attempts=5))

    def redact(self, text: str) -> str:
        return redact(text)


@pytest.fixture
def store(memory_backend):
    notify = NotifyStore(memory_backend.context("notify"))
    replicas.apply_person(notify, {
        "person_id": "p-staff", "community_id": "jx", "display_name": "彭国庆",
        "roles": ["staff"], "contacts": [{"channel": "wecom", "address": "robot"},
                                        {"channel": "sms", "address": "13807310700"}],
        "active": True, "person_version": 1,
    })  # fmt: skip
    return notify


def test_the_code_goes_to_the_persons_own_number_and_is_kept_masked(store, memory_backend):
    outbound = Outbound(Recording())
    sent = sign_in_codes.send_code(store, outbound, "p-staff", "424242", AT)
    assert outbound.channels.sent == [("13807310700", sign_in_codes.message("424242").short)]
    assert sent.state == "sent" and sent.kind == "sign_in_code"
    kept = store.deliveries.collection.find_one({"_id": sent.id})
    assert "424242" not in str(kept) and "******" in kept["message"]["short"]
    assert memory_backend.published.messages == []  # no event: it is about no case


def test_a_failed_send_is_kept_dead_with_no_retry_and_no_code(store):
    sent = sign_in_codes.send_code(store, Outbound(Recording(fail=True)), "p-staff", "424242", AT)
    assert sent.state == "dead" and sent.next_attempt_at is None
    assert "424242" not in str(store.deliveries.collection.find_one({"_id": sent.id}))


def test_nobody_without_an_sms_number_is_texted(store):
    with pytest.raises(sign_in_codes.NoSmsNumber):
        sign_in_codes.send_code(store, Outbound(Recording()), "p-unknown", "424242", AT)
