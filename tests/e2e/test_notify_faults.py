"""Notify when receivers fail: retries with back-off, the next channel, dead and listed;
a receiver that hangs or trickles cannot hold a send past its budget; a restart in the
middle of retries loses nothing; a redelivered event sends nothing twice; quiet hours
hold and bursts bundle; and after all that, no secret in logs, events or answers."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests
from kombu import Connection, Queue

from lianxin.bus.consumer import dead_letter_queue_name
from tests.notify.harness import ROOT, NotifyRun, envelope, wait_until
from tests.notify.scenario import add_person, dispatched, sent

pytestmark = pytest.mark.e2e

BUDGET = 1.5  # LEASE_TTL_SECONDS 3 in the harness: a send gets half of it


@pytest.fixture(scope="module")
def notify(scenario, tmp_path_factory):
    with NotifyRun(tmp_path_factory.mktemp("notify"), scenario.env()) as run:
        for place in scenario.places():
            run.publish("roster", place)
        yield run


@pytest.fixture(scope="module")
def answers():
    """Every API answer the tests read, for the search for secrets at the end."""
    return []


def api(notify, answers, key: str, path: str, method: str = "GET", replica: int = 0):
    answer = requests.request(
        method, f"{notify.url(replica)}{path}", headers={"X-Api-Key": key}, timeout=10
    )
    answers.append(f"{answer.status_code} {dict(answer.headers)} {answer.text}")
    return answer


def test_a_refusing_receiver_is_retried_with_back_off_until_it_takes_the_message(
    notify, scenario, peer, tap
):
    add_person(notify, scenario, "p-hook", [("webhook", peer.url("/p-hook?token=abc123secret"))])
    peer.behave("/p-hook", fail=2, status=500, ok_status=204, ok_body=b"")
    event = dispatched(scenario, "p-hook")
    notify.publish("cases", event)

    [delivery] = sent(notify, event["case_id"])
    assert delivery["attempts"] == 3
    assert [attempt["ok"] for attempt in delivery["history"]] == [False, False, True]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(delivery["history"])]
    assert gaps[0] >= timedelta(seconds=0.9) and gaps[1] >= timedelta(seconds=1.9), gaps
    received = peer.received("/p-hook")
    assert len(received) == 3 and received[-1].signed_by(scenario.secrets["signing"])
    assert {r.delivery_id for r in received} == {delivery["_id"]}
    wait_until("the outcome events", lambda: len(tap.about(delivery["_id"])) == 3)
    assert tap.about(delivery["_id"]) == [
        "notification.failed",
        "notification.failed",
        "notification.delivered",
    ]


def test_a_channel_that_fails_for_good_dies_and_the_next_channel_takes_the_message(
    notify, scenario, peer, tap, answers
):
    broken = peer.url("/broken?access_token=robot-key-never-shown")
    add_person(notify, scenario, "p-fallback", [("wecom", broken), ("sms", "13955556666")])
    peer.behave("/broken", fail=1000, status=502)
    event = dispatched(scenario, "p-fallback")
    notify.publish("cases", event)

    [fallback] = sent(notify, event["case_id"])
    assert fallback["contact"] == {"channel": "sms", "address": "13955556666"}
    [dead] = notify.deliveries(case_id=event["case_id"], state="dead")
    assert dead["attempts"] == 3 and dead["contact"]["channel"] == "wecom"
    assert "HTTP 502" in dead["history"][-1]["error"]
    assert tap.about(dead["_id"]) == [
        "notification.failed",
        "notification.failed",
        "notification.failed",
        "notification.dead",
    ]

    admin = notify.issue_key(["admin"], ["*"])
    listed = api(notify, answers, admin, f"/v1/deliveries/dead?community_id={scenario.community}")
    assert listed.status_code == 200 and listed.json()["count"] >= 1
    shown = next(d for d in listed.json()["deliveries"] if d["id"] == dead["_id"])
    assert shown["address"].endswith("/broken?…") and shown["state"] == "dead"
    assert "robot-key-never-shown" not in listed.text
    reader = notify.issue_key(["read"], [scenario.community])
    assert api(notify, answers, reader, "/v1/deliveries/dead").status_code == 403
    stranger = notify.issue_key(["read"], ["another-community"])
    assert api(notify, answers, stranger, f"/v1/deliveries/{dead['_id']}").status_code == 404
    mine = api(notify, answers, reader, f"/v1/deliveries/{dead['_id']}")
    assert mine.status_code == 200
    assert mine.json()["next_channels"] == ["sms", "wecom"], "then the grid's group robot"
    assert api(notify, answers, "", f"/v1/deliveries/{dead['_id']}").status_code == 401


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_receiver_that_hangs_or_trickles_cannot_hold_a_send_past_its_budget(
    notify, scenario, peer, mode
):
    path = f"/slow-{mode}"
    add_person(notify, scenario, f"p-{mode}", [("webhook", peer.url(path)), ("sms", "13900001111")])
    peer.behave(path, **({"hang": 30.0} if mode == "hang" else {"trickle": 0.2}))
    event = dispatched(scenario, f"p-{mode}")
    notify.publish("cases", event)

    [fallback] = sent(notify, event["case_id"])
    [dead] = notify.deliveries(case_id=event["case_id"], state="dead")
    assert dead["attempts"] == 3 and fallback["contact"]["channel"] == "sms"
    for attempt in dead["history"]:
        assert "within 1.5s" in attempt["error"], attempt
    started = [r.at for r in peer.received(path)]
    assert len(started) == 3, "one send per attempt, none repeated by an outrun lease"
    spacing = [b - a for a, b in itertools.pairwise(started)]
    assert all(gap >= BUDGET for gap in spacing), spacing


def test_a_restart_in_the_middle_of_retries_loses_no_delivery_and_sends_it_once(
    notify, scenario, peer
):
    add_person(notify, scenario, "p-restart", [("webhook", peer.url("/restart"))])
    peer.behave("/restart", fail=1000, status=503, ok_status=204, ok_body=b"")
    event = dispatched(scenario, "p-restart")
    notify.publish("cases", event)
    wait_until(
        "a first failed attempt",
        lambda: [d for d in notify.deliveries(case_id=event["case_id"]) if d["state"] == "failed"],
    )

    for replica in range(notify.replicas):  # its next attempt waits in the broker, not in memory
        notify.stop(f"notify-{replica}", signal.SIGKILL)
    peer.behave("/restart", ok_status=204, ok_body=b"")  # the receiver is back meanwhile
    for replica in range(notify.replicas):
        notify.start(replica)
    notify.wait_ready()

    [delivery] = sent(notify, event["case_id"])
    assert len(peer.received("/restart")) == delivery["attempts"] >= 2
    assert [attempt["ok"] for attempt in delivery["history"]][-1:] == [True]
    assert sum(attempt["ok"] for attempt in delivery["history"]) == 1


def test_a_redelivered_event_sends_nothing_twice(notify, scenario, peer):
    add_person(notify, scenario, "p-twice", [("webhook", peer.url("/twice"))])
    peer.behave("/twice", ok_status=204, ok_body=b"")
    event = dispatched(scenario, "p-twice")
    before = notify.handled()
    notify.publish("cases", event)
    notify.publish("cases", event)
    wait_until("both copies handled", lambda: notify.handled() >= before + 2)
    [delivery] = sent(notify, event["case_id"])
    assert delivery["attempts"] == 1
    mine = [r for r in peer.received("/twice") if r.json["case_id"] == event["case_id"]]
    assert len(mine) == 1


def test_quiet_hours_hold_a_volunteer_message_and_an_urgent_one_goes_at_once(
    notify, scenario, peer
):
    local = datetime.now(UTC) + timedelta(hours=8)  # Asia/Shanghai
    quiet = f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=2):%H:%M}"
    add_person(notify, scenario, "p-quiet", [("webhook", peer.url("/quiet"))], quiet_hours=quiet)
    held, urgent = (
        dispatched(scenario, "p-quiet"),
        dispatched(scenario, "p-quiet", priority="urgent"),
    )
    notify.publish("cases", held)
    notify.publish("cases", urgent)

    sent(notify, urgent["case_id"])
    [waiting] = wait_until("the held delivery", lambda: notify.deliveries(case_id=held["case_id"]))
    assert waiting["state"] == "pending" and waiting["attempts"] == 0
    assert waiting["next_attempt_at"] - datetime.now(UTC) > timedelta(minutes=100)
    assert [r.json["case_id"] for r in peer.received("/quiet")] == [urgent["case_id"]]


def test_a_burst_of_offers_to_one_person_is_never_bundled(notify, scenario, peer):
    """An offer bundled into a digest arrived after its accept deadline, its links gone:
    offers (and every time-critical message) go at once, whatever the rate."""
    add_person(notify, scenario, "p-offers", [("webhook", peer.url("/offers"))])
    events = [dispatched(scenario, "p-offers") for _ in range(5)]  # over NOTIFY_RATE_COUNT 3
    for event in events:
        notify.publish("cases", event)
    for event in events:
        [delivery] = sent(notify, event["case_id"])
        assert delivery["attempts"] == 1 and delivery.get("bundled_into") is None
    bodies = [r.json for r in peer.received("/offers")]
    assert sorted(b["case_id"] for b in bodies) == sorted(e["case_id"] for e in events)
    assert all(b["kind"] == "case.dispatched" and b["links"] for b in bodies)


def extension_decided(scenario, person_id: str) -> dict:
    about = scenario.case(assignee={"person_id": person_id, "display_name": "侯**"})
    return envelope(
        "case.extension_decided",
        {**about, "approved": True, "until": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
        about["case_id"],
    )


def test_a_burst_of_news_to_one_person_is_bundled_into_a_digest_naming_its_cases(
    notify, scenario, peer
):
    add_person(
        notify, scenario, "p-burst", [("sms", "13911112222"), ("webhook", peer.url("/burst"))]
    )
    events = [extension_decided(scenario, "p-burst") for _ in range(5)]
    for event in events:
        notify.publish("cases", event)

    def states():
        return sorted(d["state"] for e in events for d in notify.deliveries(case_id=e["case_id"]))

    assert wait_until("3 sent and 2 bundled", lambda: states() == ["bundled"] * 2 + ["sent"] * 3)
    bundled = [d for e in events for d in notify.deliveries(case_id=e["case_id"], state="bundled")]
    digest_id = {d["bundled_into"] for d in bundled}.pop()
    digest = wait_until(
        "the digest",
        lambda: (d := notify.delivery(digest_id)) and d["state"] == "sent" and d,
        timeout=30,
    )
    assert {item["case_id"] for item in digest["bundle"]} == {d["case_id"] for d in bundled}
    [sms] = [r.json for r in peer.received("/sms") if r.json["reference"] == digest_id]
    numbers = [
        e["payload"]["number"] for e in events if e["case_id"] in {d["case_id"] for d in bundled}
    ]
    assert all(number in sms["text"] for number in numbers), sms["text"]
    assert "2" in sms["text"] and "条" in sms["text"]


def test_no_secret_appears_in_logs_events_dead_letters_or_answers(notify, scenario, tap, answers):
    """After the failing runs above: it searches what they left behind."""
    admin = notify.issue_key(["admin"], ["*"])
    for delivery in notify.deliveries():
        api(notify, answers, admin, f"/v1/deliveries/{delivery['_id']}")
    api(notify, answers, admin, "/v1/deliveries/dead")
    parked = []
    with Connection(notify.amqp_uri) as connection:
        channel = connection.channel()
        for queue in ("notify.cases", "notify.roster"):
            dead = Queue(dead_letter_queue_name(queue), no_declare=True)(channel)
            while (message := dead.get(no_ack=False)) is not None:
                parked.append(f"{message.headers} {message.body}")
        channel.close()
    haystacks = {
        "logs": notify.logs(),
        "events": json.dumps(tap.drain(), ensure_ascii=False),
        "dead letters": "\n".join(parked),
        "answers": "\n".join(answers),
    }
    assert len(answers) > 10 and "HTTP 50" in haystacks["events"], "a failing run was searched"
    wanted = {
        **scenario.secrets,
        "robot key": "robot-key-never-shown",
        "hook token": "abc123secret",
    }
    for where, text in haystacks.items():
        for name, secret in wanted.items():
            assert secret not in text, f"{name} found in {where}"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NOTIFY_SIGNING_SECRET", ""),
        ("NOTIFY_SIGNING_SECRET", "change-me"),
        ("NOTIFY_SIGNING_SECRET", "dev-signing-secret"),
        ("NOTIFY_SMS_API_KEY", "short"),
        ("NT_HOTLINE_SECRET", "changeme"),
    ],
)
def test_notify_refuses_to_start_with_an_empty_or_default_secret(
    scenario, notify, variable, value
):
    """On the running notify's vhost, where the exchanges it binds to exist: nameko sets up
    the consumers and the parts together, so on a vhost without them the missing exchange
    (404) can end the process before the secret is read."""
    env = {
        **os.environ,
        **scenario.env(),
        "LIANXIN_DEV_MODE": "false",
        "LIANXIN_TOKEN_SECRET": "a-real-token-secret-0123456789",
        "NOTIFY_SIGNING_SECRET": "a-real-signing-secret-0123456789",
        "AMQP_URI": notify.amqp_uri,
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "METRICS_ADDRESS": "",
        variable: value,
    }
    config = ROOT / "deploy" / "config" / "notify.yaml"
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "nameko",
            "run",
            "--config",
            str(config),
            "services.notify.service:NotifyService",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "InsecureSecret" in started.stderr
    if value:
        assert value not in started.stderr.split("InsecureSecret")[-1], "the value is not shown"
