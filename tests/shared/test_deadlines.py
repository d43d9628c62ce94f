"""Deadlines on the real broker: saved with a change, fired once, on time, after several hops.

A small nameko service (deadline_probe.py) records each firing; the test saves
aggregates whose outboxes carry deadlines, as a service's command would.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kombu import Connection

from lianxin import clock
from lianxin.bus import delays, topology
from lianxin.bus.deadlines import Deadline, queue_name
from lianxin.bus.outbox import OutboxPublisher
from lianxin.clock import VARIABLE, ScaledClock
from lianxin.store.aggregates import AggregateStore
from lianxin.store.engine import ConditionalWrites, Engine
from lianxin.store.lease import Leases
from tests.shared.deadline_probe import DeadlineProbe
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


# an hour of domain time a real second, from now: the clock a simulated stack runs on
SCALED = ScaledClock(datetime(2026, 7, 1, tzinfo=UTC), time.time(), 3600.0)


@pytest.fixture
def probe(quiet_amqp_uri, test_db, tmp_path):
    """Runs on a vhost of its own: the tests count what is left in the delay tiers."""
    with running_probe(quiet_amqp_uri, test_db, tmp_path, "") as fired:
        yield fired


@pytest.fixture
def scaled_probe(quiet_amqp_uri, test_db, tmp_path):
    """The probe on SCALED, as every process of a simulated stack runs."""
    with running_probe(quiet_amqp_uri, test_db, tmp_path, SCALED.spec()) as fired:
        yield fired


@contextlib.contextmanager
def running_probe(amqp_uri: str, test_db, tmp_path, clock_spec: str):
    topology.declare(amqp_uri, {"deadlineprobe": DeadlineProbe})
    config = tmp_path / "probe.yaml"
    config.write_text(
        json.dumps(
            {
                "AMQP_URI": amqp_uri,
                "MONGO_URI": "mongodb://127.0.0.1:27017/",
                "PROBE_DB": test_db.name,
                "max_workers": 4,
            }
        )
    )
    log = (tmp_path / "probe.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            str(config),
            "tests.shared.deadline_probe:DeadlineProbe",
        ],
        cwd=ROOT,
        env={**os.environ, VARIABLE: clock_spec},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # before the first deadline goes out: one due at once would otherwise wait, and
        # count late, for as long as the process takes to start (seconds on a busy machine)
        wait_until("the probe to consume its deadlines", lambda: consuming(amqp_uri), timeout=60)
        yield test_db["fired"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def consuming(amqp_uri: str) -> bool:
    """Whether the probe consumes its deadline queue."""
    with Connection(amqp_uri) as connection:
        queue = queue_name("deadlineprobe", "probe.due")
        return connection.channel().queue_declare(queue, passive=True).consumer_count > 0


def schedule(test_db, amqp_uri, deadlines: list[Deadline]) -> None:
    writes = ConditionalWrites(Engine.detect(test_db))
    store = AggregateStore(
        test_db["items"],
        Leases(test_db["leases"], writes, ttl_seconds=10),
        writes,
        OutboxPublisher(amqp_uri, "deadlineprobe"),
    )
    for deadline in deadlines:
        with store.change(deadline.aggregate_id) as change:
            change.save({"_id": deadline.aggregate_id, "due": deadline.due_at}, [deadline])


def test_deadlines_fire_once_each_no_earlier_than_due_and_within_a_tier_after(
    probe, test_db, quiet_amqp_uri
):
    amqp_uri = quiet_amqp_uri
    now = datetime.now(UTC)
    deadlines = [
        Deadline("probe.due", f"item-{seconds}", now + timedelta(seconds=seconds))
        for seconds in (0.0, 2.5, 7.0)  # 7 s: a 5 s hop, then 1 s hops, then due
    ]
    schedule(test_db, amqp_uri, deadlines)
    wait_until(
        "every deadline to fire and nothing more to be on its way",
        lambda: probe.count_documents({}) >= 3 and nothing_in_flight(amqp_uri),
    )
    fired = list(probe.find())
    assert sorted(entry["deadline_id"] for entry in fired) == sorted(d.id for d in deadlines)
    for entry in fired:
        lateness = (entry["fired_at"] - entry["due_at"]).total_seconds()
        assert -0.05 <= lateness < 1.0, entry  # the last stretch is waited out exactly


def nothing_in_flight(amqp_uri: str) -> bool:
    """No deadline waits in a delay tier or in the probe's queue (once acknowledged, a
    message is gone for good, so nothing can fire again after this)."""
    names = [
        *(delays.tier_name("deadlineprobe", s) for s in delays.DELAY_TIERS_SECONDS),
        queue_name("deadlineprobe", "probe.due"),
    ]
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        return all(channel.queue_declare(name, passive=True).message_count == 0 for name in names)


def test_a_deadline_arriving_early_goes_round_again(probe, quiet_amqp_uri):
    amqp_uri = quiet_amqp_uri
    due = datetime.now(UTC) + timedelta(seconds=3)
    deadline = Deadline("probe.due", "item-early", due)
    delays.publish(
        amqp_uri,
        "deadlineprobe",
        json.dumps(deadline.to_message()),
        queue_name("deadlineprobe", "probe.due"),
        None,
    )  # straight to the queue, 3 s early
    entry = wait_until("the early deadline", lambda: probe.find_one({"deadline_id": deadline.id}))
    assert entry["fired_at"] >= due - timedelta(seconds=0.25)


def test_on_a_scaled_clock_a_deadline_hours_away_fires_seconds_later_on_domain_time(
    scaled_probe, test_db, quiet_amqp_uri, monkeypatch
):
    """An hour a second: due 2 h and 9 h of domain time ahead, the deadlines wait about
    2 and 9 real seconds (the second through a 5 s tier) and fire when the scaled clock
    says they are due, within the broker's latency (a tenth of a second: 6 domain minutes)."""
    monkeypatch.setattr(clock, "configured", lambda: SCALED)  # the relay's clock, as in its stack
    now = SCALED.now()
    deadlines = [
        Deadline("probe.due", f"scaled-{hours}", now + timedelta(hours=hours)) for hours in (2, 9)
    ]
    began = time.monotonic()
    schedule(test_db, quiet_amqp_uri, deadlines)
    fired = scaled_probe
    wait_until("both deadlines to fire", lambda: fired.count_documents({}) >= 2, timeout=30)
    took = time.monotonic() - began
    assert 8.5 <= took < 15, took
    for entry in fired.find():
        lateness = (entry["fired_at"] - entry["due_at"]).total_seconds()
        assert -30 <= lateness < 0.3 * SCALED.speed, entry  # domain seconds
