"""notify's repository on every backend (memory, FerretDB, and MongoDB when TEST_MONGO_URI
is set; tests/backends.py): single-use links under contention, replicas where the newest
version wins, and the admin listings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from lianxin.store.repository import ensure_indexes
from services.notify.app import pipeline, replicas
from services.notify.domain.delivery import Contact, Delivery, Recipient
from services.notify.store import NotifyStore

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(backend) -> NotifyStore:
    """The repository on the backend's database, as the service builds it."""
    context = backend.context("notify")
    repository = NotifyStore(context)
    ensure_indexes(context, repository)
    return repository


def test_a_link_is_used_once_however_many_open_it_at_the_same_moment(store):
    outcomes, start = [], threading.Barrier(16)

    def open_it():
        start.wait()
        outcomes.append(store.claim_link("link-1", {"case_id": "LX-1", "used_at": AT}))

    threads = [threading.Thread(target=open_it) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == 1 and len(outcomes) == 16
    store.release_link("link-1")
    assert store.claim_link("link-1", {"case_id": "LX-1"}) is None, "released: usable again"


def person(version: int, roles=("staff",), contacts=(("email", "a@b.cn"),)) -> dict:
    return {
        "person_id": "p-1",
        "community_id": "jx",
        "display_name": "石**",
        "roles": list(roles),
        "home_grids": [],
        "contacts": [{"channel": c, "address": a} for c, a in contacts],
        "quiet_hours": "22:00-07:00",
        "active": True,
        "person_version": version,
    }


def test_the_newest_person_wins_whatever_order_the_events_come_in(store):
    replicas.apply_person(store, person(2, contacts=(("sms", "139"),)))
    replicas.apply_person(store, person(1))
    stored = store.people.get("p-1")
    assert stored["version"] == 2 and stored["contacts"] == [{"channel": "sms", "address": "139"}]
    assert [m["id"] for m in store.staff.get("jx")["members"]] == ["p-1"]
    replicas.apply_person(store, person(3, roles=("volunteer",)))
    assert store.staff.get("jx")["members"] == [], "no longer staff"
    replicas.apply_person(store, person(2))
    assert store.staff.get("jx")["members"] == [], "an older event changes nothing"


def test_a_person_change_keeps_their_recent_sends_and_bundle(store):
    replicas.apply_person(store, person(1))
    with store.people.change("p-1") as change:
        change.save({**change.value, "recent": [{"at": AT, "id": "DL-1"}]})
    replicas.apply_person(store, person(2))
    assert store.people.get("p-1")["recent"][0]["id"] == "DL-1"


def dead_delivery(number: int, community: str) -> Delivery:
    return Delivery(
        id=f"DL-{number}",
        cause_id=f"e-{number}",
        kind="case.dispatched",
        recipient=Recipient("person", "p-1"),
        contact=Contact("sms", "139"),
        message={},
        created_at=AT,
        community_id=community,
        case_id=f"LX-{number}",
        state="dead",
        dead_at=AT + timedelta(minutes=number),
    )


def test_dead_deliveries_are_listed_newest_first_and_counted_per_community(store):
    later = lambda: AT - timedelta(days=1)  # noqa: E731 (each is due later: stored, not sent)
    for number, community in enumerate(["jx", "jx", "other", "jx"]):
        assert pipeline.create(store, None, dead_delivery(number, community), AT, later)
    assert not pipeline.create(store, None, dead_delivery(0, "jx"), AT, later), "one per id"
    count, listed = store.dead(frozenset({"jx"}), limit=2)
    assert count == 3 and [d.id for d in listed] == ["DL-3", "DL-1"]
    count, listed = store.dead(None, limit=50)
    assert count == 4
    assert [d.id for d in store.of_case("LX-2")] == ["DL-2"]
