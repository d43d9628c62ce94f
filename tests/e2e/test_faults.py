"""Faults lose nothing and double nothing (rules 3–5 of docs/architecture.md), shown on the
running system."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
import requests
from kombu import Connection, Exchange

from lianxin.bus.consumer import ATTEMPTS_HEADER
from tests.e2e.conftest import (
    community,
    ensure_community,
    helper_headers,
    parked_message,
    payload_of,
    report_body,
    report_case,
    stats,
    wait_for_state,
    wait_until,
    webhooks_for,
)

pytestmark = pytest.mark.e2e


def scrape(stack, service: str, replica: int = 0) -> str:
    port = stack.metrics_port(service, replica)
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def counter(stack, service: str, name: str, **labels: str) -> float:
    """One Prometheus sample summed over the service's replicas (each has its own
    /metrics and counts what it handled), 0 when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    total = 0.0
    for replica in stack.replica_ids(service):
        for line in scrape(stack, service, replica).splitlines():
            match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
            if match and ",".join(sorted(match.group(1).split(","))) == wanted:
                total += float(match.group(2))
    return total


def publish(amqp_uri: str, source: str, message: dict) -> None:
    """Put an event on the bus as the source service's relay would."""
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        connection.Producer().publish(
            message,
            exchange=exchange,
            routing_key=message["type"],
            serializer="json",
            declare=[exchange],
            retry=True,
        )


def events_in(outbox: list[dict]) -> list[str]:
    """The event types an outbox holds; the time limits' deadlines ride along with them."""
    return [entry["type"] for entry in outbox if "type" in entry]


def envelope(type_: str, payload: dict, case_id: str) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": "fault-test",
        "case_id": case_id,
        "payload": payload,
    }


def test_cases_killed_between_its_write_and_its_publish_loses_nothing_and_doubles_nothing(
    stack, sink, db
):
    place = community("f")
    ensure_community(stack, place)
    body = report_body(place)
    key = f"hotline-{uuid.uuid4()}"
    headers = {**helper_headers(stack), "Idempotency-Key": key}
    # Every cases replica stops and one comes back with the fault armed: the only writer, so
    # no other replica recovers its outbox before the checks below (test_replicas.py has a
    # surviving replica take over).
    stack.stop("cases")
    stack.start("cases", replica=0, LIANXIN_FAULTS="outbox.before_publish")
    stack.wait_ready(["cases"])

    with pytest.raises(requests.ConnectionError):  # killed before it could answer
        requests.post(f"{stack.url('cases')}/v1/cases", json=body, headers=headers, timeout=10)
    wait_until("cases to be dead", lambda: stack.running("cases", replica=0) is None)
    stored = db("cases")["cases"].find_one({"community_id": place})
    assert stored["state"] == "triaged"
    assert events_in(stored["outbox"]) == ["case.reported", "case.triaged"]

    stack.start("cases")
    stack.wait_ready(["cases"])
    retried = requests.post(
        f"{stack.url('cases')}/v1/cases", json=body, headers=headers, timeout=15
    )
    assert retried.status_code == 200 and retried.json()["id"] == stored["_id"]

    wait_for_state(stack, stored["_id"], "dispatched")
    wait_until(  # a lease left behind is the mark of an outbox not yet published
        "the case's lease to be released",
        lambda: db("cases")["leases"].find_one({"_id": f"cases:{stored['_id']}"}) is None,
    )
    wait_until("the dispatch webhook", lambda: webhooks_for(sink, stored["_id"]))
    wait_until("the statistics", lambda: stats(stack, place)["dispatched"] == 1)
    assert db("roster")["offers"].count_documents({"case_id": stored["_id"]}) == 1
    assert stats(stack, place)["reported"] == 1
    assert len(webhooks_for(sink, stored["_id"])) == 1


