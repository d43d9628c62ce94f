"""Volunteer activities end to end on the real stack: staff publish, two volunteers sign up
for the last place at once (one wins), a check-in only while the activity runs credits
the hours ledger exactly once however often it is sent, and metrics counts the activity,
its attendance and its minutes once even when roster's events are delivered again.
Attacks: a volunteer publishing, another community's key, a check-in for nobody signed
up, a retried publish."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Exchange

from tests.e2e.conftest import client, wait_until
from tests.e2e.test_roster_dispatch import (
    RosterEvents,
    import_community,
    new_code,
    small_community,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def place(stack, admin_key) -> str:
    code = new_code("act")
    imported = import_community(stack, admin_key, small_community(code))
    assert imported.status_code == 200, imported.text
    return code


def person(keys, place: str, suffix: str, role: str):
    return client(
        keys.issue(["read", "act"], [place]),
        keys.person_token(f"{place}-{suffix}", role, [place]),
    )


def body(place: str, starts: datetime, capacity: int = 1, **more) -> dict:
    return {
        "community_id": place,
        "kind": "cleanup",
        "title": "清洁家园",
        "places": [f"{place}-g1"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": capacity,
        "hours_rule": {"basis": "length", "cap_minutes": 90},
        **more,
    }


def publish(staff, stack, document: dict, key: str):
    return staff.post(f"{stack.url('roster')}/v1/activities", json=document,
                      headers={"Idempotency-Key": key}, timeout=10)  # fmt: skip


def test_bad_input_changes_nothing_and_only_the_communitys_staff_publish(stack, keys, place):
    staff = person(keys, place, "staff", "staff")
    starts = datetime.now(UTC) + timedelta(days=1)
    roster = stack.url("roster")
    refused = publish(staff, stack, body(place, starts, places=["nowhere"]), "p-1")
    assert refused.status_code == 400 and "places" in refused.json()["error"]["fields"]
    backwards = publish(staff, stack, body(place, starts, ends_at=starts.isoformat()), "p-2")
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["error"]["fields"]
    volunteer = person(keys, place, "v1", "volunteer")
    assert publish(volunteer, stack, body(place, starts), "p-3").status_code == 403
    listed = staff.get(f"{roster}/v1/activities", params={"community_id": place}, timeout=10)
    assert listed.json()["activities"] == []

    made = publish(staff, stack, body(place, starts), "p-4")
    again = publish(staff, stack, body(place, starts), "p-4")
    assert made.status_code == again.status_code == 201
    assert made.json()["activity_id"] == again.json()["activity_id"]
    other = new_code("act")
    elsewhere = client(keys.issue(["read", "act"], [other]))
    url = f"{roster}/v1/activities/{made.json()['activity_id']}"
    assert elsewhere.get(url, timeout=10).status_code == 404
    assert elsewhere.post(f"{url}/signup", timeout=10).status_code == 404


def test_two_sign_ups_for_the_last_place_at_once_one_wins(stack, keys, place):
    staff = person(keys, place, "staff", "staff")
    made = publish(staff, stack, body(place, datetime.now(UTC) + timedelta(days=1)), "last")
    url = f"{stack.url('roster')}/v1/activities/{made.json()['activity_id']}/signup"
    volunteers = [person(keys, place, f"v{n}", "volunteer") for n in (1, 2)]
    answers: list[int] = []
    start = threading.Barrier(2)

    def sign_up(session) -> None:
        start.wait()
        answers.append(session.post(url, timeout=30).status_code)

    threads = [threading.Thread(target=sign_up, args=(v,)) for v in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    shown = staff.get(url.removesuffix("/signup"), timeout=10).json()
    assert (shown["signed_up"], shown["places_left"]) == (1, 0)


def test_a_check_in_credits_the_ledger_once_and_metrics_counts_it_once(
    stack, keys, place, amqp_uri
):
    probe = RosterEvents(amqp_uri)
    try:
        check_in_and_count(stack, keys, place, probe, amqp_uri)
    finally:
        probe.close()


def check_in_and_count(stack, keys, place: str, probe: RosterEvents, amqp_uri: str) -> None:
    staff = person(keys, place, "staff", "staff")
    roster = stack.url("roster")
    me, neighbour, stranger = (person(keys, place, f"v{n}", "volunteer") for n in (1, 2, 3))
    # surely early, whatever the load: an activity three days off (and so outside the days
    # the summary below reads)
    later = publish(staff, stack, body(place, datetime.now(UTC) + timedelta(days=3)), "later")
    later_url = f"{roster}/v1/activities/{later.json()['activity_id']}"
    assert me.post(f"{later_url}/signup", timeout=10).status_code == 200
    early = me.post(f"{later_url}/check-in", timeout=10)
    assert early.status_code == 409 and early.json()["error"]["code"] == "outside_window"

    made, published = signed_up_before_it_starts(staff, stack, place, (me, neighbour))
    url = f"{roster}/v1/activities/{made['activity_id']}"
    refused = stranger.post(f"{url}/check-in", timeout=10)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_signed_up"
    starts = datetime.fromisoformat(made["starts_at"])
    wait_until("the activity to start", lambda: datetime.now(UTC) >= starts)
    checked_in = me.post(f"{url}/check-in", timeout=10)
    assert checked_in.status_code == 200, checked_in.text
    entry = checked_in.json()
    again = me.post(f"{url}/check-in", timeout=10).json()
    assert again == entry and (entry["minutes"], entry["state"]) == (90, "approved")
    ledger = me.get(f"{roster}/v1/people/{place}-v1/hours", timeout=10).json()
    assert [(e["entry_id"], e["minutes"]) for e in ledger["entries"]] == [(entry["entry_id"], 90)]
    assert ledger["balance_minutes"] == 90

    # roster's events delivered again: metrics counts nothing more
    told = [e for e in probe.drain() if e["type"] in ("activity.attended", "hours.credited")]
    assert len(told) == 2
    relay(amqp_uri, told)
    assert neighbour.post(f"{url}/check-in", timeout=10).status_code == 200  # a marker after
    reader = client(keys.issue(["read"], [place]))
    today = datetime.now(UTC).date()
    window = {"community_id": place, "from": (today - timedelta(days=1)).isoformat(),
              "to": (today + timedelta(days=1)).isoformat()}  # fmt: skip

    def counted():  # attendances and their hours are folded apart: both must be in
        summary = reader.get(f"{stack.url('metrics')}/v1/stats/summary", params=window,
                             timeout=10).json()  # fmt: skip
        done = summary["activities"]["attended"] >= 2 and summary["volunteer_hours"] >= 3.0
        return done and summary

    summary = wait_until("metrics to count both check-ins and their hours", counted, timeout=30)
    assert summary["activities"] == {"held": published, "attended": 2, "minutes_credited": 180}
    assert summary["volunteer_hours"] == 3.0


def signed_up_before_it_starts(staff, stack, place: str, volunteers) -> tuple[dict, int]:
    """An activity starting seconds from now with each of `volunteers` signed up, and how
    many activities were published to get it. Sign-ups close when an activity starts, and
    a loaded machine may reach the start first (409 activity_closed): then another is
    published, starting twice as far off, rather than a long start for every run."""
    lead = timedelta(seconds=3)
    for tries in range(1, 5):
        document = body(place, datetime.now(UTC) + lead, capacity=5)
        published = publish(staff, stack, document, f"soon-{tries}")
        assert published.status_code == 201, published.text
        made = published.json()
        signup = f"{stack.url('roster')}/v1/activities/{made['activity_id']}/signup"
        answers = [volunteer.post(signup, timeout=10) for volunteer in volunteers]
        if all(answer.status_code == 200 for answer in answers):
            return made, tries
        closed = {a.json()["error"]["code"] for a in answers if a.status_code != 200}
        assert closed == {"activity_closed"}, closed
        lead *= 2
    pytest.fail("every activity started before its sign-ups were in")


def relay(amqp_uri: str, messages: list[dict]) -> None:
    """Publish roster's messages again, as a relay retrying after a lost confirm does."""
    exchange = Exchange("roster.events", type="topic", durable=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for message in messages:
            producer.publish(message, exchange=exchange, routing_key=message["type"],
                             serializer="json", declare=[exchange], retry=True)  # fmt: skip
