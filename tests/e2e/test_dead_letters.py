"""Dead letters on the running system: what cannot be decoded is parked, counted and
listed; the operator's CLI shows a parked message and replays it once its cause is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kombu import Connection, Exchange

from lianxin.bus.consumer import ATTEMPTS_HEADER, ERROR_HEADER, dead_letter_queue_name
from tests.e2e.conftest import community, parked_message, stats, wait_until
from tests.e2e.test_faults import counter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STREAM = "metrics.facts"


def admin(amqp_uri: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "scripts.admin", *args],
        cwd=ROOT,
        env={**os.environ, "AMQP_URI": amqp_uri, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def body_of(message) -> dict:
    return json.loads(message.body)


def publish_raw(amqp_uri: str, body: bytes, content_type: str, marker: str) -> None:
    exchange = Exchange("cases.events", type="topic", durable=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            body,
            exchange=exchange,
            routing_key="case.reported",
            content_type=content_type,
            content_encoding="utf-8",
            headers={"x-test-marker": marker},
            mandatory=True,
        )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b'{"event_id": "cut off', "application/json"), (b"case reported", "text/plain")],
    ids=["broken-json", "not-json"],
)
def test_a_message_that_cannot_be_decoded_is_parked_and_counted(
    stack, amqp_uri, body, content_type
):
    marker = f"undecodable-{content_type}"
    before = counter(stack, "metrics", "lianxin_events_dead_lettered_total", queue=STREAM)
    publish_raw(amqp_uri, body, content_type, marker)
    message = wait_until(
        "the undecodable message in the dead-letter queue",
        lambda: parked_message(
            amqp_uri, STREAM, lambda message: message.headers.get("x-test-marker") == marker
        ),
    )
    assert message.body in (body, body.decode())
    assert message.headers[ERROR_HEADER].startswith("undecodable")
    wait_until(
        "it to be counted once",
        lambda: (
            counter(stack, "metrics", "lianxin_events_dead_lettered_total", queue=STREAM)
            == before + 1
        ),
    )


def park(amqp_uri: str, queue: str, message: dict, error: str) -> None:
    """Leave `message` in `queue`'s dead-letter queue as a handler that failed on every
    attempt leaves it (lianxin.bus.consumer): the body as sent, the attempts and the error."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            json.dumps(message),
            exchange="",
            routing_key=dead_letter_queue_name(queue),
            content_type="application/json",
            content_encoding="utf-8",
            headers={ATTEMPTS_HEADER: 4, ERROR_HEADER: error},
            delivery_mode=2,
        )


def test_the_cli_lists_shows_and_replays_a_parked_message_exactly_once(stack, amqp_uri):
    place = community("dl")
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "case.reported",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": "dead-letter-test",
        "case_id": case_id,
        "payload": {
            "case_id": case_id,
            "number": "DL-20261121-0001",
            "community_id": place,
            "grid_id": f"{place}-g1",
            "category": "facility.lighting",
            "team": "repair_crew",
            "priority": "normal",
            "channel": "hotline",
            "state": "reported",
            "previous_state": None,
            "case_version": 1,
            "reported_at": datetime.now(UTC).isoformat(),
            "location": {},
            "description": "5栋楼道灯坏了",
            "hotline": None,
            "contact": None,
        },
    }
    park(amqp_uri, STREAM, event, "ConnectionFailure: the statistics store was away")

    listed = admin(amqp_uri, "deadletters", "list")
    assert listed.returncode == 0, listed.stderr
    assert any(STREAM in line and " 0 " not in line for line in listed.stdout.splitlines())
    shown = admin(amqp_uri, "deadletters", "show", STREAM, "--json")
    assert shown.returncode == 0, shown.stderr
    entries = [json.loads(line) for line in shown.stdout.splitlines()]
    mine = next(entry for entry in entries if entry["event_id"] == event["event_id"])
    assert mine["case_id"] == case_id and mine["attempts"] == 4
    assert "statistics store was away" in mine["error"]
    assert stats(stack, place)["reported"] == 0  # parked: not counted

    refused = admin(amqp_uri, "deadletters", "replay", STREAM)
    assert refused.returncode != 0 and "--all" in refused.stderr
    replayed = admin(amqp_uri, "deadletters", "replay", STREAM, "--event-id", event["event_id"])
    assert replayed.returncode == 0 and "replayed 1 message" in replayed.stdout

    wait_until("the replayed event to be counted", lambda: stats(stack, place)["reported"] == 1)
    again = admin(amqp_uri, "deadletters", "show", STREAM, "--json")
    assert event["event_id"] not in again.stdout
    assert ATTEMPTS_HEADER not in str(mine)  # the CLI shows the count, not raw headers
