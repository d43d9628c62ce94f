"""Dead letters on the running system: what cannot be decoded is parked, counted and
listed; the operator's CLI shows a parked message and replays it once its cause is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection, Exchange

from lianxin.consumer import ATTEMPTS_HEADER, ERROR_HEADER
from tests.e2e.conftest import (
    community,
    parked_message,
    report_case,
    wait_for_state,
    wait_until,
    webhooks_for,
)
from tests.e2e.test_faults import counter

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STREAM = "metrics.facts"
DISPATCHES = "evt-cases-case.dispatched--notify.deliver_notification"


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


def test_the_cli_lists_shows_and_replays_a_parked_message_exactly_once(stack, sink, amqp_uri):
    with sink.lock:
        sink.failures_left = 1000  # the receiver is down for longer than every attempt
    try:
        case = wait_for_state(stack, report_case(stack, community("dl"))["id"], "dispatched")
        message = wait_until(
            "the undeliverable dispatch to be parked",
            lambda: parked_message(
                amqp_uri, DISPATCHES, lambda message: body_of(message)["case_id"] == case["id"]
            ),
        )
    finally:
        with sink.lock:
            sink.failures_left = 0
    event_id = json.loads(message.body)["event_id"]

    listed = admin(amqp_uri, "deadletters", "list")
    assert listed.returncode == 0, listed.stderr
    assert any(DISPATCHES in line and " 0 " not in line for line in listed.stdout.splitlines())
    shown = admin(amqp_uri, "deadletters", "show", DISPATCHES, "--json")
    assert shown.returncode == 0, shown.stderr
    entries = [json.loads(line) for line in shown.stdout.splitlines()]
    mine = next(entry for entry in entries if entry["event_id"] == event_id)
    assert mine["case_id"] == case["id"] and mine["attempts"] == 4 and "HTTPError" in mine["error"]
    assert webhooks_for(sink, case["id"]) == []

    refused = admin(amqp_uri, "deadletters", "replay", DISPATCHES)
    assert refused.returncode != 0 and "--all" in refused.stderr
    replayed = admin(amqp_uri, "deadletters", "replay", DISPATCHES, "--event-id", event_id)
    assert replayed.returncode == 0 and "replayed 1 message" in replayed.stdout

    hook = wait_until(
        "the replayed dispatch to be delivered", lambda: webhooks_for(sink, case["id"])
    )
    assert len(hook) == 1 and hook[0]["verified"]
    again = admin(amqp_uri, "deadletters", "show", DISPATCHES, "--json")
    assert event_id not in again.stdout
    assert ATTEMPTS_HEADER not in str(mine)  # the CLI shows the count, not raw headers
