"""Every event a service emits has a consumer, and the declared topology keeps it.

Outboxes publish with `mandatory=True`: an event type no queue is bound to is
refused by the broker, and the outbox holding it is retried forever. The first
checks read the services' declarations and the contracts (no I/O), so a new event type
without a consumer fails here instead of piling up in production.
"""

from __future__ import annotations

import re
import uuid

import pytest
from kombu import Connection, Exchange

from lianxin.bus.consumer import DELIVERY_LIMIT, Source, consumer_queue
from lianxin.bus.delays import DELAY_TIERS_SECONDS, tier_name
from lianxin.bus.topology import consumed_sources, topic_matches
from scripts.stack import ROOT, SERVICES, declare_topology, service_classes
from services.notify.events import READS as NOTIFY_READS
from tests.conftest import AMQP_HOST_URI, rabbitmqctl
from tests.contracts.catalogue import emitted


def sources(name: str) -> list[tuple[str, str]]:
    """(source service, event pattern) pairs the service's consumers are bound to."""
    queues = consumed_sources(name, service_classes()[name])
    return [(source.service, source.pattern) for bound in queues.values() for source in bound]


def consumes(name: str, source: str, event_type: str) -> bool:
    return any(
        service == source and topic_matches(pattern, event_type)
        for service, pattern in sources(name)
    )


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("case.#", "case.resolved", True),
        ("case.#", "case", True),
        ("case.*", "case.resolved", True),
        ("case.*", "case.hotline.replied", False),
        ("case.#", "offer.made", False),
        ("case.resolved", "case.resolved", True),
        ("*.made", "offer.made", True),
    ],
)
def test_topic_patterns_match_as_the_broker_does(pattern, key, matches):
    assert topic_matches(pattern, key) is matches


@pytest.mark.parametrize("source", list(SERVICES))
def test_every_emitted_event_type_has_a_consumer(source):
    others = [name for name in SERVICES if name != source]
    orphans = {
        event for event in emitted(source) if not any(consumes(n, source, event) for n in others)
    }
    assert orphans == set(), f"{source} emits {sorted(orphans)} but nothing consumes them"


def test_every_exactly_named_event_type_a_service_waits_for_is_emitted_by_its_source():
    for name in SERVICES:
        for source, pattern in sources(name):
            if "*" not in pattern and "#" not in pattern:
                assert pattern in emitted(source), f"{name} waits for {source}/{pattern}"


@pytest.mark.integration
def test_the_declared_topology_keeps_an_event_for_every_consumer_not_yet_running():
    """A fresh vhost, topology declared, no service running: one published case.triaged
    waits in every queue bound to it; the queues are quorum queues with a delivery limit."""
    vhost = f"lianxin-topology-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        uri = AMQP_HOST_URI.rstrip("/") + "/" + vhost
        expected = {
            queue
            for name in SERVICES
            for queue, bound in consumed_sources(name, service_classes()[name]).items()
            if any(s.service == "cases" and topic_matches(s.pattern, "case.triaged") for s in bound)
        }
        assert declare_topology(uri) == sum(
            len(consumed_sources(name, service_classes()[name])) for name in SERVICES
        )
        assert declare_topology(uri) > 0  # safe to repeat
        with Connection(uri, transport_options={"confirm_publish": True}) as connection:
            connection.Producer().publish(
                {"type": "case.triaged"},
                exchange=Exchange("cases.events", type="topic", durable=True),
                routing_key="case.triaged",
                mandatory=True,
            )
            channel = connection.channel()
            waiting = {queue: channel.queue_declare(queue, passive=True)[1] for queue in expected}
        assert len(expected) >= 2 and waiting == dict.fromkeys(expected, 1)
        listed = rabbitmqctl_out("list_queues", "-p", vhost, "name", "type", "arguments")
        for queue in expected:
            line = next(row for row in listed.splitlines() if row.startswith(queue + "\t"))
            assert "\tquorum\t" in line and f'"x-delivery-limit",{DELIVERY_LIMIT}' in line
        for name in SERVICES:  # each service's own tiers (lianxin.bus.delays)
            for seconds in DELAY_TIERS_SECONDS:
                assert f"{tier_name(name, seconds)}\tquorum\t" in listed
    finally:
        rabbitmqctl("delete_vhost", vhost)


def rabbitmqctl_out(*args: str) -> str:
    import subprocess

    return subprocess.run(
        ["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def documented_consumers(service: str) -> set[str]:
    """The case event types whose row in docs/events.md names `service` as a consumer."""
    found = set()
    for row in (ROOT / "docs" / "events.md").read_text(encoding="utf-8").splitlines():
        cells = row.split("|")
        if len(cells) < 4 or not cells[1].strip().startswith("`case."):
            continue
        if service in cells[3]:
            found |= set(re.findall(r"`(case\.[a-z_]+)`", cells[1]))
    return found


def test_notify_is_bound_to_exactly_the_case_events_the_docs_name_it_for():
    bound = {
        pattern
        for source, pattern in sources("notify")
        if source == "cases" and pattern.startswith("case.")
    }
    assert bound == documented_consumers("notify")
    assert "case.triaged" not in bound  # roster's and metrics', the busiest of all
    assert bound <= NOTIFY_READS.types, "bound but read as unknown: dropped unread"


@pytest.mark.integration
def test_the_topology_step_removes_a_binding_an_earlier_release_left():
    """notify's queue was bound to every case event (`case.#`) before: after the topology
    step it gets the events it is bound to now, and a case.triaged no longer."""
    vhost = f"lianxin-retired-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        uri = AMQP_HOST_URI.rstrip("/") + "/" + vhost
        [queue] = [
            name
            for name, bound in consumed_sources("notify", service_classes()["notify"]).items()
            if Source("cases", "case.dispatched") in bound
        ]
        exchange = Exchange("cases.events", type="topic", durable=True)
        with Connection(uri) as connection:
            exchange(connection.channel()).declare()
            consumer_queue("notify", queue, [Source("cases", "case.#")])(
                connection.channel()
            ).declare()
        declare_topology(uri)
        declare_topology(uri)  # and again: removing a binding that is gone is no error
        with Connection(uri, transport_options={"confirm_publish": True}) as connection:
            for routing_key in ("case.triaged", "case.dispatched"):
                connection.Producer().publish(
                    {"type": routing_key}, exchange=exchange, routing_key=routing_key
                )
            waiting = connection.channel().queue_declare(queue, passive=True)[1]
        assert waiting == 1, "only the case.dispatched reached notify"
    finally:
        rabbitmqctl("delete_vhost", vhost)
