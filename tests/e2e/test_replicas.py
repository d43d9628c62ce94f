"""Two replicas of every service (the `stack` fixture runs two of each): they compete on the
same queues and run the same timers, and every effect still lands once. And what `make up`
does brings a killed process back on its first call."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from scripts.stack import SERVICES
from tests.e2e.conftest import (
    community,
    ensure_community,
    helper_headers,
    report_body,
    stats,
    wait_until,
    webhooks_for,
)

pytestmark = pytest.mark.e2e

BURST = 40
SENT_TWICE = 10  # of the burst, sent to both cases replicas at once with one Idempotency-Key
WORK = {"cases": "offer.made", "roster": "case.triaged"}  # what the burst gives each to consume
# The services a burst of reports reaches: the console reads only roster's person.changed,
# and estate only that and hours.credited, which no report causes (docs/events.md)
REACHED = [service for service in SERVICES if service not in ("console", "estate")]


def handled(stack, service: str, replica: int, event: str | None = None) -> float:
    """Events one replica's consumers handled successfully, from its own /metrics."""
    port = stack.metrics_port(service, replica)
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    total = 0.0
    for labels, value in re.findall(r"^lianxin_events_handled_total\{(.*)\} (\S+)$", text, re.M):
        if 'outcome="ok"' in labels and (event is None or f'event="{event}"' in labels):
            total += float(value)
    return total


def post_case(stack, replica: int, body: dict, key: str) -> requests.Response:
    """POST /v1/cases to one replica; a 503 (another writer holds the case) is retried
    after its Retry-After, as the API asks of clients."""
    for _ in range(30):
        response = requests.post(
            f"{stack.url('cases', replica)}/v1/cases",
            json=body,
            headers={**helper_headers(stack), "Idempotency-Key": key},
            timeout=30,
        )
        if response.status_code != 503:
            break
        time.sleep(float(response.headers.get("Retry-After", "1")))
    return response


def get_case(stack, replica: int, case_id: str) -> dict:
    return requests.get(
        f"{stack.url('cases', replica)}/v1/cases/{case_id}",
        headers=helper_headers(stack),
        timeout=5,
    ).json()


def pids(stack) -> dict[str, int]:
    return {info["name"]: info["pid"] for info in stack.status()}


@pytest.fixture(autouse=True)
def two_of_each(stack):
    if any(stack.replica_count(service) < 2 for service in SERVICES):
        pytest.skip("needs two replicas of every service (LIANXIN_E2E_REPLICAS=1 was set)")


def test_a_burst_over_two_replicas_of_each_service_applies_every_effect_once(stack, sink, db):
    place = community("r")
    ensure_community(stack, place)
    replicas = [
        (service, replica) for service in REACHED for replica in stack.replica_ids(service)
    ]
    before = {(s, r): handled(stack, s, r, WORK.get(s)) for s, r in replicas}
    sends = []  # (replica, body, key); a report sent twice goes to both replicas, side by side
    for index in range(BURST):
        body = report_body(place, description=f"5栋楼道灯坏了 stair light broken #{index}")
        key = f"burst-{uuid.uuid4()}"
        sends.append((index % 2, body, key))
        if index < SENT_TWICE:
            sends.append((1 - index % 2, body, key))

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda send: post_case(stack, *send), sends))

    answers: dict[str, list[requests.Response]] = {}
    for (_, _, key), response in zip(sends, responses, strict=True):
        assert response.status_code in (200, 201), response.text
        answers.setdefault(key, []).append(response)
    for key, same in answers.items():
        expected = [200, 201] if len(same) == 2 else [201]
        assert sorted(response.status_code for response in same) == expected, key
        assert len({response.json()["id"] for response in same}) == 1, key
    ids = sorted({same[0].json()["id"] for same in answers.values()})
    assert len(ids) == BURST
    cases = db("cases")["cases"]
    assert cases.count_documents({"community_id": place}) == BURST

    wait_until(
        "every case of the burst to be dispatched",
        lambda: cases.count_documents({"community_id": place, "state": "dispatched"}) == BURST,
        timeout=120,
    )
    wait_until(
        "a webhook for every case", lambda: all(webhooks_for(sink, i) for i in ids), timeout=60
    )
    wait_until(
        "the statistics to count the burst",
        lambda: (
            (totals := stats(stack, place))["dispatched"] >= BURST and totals["notified"] >= BURST
        ),
        timeout=60,
    )
    wait_until(  # a lease left behind is the mark of an outbox not yet published
        "every case's lease to be released",
        lambda: (
            db("cases")["leases"].count_documents({"_id": {"$in": [f"cases:{i}" for i in ids]}})
            == 0
        ),
    )

    for index, case_id in enumerate(ids):
        case = get_case(stack, index % 2, case_id)  # either replica reads the same case
        steps = [step["state"] for step in case["timeline"]]
        assert steps == ["reported", "triaged", "dispatched"], (case_id, steps)
        assert len(webhooks_for(sink, case_id)) == 1, case_id
    offers = db("roster")["offers"].find({"case_id": {"$in": ids}}, {"case_id": 1})
    assert sorted(offer["case_id"] for offer in offers) == ids
    totals = stats(stack, place)
    counted = ("reported", "triaged", "dispatched", "notified")
    assert {measure: totals[measure] for measure in counted} == dict.fromkeys(counted, BURST)
    assert (totals["escalated"], totals["accepted"]) == (0, 0)

    after = {(s, r): handled(stack, s, r, WORK.get(s)) for s, r in replicas}
    idle = [f"{s}-{r}" for s, r in replicas if after[(s, r)] <= before[(s, r)]]
    assert not idle, f"replicas that consumed nothing of the burst: {idle}"


