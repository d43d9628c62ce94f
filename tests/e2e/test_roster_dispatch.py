"""Dispatch end to end: roster running as two replicas on the real broker and database,
case events published as cases publishes them (docs/events.md), what roster publishes
read back from the bus.

A case offered, declined, offered to the next person, expired, escalated to the grid
leader and accepted; one offer at a time per case; hours credited once when the
resolved event comes twice, and reversed when the case is reopened. Each test runs in
a small community of its own whose offers and escalation steps last seconds, or ten
minutes where what the test sends must surely come first (load slows a handler by
seconds, not ten minutes). That nothing follows a change (no step after the last, no
offer after a case ended) is read from what the change stored with it, the dispatch's
outbox of events and deadlines, rather than by waiting a while and hoping.

The helpers here serve test_roster_registry.py too.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from kombu import Connection, Exchange, Queue

from services.roster.store import DEFINITIONS_SECONDS
from tests.e2e.conftest import client, wait_until

pytestmark = pytest.mark.e2e

CATEGORY = "facility.lighting"


def small_community(code: str, **policy: Any) -> dict[str, Any]:
    """Two grids; three repairers always on duty in the first, one in the second; a
    grid leader and a member of staff; offers and escalation steps of seconds."""
    g1, g2 = f"{code}-g1", f"{code}-g2"
    starts = (date.today() - timedelta(days=2)).isoformat()
    always = ["FREQ=DAILY;BYHOUR=0 for 24h"]

    def person(suffix, roles, teams, grid, **extra):
        return {
            "id": f"{code}-{suffix}",
            "community": code,
            "name": f"测试{suffix}",
            "phone": "13800000000",
            "roles": roles,
            "teams": teams,
            "home_grids": [grid],
            "contacts": [{"channel": "wecom", "address": f"{code}-{suffix}"}],
            **extra,
        }

    return {
        "areas": [
            {"code": f"{code}-sd", "kind": "subdistrict", "name": "测试街道"},
            {
                "code": code,
                "kind": "community",
                "parent": f"{code}-sd",
                "name": "测试社区",
                "timezone": "Asia/Shanghai",
                "staff": [f"{code}-staff"],
            },
            {
                "code": g1,
                "kind": "grid",
                "parent": code,
                "name": "一网格",
                "neighbours": [g2],
                "leader": f"{code}-leader",
            },
            {"code": g2, "kind": "grid", "parent": code, "name": "二网格"},
        ],
        "people": [
            person("leader", ["grid_leader"], [], g1),
            person("staff", ["staff"], ["community_staff"], g1),
            *(
                person(f"v{n}", ["volunteer"], ["fix"], g1, household=f"{code}-h{n}")
                for n in (1, 2, 3)
            ),
            person("v4", ["volunteer"], ["fix"], g2),
        ],
        "teams": [
            {
                "community": code,
                "code": "fix",
                "name": "维修",
                "categories": ["facility.*"],
                "grids": [g1, g2],
            },
            {
                "community": code,
                "code": "community_staff",
                "name": "值班",
                "categories": [],
                "grids": [g1, g2],
            },
        ],
        "rotas": [
            {
                "id": f"{code}:fix-g1",
                "community": code,
                "team": "fix",
                "grids": [g1],
                "starts": starts,
                "slots": always,
                "crews": [[f"{code}-v1", f"{code}-v2", f"{code}-v3"]],
            },
            {
                "id": f"{code}:fix-g2",
                "community": code,
                "team": "fix",
                "grids": [g2],
                "starts": starts,
                "slots": always,
                "crews": [[f"{code}-v4"]],
            },
            {
                "id": f"{code}:staff",
                "community": code,
                "team": "community_staff",
                "starts": starts,
                "slots": always,
                "crews": [[f"{code}-staff"]],
            },
        ],
        "policies": [
            {
                "community": code,
                "offer_window": offers_lasting("2s"),
                "attempts": 2,
                "escalation": [
                    {"level": "grid_leader", "wait": "3s"},
                    {"level": "community_staff", "wait": "3s"},
                    {"level": "department"},
                ],
                **policy,
            }
        ],
    }


def offers_lasting(window: str) -> dict[str, str]:
    """A policy's offer window of `window` whatever the case's priority."""
    return dict.fromkeys(("urgent", "high", "normal", "low"), window)


def import_community(stack, admin_key: str, document: dict, dry_run: bool = False):
    return requests.post(
        f"{stack.url('roster')}/v1/imports",
        params={"dry_run": "true" if dry_run else "false"},
        json=document,
        headers={"X-Api-Key": admin_key},
        timeout=60,
    )


def new_code(prefix: str = "rt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def case_event(type_: str, case_id: str, community: str, version: int, **payload) -> dict:
    """A case event as cases publishes it: the `about` block, then the type's fields."""
    about = {
        "case_id": case_id,
        "number": case_id,
        "community_id": community,
        "grid_id": f"{community}-g1",
        "category": CATEGORY,
        "team": "repair_crew",
        "priority": "normal",
        "channel": "app",
        "state": type_.split(".")[1],
        "previous_state": None,
        "case_version": version,
    }
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": f"e2e-{case_id}",
        "case_id": case_id,
        "payload": {**about, **payload},
    }


