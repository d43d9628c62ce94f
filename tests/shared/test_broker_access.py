"""The broker is a trust boundary: each service's RabbitMQ user, as production grants it
(deploy/rabbitmq/definitions.sh), reaches its own queues and exchanges and nothing else.

A vhost of the module's own with the session's service users granted on it and the
topology declared, as the deploy step does it; no service runs. Each attempt is made as
one service's user and either is refused by the broker or is shown to land nowhere but in
that service's own queues.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from amqp.exceptions import AccessRefused, NotFound
from kombu import Connection, Exchange, Queue

from lianxin.bus import delays, topology
from lianxin.bus.consumer import dead_letter_queue_name
from scripts.stack import SERVICES, service_classes
from tests.conftest import RUN_ID, add_vhost, rabbitmqctl
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

KEY_QUEUE = "evt-cases-apikey.changed--notify.on_api_key_changed"  # notify's key replica


@pytest.fixture(scope="module")
def vhost(broker_users):
    name = f"lianxin-test-{RUN_ID}-access-{uuid.uuid4().hex[:6]}"
    uri = add_vhost(name)
    broker_users.grant(name)
    topology.declare(uri, service_classes())
    yield uri
    rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="module")
def as_service(vhost, broker_users) -> Callable[[str], str]:
    """The vhost's URI with a service's user, as that service connects."""
    return lambda service: broker_users.uri(vhost, service)


def publish(uri: str, exchange: Exchange | str, routing_key: str, **properties) -> None:
    """Publish with confirms: a refusal surfaces here, not on a later call."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            {"type": "apikey.changed", "forged": True},
            exchange=exchange,
            routing_key=routing_key,
            serializer="json",
            **properties,
        )


def others_queues(service: str) -> list[str]:
    """Every queue of every other service: consumer queues, deadlines, dead letters."""
    found = []
    for other, cls in service_classes().items():
        if other != service:
            for queue in topology.consumed_sources(other, cls):
                found += [queue, dead_letter_queue_name(queue)]
    return found


def depth(uri: str, queue: str) -> int:
    with Connection(uri) as connection:
        return connection.channel().queue_declare(queue, passive=True).message_count


def test_only_cases_may_publish_on_the_cases_exchange(as_service):
    cases_events = Exchange("cases.events", type="topic", durable=True)
    with pytest.raises(AccessRefused):
        publish(as_service("roster"), cases_events, "apikey.changed")
    publish(as_service("cases"), cases_events, "apikey.changed", mandatory=True)


@pytest.mark.parametrize("service", list(SERVICES))
def test_each_service_publishes_on_its_own_events_exchange_only(as_service, service):
    for other in SERVICES:
        exchange = Exchange(f"{other}.events", type="topic", durable=True)
        if other == service:
            publish(as_service(service), exchange, "nothing.bound")
        else:
            with pytest.raises(AccessRefused):
                publish(as_service(service), exchange, "nothing.bound")


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_service_may_write_to_the_default_exchange(as_service, service):
    with pytest.raises(AccessRefused):
        publish(as_service(service), "", KEY_QUEUE)


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_service_may_route_into_another_services_queues_or_tiers(as_service, service):
    for other in SERVICES:
        if other == service:
            continue
        for exchange in (
            delays.queues_exchange(other),
            *(delays.tier_exchange(other, s) for s in delays.DELAY_TIERS_SECONDS),
        ):
            with pytest.raises(AccessRefused):
                publish(as_service(service), exchange, KEY_QUEUE)


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_services_own_delay_tier_brings_nothing_into_another_services_queue(
    vhost, as_service, service
):
    """The tier takes the message (it is the service's own), and after its delay it
    dead-letters into the service's own exchange, where no other service's queue is bound:
    the message lands nowhere."""
    tier = delays.tier_name(service, delays.DELAY_TIERS_SECONDS[0])
    victims = others_queues(service)
    before = {queue: depth(vhost, queue) for queue in victims}
    for queue in victims:
        publish(as_service(service), delays.tier_exchange(service, 1), queue, mandatory=True)
    wait_until("the tier to empty", lambda: depth(vhost, tier) == 0, timeout=30)
    assert {queue: depth(vhost, queue) for queue in victims} == before


def test_the_shared_delay_tiers_of_earlier_releases_are_gone(vhost, as_service):
    for seconds in delays.DELAY_TIERS_SECONDS:
        with pytest.raises((AccessRefused, NotFound)):
            publish(as_service("roster"), Exchange(f"lianxin.delay.{seconds}s"), KEY_QUEUE)


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_service_may_read_another_services_queues(vhost, as_service, service):
    for queue in others_queues(service)[:6]:
        with pytest.raises(AccessRefused), Connection(as_service(service)) as connection:
            Queue(queue, no_declare=True)(connection.channel()).get()