def test_a_replica_killed_between_write_and_publish_is_covered_by_the_other(stack, sink, db):
    """cases-0 dies by SIGKILL between storing a case and publishing its events; nothing
    restarts it. cases-1's sweeper takes the stale lease over and publishes, once."""
    place = community("r")
    ensure_community(stack, place)
    body = report_body(place)
    key = f"hotline-{uuid.uuid4()}"
    stack.stop("cases", replica=0)
    stack.start("cases", replica=0, LIANXIN_FAULTS="outbox.before_publish")
    try:
        stack.wait_ready(["cases"])
        with pytest.raises(requests.ConnectionError):  # killed before it could answer
            requests.post(
                f"{stack.url('cases', 0)}/v1/cases",
                json=body,
                headers={**helper_headers(stack), "Idempotency-Key": key},
                timeout=10,
            )
        wait_until("cases-0 to be dead", lambda: stack.running("cases", replica=0) is None)
        stored = db("cases")["cases"].find_one({"community_id": place})
        assert stored is not None, "the case was stored before the kill"

        case = wait_until(
            "cases-1 to publish the dead replica's events",
            lambda: (found := get_case(stack, 1, stored["_id"]))["state"] == "dispatched" and found,
        )
        assert stack.running("cases", replica=0) is None, "nobody restarted cases-0"
        retried = post_case(stack, 1, body, key)
        assert retried.status_code == 200 and retried.json()["id"] == case["id"]
        wait_until("the dispatch webhook", lambda: webhooks_for(sink, case["id"]))
        wait_until("the statistics", lambda: stats(stack, place)["dispatched"] == 1)
        assert db("roster")["offers"].count_documents({"case_id": case["id"]}) == 1
        assert stats(stack, place)["reported"] == 1
        assert len(webhooks_for(sink, case["id"])) == 1
        assert [step["state"] for step in case["timeline"]] == ["reported", "triaged", "dispatched"]
    finally:
        stack.start("cases", replica=0)
        stack.wait_ready(["cases"])


def test_up_brings_back_a_killed_process_on_its_first_call(stack):
    """`make up` runs Stack.up. Called right after a SIGKILL (supervisord may not have reaped
    the process yet, and the session's stack has no autorestart), it starts the replica
    again, waits until it answers, and leaves everything else alone."""
    before = pids(stack)
    victim = stack.running("roster", replica=1)
    assert victim and before["roster-1"] == victim
    os.kill(victim, signal.SIGKILL)
    stack.up()

    revived = stack.running("roster", replica=1)
    assert revived and revived != victim
    assert requests.get(f"{stack.url('roster', 1)}/healthz", timeout=5).status_code == 200
    assert {name: pid for name, pid in pids(stack).items() if name != "roster-1"} == {
        name: pid for name, pid in before.items() if name != "roster-1"
    }

    began = time.monotonic()
    again = stack.up()  # everything runs: nothing to start, quick
    assert set(again.values()) == {"running"}, again
    assert pids(stack) == {**before, "roster-1": revived}
    assert time.monotonic() - began < 15