def test_a_redelivered_event_changes_nothing(stack, amqp_uri, db):
    place = community("f")
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    about = {
        "case_id": case_id,
        "number": "F-20261121-0001",
        "community_id": place,
        "grid_id": "jingxiang-g1",
        "category": "environment.litter",
        "team": "green_vests",
        "priority": "normal",
        "channel": "app",
        "state": "triaged",
        "previous_state": "reported",
        "case_version": 2,
        "overdue": False,
    }
    location = {"estate": None, "building": None, "unit": None, "address": None}
    triaged = envelope(
        "case.triaged",
        {
            **about,
            "location": {**location, "lat": None, "lon": None},
            "place": "第一网格",
            "category_label": {"zh": "垃圾乱扔", "en": "Litter and rubbish"},
            "description": "楼下垃圾堆了三天",
            "accept_by": datetime.now(UTC).isoformat(),
            "resolve_by": datetime.now(UTC).isoformat(),
            "triage": {"reporter": None, "keywords": ["垃圾"], "staff": None},
        },
        case_id,
    )
    bound_as = {"metrics": "case.#", "roster": "case.triaged"}  # metrics takes one stream
    handled = {
        service: counter(
            stack, service, "lianxin_events_handled_total", event=pattern, outcome="ok"
        )
        for service, pattern in bound_as.items()
    }

    publish(amqp_uri, "cases", triaged)
    publish(amqp_uri, "cases", triaged)

    # the first copy's effect, then both copies handled: the counters also count what other
    # tests on this stack still have in flight, so they alone do not say ours were handled
    wait_until("metrics to count the case", lambda: stats(stack, place)["triaged"] >= 1)
    offers = db("roster")["offers"]
    wait_until("roster to offer the case", lambda: offers.count_documents({"case_id": case_id}))
    for service in ("metrics", "roster"):
        wait_until(
            f"{service} to handle both copies",
            lambda service=service: (
                counter(
                    stack,
                    service,
                    "lianxin_events_handled_total",
                    event=bound_as[service],
                    outcome="ok",
                )
                >= handled[service] + 2
            ),
        )
    assert stats(stack, place)["triaged"] == 1
    assert db("roster")["offers"].count_documents({"case_id": case_id}) == 1


def test_a_malformed_event_is_parked_in_the_dead_letter_queue_not_dropped(stack, amqp_uri):
    poison = envelope("case.reported", {"case_id": "LX-POISON"}, "LX-POISON")
    queue_name = "metrics.facts"
    before = counter(stack, "metrics", "lianxin_events_dead_lettered_total", queue=queue_name)

    publish(amqp_uri, "cases", poison)

    message = wait_until(
        "the poison message in the dead-letter queue",
        lambda: parked_message(
            amqp_uri,
            queue_name,
            lambda message: (payload_of(message) or {}).get("event_id") == poison["event_id"],
        ),
    )
    assert message.headers[ATTEMPTS_HEADER] == 1, "a malformed message is not worth retrying"
    assert "ValidationError" in message.headers["x-lianxin-error"]
    wait_until(
        "the dead-letter to be counted, once",
        lambda: (
            counter(stack, "metrics", "lianxin_events_dead_lettered_total", queue=queue_name)
            == before + 1
        ),
    )


def test_a_failing_webhook_is_retried_with_back_off_until_delivered(stack, sink, db):
    place = community("f")
    with sink.lock:
        sink.failures_left = 2
    case = wait_for_state(stack, report_case(stack, place)["id"], "dispatched")
    hook = wait_until("the webhook after two refusals", lambda: webhooks_for(sink, case["id"]))
    assert len(hook) == 1 and hook[0]["verified"]
    delivery = wait_until(
        "the delivery to be recorded as sent",
        lambda: (found := delivery_of(stack, hook[0]["delivery_id"]))["state"] == "sent" and found,
    )
    assert delivery["attempts"] == 3
    assert [attempt["ok"] for attempt in delivery["history"]] == [False, False, True]
    wait_until("the deliveries to be counted", lambda: stats(stack, place)["notified"] == 1)
    assert stats(stack, place)["notification_failures"] == 2


def test_a_webhook_that_never_answers_ends_dead_after_the_last_attempt(stack, sink, admin_key):
    with sink.lock:
        sink.failures_left = 1000
    try:
        case = wait_for_state(stack, report_case(stack, community("f"))["id"], "dispatched")
        dead = wait_until(
            "the undeliverable dispatch to be listed dead",
            lambda: [
                delivery
                for delivery in requests.get(
                    f"{stack.url('notify')}/v1/deliveries/dead",
                    headers={"X-Api-Key": admin_key},
                    timeout=5,
                ).json()["deliveries"]
                if delivery["case_id"] == case["id"]
            ],
        )
    finally:
        with sink.lock:
            sink.failures_left = 0
    assert len(dead) == 1
    assert dead[0]["attempts"] == 4  # NOTIFY_MAX_ATTEMPTS in the stack
    assert dead[0]["last_error"]
    assert webhooks_for(sink, case["id"]) == []


def delivery_of(stack, delivery_id: str) -> dict:
    answer = requests.get(
        f"{stack.url('notify')}/v1/deliveries/{delivery_id}",
        headers=helper_headers(stack),
        timeout=5,
    )
    return answer.json() if answer.status_code == 200 else {"state": None}