def past_morning(hours: float, local_hour: int = 9) -> datetime:
    """The latest day's `local_hour`:00 in Beijing whose `hours` of work have ended by now.

    A credit is dated by its resolution and a reversal by when the reopening happened; work
    that "ends" later today would sort after what follows it (a run just after midnight UTC)."""
    now = datetime.now(UTC)
    start = now.replace(hour=(local_hour - 8) % 24, minute=0, second=0, microsecond=0)
    while start + timedelta(hours=hours) > now - timedelta(minutes=1):
        start -= timedelta(days=1)
    return start


def publish(amqp_uri: str, *messages: dict) -> None:
    exchange = Exchange("cases.events", type="topic", durable=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for message in messages:
            producer.publish(
                message,
                exchange=exchange,
                routing_key=message["type"],
                serializer="json",
                declare=[exchange],
                mandatory=True,
                retry=True,
            )


class RosterEvents:
    """Everything roster publishes, read from a queue of the test's own bound to its
    exchange; each event is kept, so tests can look back."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        self.name = f"e2e-roster-probe-{uuid.uuid4().hex[:6]}"
        self.queue = Queue(
            self.name,
            Exchange("roster.events", type="topic", durable=True),
            routing_key="#",
            durable=False,
            auto_delete=False,
        )
        self.seen: list[dict] = []
        self._lock = threading.Lock()
        with Connection(amqp_uri) as connection:
            self.queue(connection.channel()).declare()

    def drain(self) -> list[dict]:
        with self._lock, Connection(self.amqp_uri) as connection:
            bound = self.queue(connection.channel())
            while (message := bound.get(no_ack=True)) is not None:
                self.seen.append(message.payload)
            return list(self.seen)

    def of(self, type_: str, where: Callable[[dict], bool] = lambda payload: True) -> list[dict]:
        return [e["payload"] for e in self.drain() if e["type"] == type_ and where(e["payload"])]

    def wait(self, what: str, type_: str, where: Callable[[dict], bool], count: int = 1):
        return wait_until(
            what, lambda: (found := self.of(type_, where)) and len(found) >= count and found
        )

    def close(self) -> None:
        with Connection(self.amqp_uri) as connection:
            self.queue(connection.channel()).delete()


def about_case(case_id: str) -> Callable[[dict], bool]:
    return lambda payload: payload.get("case_id") == case_id


@pytest.fixture(scope="module")
def roster_events(stack, amqp_uri):
    probe = RosterEvents(amqp_uri)
    yield probe
    probe.close()


@pytest.fixture
def place(stack, admin_key) -> str:
    code = new_code()
    imported = import_community(stack, admin_key, small_community(code))
    assert imported.status_code == 200, imported.text
    return code


def dispatch_of(stack, key: str, case_id: str) -> dict:
    return client(key).get(f"{stack.url('roster')}/v1/dispatches/{case_id}", timeout=5).json()


# Windows no load can reorder: a first offer of ten minutes (the decline always comes
# first), then, the policy re-imported, a second offer of two seconds (expiry is what the
# test waits for), and ten minutes at the grid leader (the acceptance always comes before
# the next step; that a later step finds the case taken is tests/roster/app/test_dispatch.py's)
DECLINED_FIRST = offers_lasting("10m")
EXPIRES_SOON = offers_lasting("2s")
LEADER_TAKES_IT = [
    {"level": "grid_leader", "wait": "10m"},
    {"level": "community_staff", "wait": "3s"},
    {"level": "department"},
]


def replace_policy(stack, admin_key: str, code: str, **policy: Any) -> None:
    """The community's dispatch policy re-imported, and waited on until every replica acts
    on it (each may act on a definition it read up to DEFINITIONS_SECONDS before)."""
    document = {"policies": [{**small_community(code)["policies"][0], **policy}]}
    imported = import_community(stack, admin_key, document)
    assert imported.status_code == 200, imported.text
    read_by_all = time.monotonic() + DEFINITIONS_SECONDS
    wait_until("every replica to read the new policy", lambda: time.monotonic() > read_by_all)


def test_a_case_is_offered_declined_offered_again_expires_escalates_and_is_accepted(
    stack, amqp_uri, admin_key, keys, roster_events
):
    place = new_code()
    community = small_community(place, offer_window=DECLINED_FIRST, escalation=LEADER_TAKES_IT)
    assert import_community(stack, admin_key, community).status_code == 200
    reader = keys.issue(["read"], [place])
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    crew = {f"{place}-v1", f"{place}-v2", f"{place}-v3"}
    publish(amqp_uri, case_event("case.triaged", case_id, place, 2))
    (first,) = roster_events.wait("the first offer", "offer.made", about_case(case_id))
    assert first["person_id"] in crew and first["attempt"] == 1
    assert first["grid_id"] == f"{place}-g1" and first["display_name"].startswith("测")
    first_expires = datetime.fromisoformat(first["expires_at"]) - datetime.now(UTC)
    assert first_expires > timedelta(minutes=9)
    replace_policy(stack, admin_key, place, offer_window=EXPIRES_SOON, escalation=LEADER_TAKES_IT)

    declined = case_event(
        "case.declined",
        case_id,
        place,
        3,
        person_id=first["person_id"],
        offer_id=first["offer_id"],
        reason="在外地",
    )
    publish(amqp_uri, declined)
    offers = roster_events.wait("the next offer", "offer.made", about_case(case_id), count=2)
    second = offers[1]
    assert second["person_id"] in crew - {first["person_id"]}  # same grid first
    assert second["attempt"] == 2

    (expired,) = roster_events.wait("the offer to expire", "offer.expired", about_case(case_id))
    assert (expired["offer_id"], expired["person_id"]) == (second["offer_id"], second["person_id"])
    (escalation,) = roster_events.wait(
        "the escalation to the grid leader", "escalation.required", about_case(case_id)
    )
    assert (escalation["level"], escalation["step"]) == ("grid_leader", 1)
    assert escalation["target"]["person_id"] == f"{place}-leader"
    assert "no one accepted after 2 offers" in escalation["reason"]

    accepted = case_event("case.accepted", case_id, place, 6, person_id=f"{place}-leader")
    publish(amqp_uri, accepted)
    wait_until(
        "the dispatch to record the acceptance",
        lambda: dispatch_of(stack, reader, case_id)["state"] == "accepted",
    )
    found = dispatch_of(stack, reader, case_id)
    assert found["holder"] == f"{place}-leader" and found["escalation_step"] == 1
    assert set(found["passed"]) == {first["person_id"], second["person_id"]}
    leader = client(reader).get(f"{stack.url('roster')}/v1/people/{place}-leader/cases", timeout=5)
    assert leader.json()["open_cases"] == [case_id]
    declines = (
        client(reader)
        .get(f"{stack.url('roster')}/v1/people/{first['person_id']}/offers", timeout=5)
        .json()["offers"]
    )
    assert [(o["case_id"], o["state"]) for o in declines] == [(case_id, "declined")]
    assert len(roster_events.of("escalation.required", about_case(case_id))) == 1
    assert len(roster_events.of("offer.expired", about_case(case_id))) == 1


def test_nobody_taking_it_walks_the_whole_chain_once(
    stack, amqp_uri, keys, db, place, roster_events
):
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    triaged = case_event("case.triaged", case_id, place, 2, grid_id=f"{place}-g2")
    triaged["payload"]["category"] = "dispute.neighbour"  # nobody handles it here
    triaged["payload"]["team"] = "mediation_desk"
    publish(amqp_uri, triaged)
    steps = roster_events.wait(
        "the three steps", "escalation.required", about_case(case_id), count=3
    )
    assert [(s["level"], s["step"]) for s in steps] == [
        ("grid_leader", 1),
        ("community_staff", 2),
        ("department", 3),
    ]
    assert "no rota for dispute.neighbour" in steps[0]["reason"]
    assert steps[0]["target"]["person_id"] is None  # the second grid has no leader on record
    assert steps[1]["target"]["person_id"] == f"{place}-staff"
    assert steps[2]["target"]["department"] == "司法所·人民调解委员会"
    assert roster_events.of("offer.made", about_case(case_id)) == []
    # the last step schedules none after it: the dispatch's stored outbox, written with the
    # step, holds its event and no deadline. That a step's deadline firing again changes
    # nothing is tests/roster/domain/test_dispatch.py's
    # test_each_step_fires_once_in_order_and_the_chain_ends.
    assert dispatch_of(stack, keys.issue(["read"], [place]), case_id)["escalation_step"] == 3
    stored = db("roster")["dispatches"].find_one({"_id": case_id})
    assert [message.get("type") or message["kind"] for message in stored["outbox"]] == [
        "escalation.required"
    ]


def test_with_two_replicas_a_case_has_one_offer_at_a_time(
    stack, amqp_uri, admin_key, db, roster_events
):
    """Declines of one offer delivered side by side (as a volunteer's double tap would,
    each a new event) to both replicas: the case moves on once. Offers here last ten
    minutes: the test counts the open ones, which a two-second window would expire
    under it on a busy machine."""
    place = new_code()
    long_offers = offers_lasting("10m")
    imported = import_community(stack, admin_key, small_community(place, offer_window=long_offers))
    assert imported.status_code == 200, imported.text
    case_ids = [f"LX-{uuid.uuid4().hex[:16].upper()}" for _ in range(6)]
    publish(amqp_uri, *(case_event("case.triaged", case_id, place, 2) for case_id in case_ids))
    first = {
        case_id: roster_events.wait("an offer", "offer.made", about_case(case_id))[0]
        for case_id in case_ids
    }
    twice = [
        case_event(
            "case.declined",
            case_id,
            place,
            3,
            person_id=offer["person_id"],
            offer_id=offer["offer_id"],
        )
        for case_id, offer in first.items()
        for _ in range(2)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda message: publish(amqp_uri, message), twice))
    for case_id in case_ids:
        roster_events.wait("the next offer", "offer.made", about_case(case_id), count=2)
    wait_until(  # the second copy of each decline has been handled and changed nothing
        "both declines of every case handled",
        lambda: all(
            len(db("roster")["dispatches"].find_one({"_id": c})["applied"]) == 3 for c in case_ids
        ),
    )
    for case_id in case_ids:
        offers = roster_events.of("offer.made", about_case(case_id))
        assert [o["attempt"] for o in offers] == [1, 2], case_id
        open_offers = db("roster")["offers"].count_documents({"case_id": case_id, "state": "open"})
        assert open_offers == 1, case_id


def test_hours_are_credited_once_when_resolved_arrives_twice_and_reversed_on_reopening(
    stack, amqp_uri, keys, place, roster_events
):
    reader = keys.issue(["read"], [place])
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    volunteer = f"{place}-v1"
    morning = past_morning(hours=40 / 60)
    publish(
        amqp_uri,
        case_event(
            "case.accepted", case_id, place, 3, person_id=volunteer, accepted_at=morning.isoformat()
        ),
    )
    resolved = case_event(
        "case.resolved",
        case_id,
        place,
        4,
        person_id=volunteer,
        resolution="换了灯泡",
        accepted_at=morning.isoformat(),
        resolved_at=(morning + timedelta(minutes=40)).isoformat(),
        on_time=True,
        first_time=True,
    )
    publish(amqp_uri, resolved, resolved)  # the same event delivered twice
    ledger_url = f"{stack.url('roster')}/v1/people/{volunteer}/hours"
    ledger = wait_until(
        "the credit",
        lambda: (found := client(reader).get(ledger_url, timeout=5).json())["entries"] and found,
    )
    credits = roster_events.wait("hours.credited", "hours.credited", about_case(case_id))
    assert [(e["kind"], e["hours"]) for e in ledger["entries"]] == [("credit", 1.5)]
    assert ledger["total"] == 1.5 and ledger["entries"][0]["household_id"] == f"{place}-h1"
    assert len(credits) == 1 and credits[0]["state"] == "approved"

    publish(
        amqp_uri,
        case_event(
            "case.reopened",
            case_id,
            place,
            5,
            reopen_count=1,
            person_id=volunteer,
            reason="灯又坏了",
        ),
    )
    ledger = wait_until(
        "the reversal",
        lambda: (
            len((found := client(reader).get(ledger_url, timeout=5).json())["entries"]) == 2
            and found
        ),
    )
    assert [(e["kind"], e["hours"]) for e in ledger["entries"]] == [
        ("credit", 1.5),
        ("reversal", -1.5),
    ]
    assert ledger["total"] == 0
    household = (
        client(reader)
        .get(
            f"{stack.url('roster')}/v1/households/{place}-h1/hours",
            params={"community_id": place},
            timeout=5,
        )
        .json()
    )
    assert household["balance_minutes"] == 0 and len(household["entries"]) == 2
    roster_events.wait("the reopened case offered again", "offer.made", about_case(case_id))
    assert len(roster_events.of("hours.credited", about_case(case_id))) == 2


@pytest.mark.parametrize("ending", ["case.rejected", "case.merged"])
def test_a_returned_or_merged_case_is_no_longer_offered(
    stack, amqp_uri, admin_key, keys, db, roster_events, ending
):
    """The offer lasts ten minutes, so the return (退单) or the merge is handled while it is
    open whatever the load: it ends withdrawn (not expired) and no longer counts against
    the person. The change that ends the dispatch stages nothing (its stored outbox: no
    event, no deadline), so nothing more is offered or escalated; the offer's own expiry,
    ten minutes on, finds the dispatch ended and changes nothing (tests/roster/app/
    test_dispatch.py::test_a_returned_or_merged_case_is_offered_no_more_and_its_chain_stops)."""
    place = new_code()
    community = small_community(place, offer_window=offers_lasting("10m"))
    assert import_community(stack, admin_key, community).status_code == 200
    reader = keys.issue(["read"], [place])
    case_id = f"LX-{uuid.uuid4().hex[:16].upper()}"
    publish(amqp_uri, case_event("case.triaged", case_id, place, 2))
    (offer,) = roster_events.wait("the offer", "offer.made", about_case(case_id))
    assert datetime.fromisoformat(offer["expires_at"]) - datetime.now(UTC) > timedelta(minutes=9)
    person_url = f"{stack.url('roster')}/v1/people/{offer['person_id']}"
    held = client(reader).get(f"{person_url}/cases", timeout=5).json()
    assert held["open_offers"] == [offer["offer_id"]]

    ended = case_event(ending, case_id, place, 3)
    publish(amqp_uri, ended)
    wait_until(
        "the dispatch to end", lambda: dispatch_of(stack, reader, case_id)["state"] == "ended"
    )
    found = dispatch_of(stack, reader, case_id)
    assert (found["offer"], found["escalation_step"], found["attempt"]) == (None, 0, 1)
    stored = db("roster")["dispatches"].find_one({"_id": case_id})
    assert stored["applied"][-1] == ended["event_id"] and stored["outbox"] == []
    offers = client(reader).get(f"{person_url}/offers", timeout=5).json()["offers"]
    assert [o["state"] for o in offers if o["case_id"] == case_id] == ["withdrawn"]
    assert client(reader).get(f"{person_url}/cases", timeout=5).json()["open_offers"] == []
    told = [e["type"] for e in roster_events.drain() if about_case(case_id)(e["payload"])]
    assert told == ["offer.made"]
