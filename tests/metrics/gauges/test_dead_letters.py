"""The dead-letter queues the business metrics watch: named as lianxin.bus.topology names the
consumers of every service, and their depths read from the real broker."""

from __future__ import annotations

import pytest
import yaml
from kombu import Connection, Exchange

from lianxin.bus.consumer import dead_letter_queue
from scripts.stack import SERVICES, consumed_queues
from services.metrics.gauges.dead_letters import DeadLetterDepths
from tests.metrics.queries import ROOT

WATCHED = dict(SERVICES)


def test_every_consumer_queue_of_every_service_is_watched():
    watched = DeadLetterDepths("amqp://unused", WATCHED).queues()
    assert watched == sorted(queue for service in SERVICES for queue in consumed_queues(service))
    assert "metrics.facts" in watched


def test_the_config_watches_the_four_services():
    config = yaml.safe_load((ROOT / "deploy/config/metrics.yaml").read_text(encoding="utf-8"))
    assert config["DEAD_LETTER_WATCH"] == WATCHED


def test_a_service_that_cannot_be_read_leaves_the_gauge_empty_rather_than_failing():
    assert DeadLetterDepths("amqp://unused", {"x": "services.nowhere:Nothing"}).queues() == []


@pytest.mark.integration
def test_depths_count_what_waits_in_each_dead_letter_queue(quiet_amqp_uri):
    amqp_uri = quiet_amqp_uri
    depths = DeadLetterDepths(amqp_uri, {"metrics": WATCHED["metrics"]})
    with Connection(amqp_uri) as connection:
        dead = dead_letter_queue("metrics", "metrics.facts")(connection.default_channel)
        dead.declare()
        for number in range(3):
            connection.Producer().publish(
                {"n": number}, exchange=Exchange(""), routing_key=dead.name, serializer="json"
            )
    found = depths()
    assert found["metrics.facts"] == 3
    assert set(found) == set(depths.queues())  # a queue never declared counts 0, not an error
