"""A delivery's life through the pipeline (app/pipeline.py) on the in-memory store: retries
driven by the deadlines its outbox publishes, dead after the last attempt, the next
channel after that, an operator's retry, and what the API lists (app/deliveries.py)."""

from __future__ import annotations

import pytest

from lianxin.access.actors import Actor
from services.notify.app import deliveries, pipeline, reactions, replicas
from services.notify.domain.delivery import DeliveryFailed, DeliveryNotFound, NotDead
from tests.notify.app.conftest import COMMUNITY, deadlines, dispatched, person_changed

ADMIN = Actor("k-1", "ops", frozenset({"admin"}), frozenset({COMMUNITY}))
ELSEWHERE = Actor("k-2", "other", frozenset({"admin"}), frozenset({"other"}))


@pytest.fixture
def failing_sms(store, outbound, receivers, now):
    """A dispatch to a volunteer whose SMS gateway fails every time; e-mail works."""
    replicas.apply_person(
        store, person_changed("p-1", [("sms", "13912345678"), ("email", "a@b.cn")]).payload
    )
    receivers["sms"].failing = DeliveryFailed("HTTP 503 from the gateway")
    reactions.on_case_event(store, outbound, dispatched("p-1"), now)
    [first] = store.of_case("LX-1")
    return first


def test_a_failed_attempt_is_retried_when_its_deadline_comes(
    failing_sms, store, outbound, memory_backend, now
):
    assert (failing_sms.state, failing_sms.attempts) == ("failed", 1)
    [retry] = deadlines(memory_backend, pipeline.ATTEMPT)
    assert retry.due_at == failing_sms.next_attempt_at == now() + outbound.back_off.delay(1)
    now.advance(minutes=1)
    pipeline.attempt(store, outbound, retry, now)
    assert store.deliveries.get(failing_sms.id).attempts == 2
    pipeline.attempt(store, outbound, retry, now)
    assert store.deliveries.get(failing_sms.id).attempts == 2, "a deadline acts once"


def test_after_the_last_attempt_it_is_dead_and_the_next_channel_takes_the_message(
    failing_sms, store, outbound, receivers, memory_backend, now
):
    for _ in range(2):
        pipeline.attempt(store, outbound, deadlines(memory_backend, pipeline.ATTEMPT)[-1], now)
    dead = store.deliveries.get(failing_sms.id)
    assert (dead.state, dead.attempts) == ("dead", 3)
    [fallback] = deadlines(memory_backend, pipeline.FALLBACK)
    pipeline.fall_back(store, outbound, fallback, now)
    [(delivery, message, _)] = receivers["email"].sent
    assert delivery.recipient == dead.recipient and message.subject == dead.message["subject"]
    pipeline.fall_back(store, outbound, fallback, now)
    assert len(receivers["email"].sent) == 1, "the next channel is told once"
    assert memory_backend.published.event_types().count("notification.dead") == 1


def test_an_operator_sends_a_dead_delivery_again(
    failing_sms, store, outbound, receivers, memory_backend, now
):
    with pytest.raises(NotDead):
        deliveries.send_again(store, ADMIN, failing_sms.id, now())
    for _ in range(2):
        pipeline.attempt(store, outbound, deadlines(memory_backend, pipeline.ATTEMPT)[-1], now)
    receivers["sms"].failing = None
    revived = deliveries.send_again(store, ADMIN, failing_sms.id, now())
    assert (revived.state, revived.attempts) == ("pending", 0)
    pipeline.attempt(store, outbound, deadlines(memory_backend, pipeline.ATTEMPT)[-1], now)
    assert store.deliveries.get(failing_sms.id).state == "sent"


def test_a_delivery_is_shown_only_to_a_key_of_its_community(failing_sms, store):
    assert deliveries.get_delivery(store, ADMIN, failing_sms.id).id == failing_sms.id
    with pytest.raises(DeliveryNotFound):
        deliveries.get_delivery(store, ELSEWHERE, failing_sms.id)
    assert [d.id for d in deliveries.of_case(store, ADMIN, "LX-1")] == [failing_sms.id]
    assert deliveries.of_case(store, ELSEWHERE, "LX-1") == []
    assert deliveries.dead(store, ELSEWHERE, COMMUNITY, 10) == (0, [])
