"""The topology step moves a broker set up by an earlier release, whose queues dead-lettered
to the default exchange and whose delay tiers all services shared, to per-service routes
(lianxin.bus.delays) without losing a message: what waits in a queue stays, what waits in an
old tier still arrives, and an old tier goes once it is empty."""

from __future__ import annotations

import subprocess

import pytest
from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Queue, binding

from lianxin.bus import topology
from services.notify.service import NotifyService
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

QUEUE = "evt-cases-apikey.changed--notify.on_api_key_changed"
CASES_EVENTS = Exchange("cases.events", type="topic", durable=True)


def earlier_release(channel) -> None:
    """The queue, its dead-letter queue and two shared tiers as an earlier release made them."""
    Queue(
        QUEUE,
        bindings=[binding(CASES_EVENTS, routing_key="apikey.changed")],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": 10,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": f"{QUEUE}.dead",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )(channel).declare()
    Queue(f"{QUEUE}.dead", durable=True, queue_arguments={"x-queue-type": "quorum"})(
        channel
    ).declare()
    for seconds in (1, 5):
        name = f"lianxin.delay.{seconds}s"
        Queue(
            name,
            exchange=Exchange(name, type="fanout", durable=True),
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )(channel).declare()


def arguments(vhost: str, queue: str) -> str:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "arguments"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return next(line for line in listed.splitlines() if line.startswith(f"{QUEUE}\t"))


def depth(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).message_count


def test_an_earlier_releases_queues_and_tiers_are_moved_without_losing_a_message(
    quiet_amqp_uri,
):
    vhost = quiet_amqp_uri.rsplit("/", 1)[1]
    with Connection(quiet_amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        earlier_release(channel)
        producer = connection.Producer(channel)
        producer.publish({"n": "waiting"}, exchange=CASES_EVENTS, routing_key="apikey.changed")
        producer.publish(
            {"n": "on its way back"}, exchange=Exchange("lianxin.delay.5s"), routing_key=QUEUE
        )
    topology.declare(quiet_amqp_uri, {"notify": NotifyService})
    assert '"x-dead-letter-exchange","notify.queues"' in arguments(vhost, QUEUE)
    with Connection(quiet_amqp_uri) as connection:
        with pytest.raises(NotFound):  # empty: removed at once
            connection.channel().queue_declare("lianxin.delay.1s", passive=True)
        assert depth(connection.channel(), QUEUE) >= 1
        wait_until(
            "the old tier's message in its queue", lambda: depth(connection.channel(), QUEUE) == 2
        )
    topology.declare(quiet_amqp_uri, {"notify": NotifyService})
    with Connection(quiet_amqp_uri) as connection:
        with pytest.raises(NotFound):  # empty now: removed
            connection.channel().queue_declare("lianxin.delay.5s", passive=True)
        assert depth(connection.channel(), QUEUE) == 2
