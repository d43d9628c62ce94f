"""The cases repository's contract, on every store backend (tests/backends.py: memory,
FerretDB, MongoDB when given): readable numbers unique under concurrent intake, the
listing's cursor stable under inserts, the area replica and the duplicate index changed
under their leases, and intake and merging safe when a write fails half-way."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lianxin.faults import armed
from lianxin.store.repository import ensure_indexes
from services.cases import compose
from services.cases.app import actions
from services.cases.app.intake import case_id_for
from services.cases.domain import intake
from services.cases.domain.duplicates import place_of
from services.cases.store import from_document
from tests.cases.factories import AT, REPORTER, STAFF, community, triaged


@pytest.fixture
def parts(backend):
    """The repository and the intake as the service builds them (compose.py), on each
    backend (tests/backends.py)."""
    context = backend.context("cases", lease_ttl_seconds=5)
    built = compose.build(context)
    ensure_indexes(context, built)
    return built


@pytest.fixture
def store(parts):
    return parts.store


@pytest.fixture
def replica(backend, store):
    """A second process's repository on the same database."""
    return compose.build(backend.context("cases", lease_ttl_seconds=5)).store


def test_concurrent_intakes_each_get_their_own_number_in_sequence(store):
    day, prefix = "20260306", f"T{uuid.uuid4().hex[:4].upper()}"
    with ThreadPoolExecutor(max_workers=12) as pool:
        numbers = list(
            pool.map(lambda i: store.allocate_number(prefix, day, f"LX-{i}", AT), range(24))
        )
    assert len(set(numbers)) == 24
    assert sorted(numbers) == [f"{prefix}-{day}-{n:04d}" for n in range(1, 25)]
    assert store.case_id_of_number(numbers[0]).startswith("LX-")
    assert store.allocate_number(prefix, "20260307", "LX-next-day", AT) == f"{prefix}-20260307-0001"


def test_two_replicas_numbering_the_same_day_take_turns_without_a_duplicate_or_a_gap(
    store, replica
):
    day, prefix = "20260308", f"R{uuid.uuid4().hex[:4].upper()}"
    numbers = []
    for index in range(6):  # each replica's memory falls behind the other's numbers
        numbers.append(store.allocate_number(prefix, day, f"A-{index}", AT))
        numbers.append(replica.allocate_number(prefix, day, f"B-{index}", AT))
        numbers.append(replica.allocate_number(prefix, day, f"B2-{index}", AT))
    assert sorted(numbers) == [f"{prefix}-{day}-{n:04d}" for n in range(1, 19)]
    assert store.case_id_of_number(f"{prefix}-{day}-0002") == "B-0"


def save(store, case):
    with store.change(case.id) as change:
        change.save(case)


def test_the_listing_pages_newest_first_and_a_new_case_does_not_shift_the_pages(store):
    base = triaged()
    for index in range(7):
        save(store, replace(base, id=f"LX-{index:02d}", reported_at=AT + timedelta(minutes=index)))
    first = store.listing({"community_id": "jingxiang"}, None, 3, None)
    assert [case.id for case in first.cases] == ["LX-06", "LX-05", "LX-04"]
    save(store, replace(base, id="LX-99", reported_at=AT + timedelta(hours=1)))  # a newer one
    second = store.listing({"community_id": "jingxiang"}, None, 3, first.next_cursor)
    third = store.listing({"community_id": "jingxiang"}, None, 3, second.next_cursor)
    assert [case.id for case in second.cases] == ["LX-03", "LX-02", "LX-01"]
    assert [case.id for case in third.cases] == ["LX-00"] and third.next_cursor is None


def test_the_listing_never_shows_another_communitys_cases(store):
    base = triaged()
    save(store, replace(base, id="LX-A", community_id="jingxiang"))
    save(store, replace(base, id="LX-B", community_id="jinning"))
    mine = frozenset({"jingxiang"})
    assert [c.id for c in store.listing({}, mine, 10, None).cases] == ["LX-A"]
    assert store.listing({"community_id": "jinning"}, mine, 10, None).cases == []
    assert {c.id for c in store.listing({}, None, 10, None).cases} == {"LX-A", "LX-B"}
    assert [
        c.id
        for c in store.listing(
            {"state": ["triaged"], "category": ["facility.lighting"]}, mine, 10, None
        ).cases
    ] == ["LX-A"]


def test_the_area_replica_round_trips_through_its_document(store):
    area = community()
    with store.area_change("jingxiang") as change:
        change.save(area)
    assert store.community_map("jingxiang") == area
    assert store.areas.get("jingxiang").grid_at(113.018, 28.136).code == "g2"


def test_a_case_stored_before_readable_numbers_is_listed_under_its_id():
    document = {
        "_id": "LX-CC0EC8218D5A57C8",
        "state": "resolved",
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "description": "楼道灯坏了",
        "channel": "app",
        "reported_at": datetime(2026, 11, 1, tzinfo=UTC),
        "timeline": [],
    }
    assert from_document(document).number == "LX-CC0EC8218D5A57C8"


def test_a_free_place_is_claimed_once_and_freed_when_its_case_closes(store):
    code = f"jx-b{uuid.uuid4().hex[:6]}"
    place = place_of("jingxiang", "facility.lighting", 30, code, None, None, None)
    since = AT - timedelta(hours=24)

    def entry(case_id):
        return {"case_id": case_id, "number": case_id, "reported_at": AT, "lat": None, "lon": None}

    assert store.claim_place(place, entry("LX-FIRST"), 30, since)
    assert not store.claim_place(place, entry("LX-SECOND"), 30, since), "an open case is there"
    assert store.open_case_near(place, store.places.get(place.key), 30, since) == ["LX-FIRST"]
    store.forget_place(replace(triaged(), id="LX-SECOND", place_key=place.key))
    assert store.places.get(place.key)["case_id"] == "LX-FIRST", "only its own case frees it"
    store.forget_place(replace(triaged(), id="LX-FIRST", place_key=place.key))
    assert store.places.get(place.key) is None
    assert store.claim_place(place, entry("LX-THIRD"), 30, since)


def test_a_point_near_an_open_case_is_not_claimed(store):
    community = f"c{uuid.uuid4().hex[:6]}"
    first = place_of(community, "parking.fire_lane", 50, None, 28.1370, 113.0140, None)
    near = place_of(community, "parking.fire_lane", 50, None, 28.1372, 113.0141, None)
    entry = {"case_id": "LX-P1", "number": "P1", "reported_at": AT, "lat": 28.1370, "lon": 113.0140}
    assert store.claim_place(first, entry, 50, AT - timedelta(hours=6))
    assert not store.claim_place(near, {**entry, "case_id": "LX-P2"}, 50, AT - timedelta(hours=6))


class WriteFailed(Exception):
    pass


def test_a_retried_report_whose_first_case_write_failed_after_claiming_its_place_opens_once(
    backend,
):
    """The first attempt claimed the place for its case id, then died before writing the
    case. The retry (same Idempotency-Key, so the same case id) takes the dead attempt's
    lease over once it expires, and finds its own claim at the place: it takes the place
    again instead of waiting on its own case's lease, which it holds."""
    parts = compose.build(backend.context("cases", lease_ttl_seconds=1))
    store = parts.store
    with store.area_change("jingxiang") as change:
        change.save(community())
    received = intake.Report(
        community_id="jingxiang",
        description=f"5栋2单元楼道灯坏了 {uuid.uuid4().hex[:6]}",
        channel="hotline",
        location={"grid_id": "g1", "area_code": "e1-b5-u2"},
    )

    def report_now():
        return parts.intake.report(received, REPORTER, lambda _: True, "retry-1", None, AT)

    def fail():
        raise WriteFailed()

    with armed("aggregate.before_write", fail), pytest.raises(WriteFailed):
        report_now()
    case_id = case_id_for("retry-1", REPORTER.key_id)
    assert store.get(case_id) is None
    case, created = report_now()
    assert created and case.id == case_id and case.state == "triaged"
    assert store.places.get(case.place_key)["case_id"] == case.id
    assert report_now() == (case, False)


def test_a_merge_retried_after_its_duplicates_write_failed_counts_and_answers_it_once(
    store, parts, monkeypatch
):
    """Staff merge a hotline order's case into the open case it repeats. The open case
    takes note of it under its own lease, then the duplicate's write fails (503): the
    retry must neither count the duplicate twice nor queue a second hotline reply."""
    with store.area_change("jingxiang") as change:
        change.save(community())

    def order(order_no: str, description: str):
        received = intake.Report(
            community_id="jingxiang",
            description=description,
            channel="hotline",
            location={"grid_id": "g1"},
            hotline={"hotline_id": "cs-12345", "order_no": order_no, "deadline": None},
        )
        return parts.intake.hotline_order(received, REPORTER, lambda _: True, None, AT)[0]

    original = order(f"GD-{uuid.uuid4().hex[:6]}", "5栋2单元楼道灯坏了")
    duplicate = order(f"GD-{uuid.uuid4().hex[:6]}", "5栋楼道里灯不亮")
    staff = replace(STAFF, key_id="k-staff")
    writes = []

    def second_write_fails(name: str) -> None:
        if name == "aggregate.before_write":
            writes.append(name)
            if len(writes) == 2:
                raise WriteFailed()

    def merge():
        return actions.merge(store, duplicate.id, original.id, staff, lambda _: True, None, AT)

    monkeypatch.setattr("lianxin.store.aggregates.fault_point", second_write_fails)
    with pytest.raises(WriteFailed):
        merge()
    assert store.get(duplicate.id).state == "triaged"
    assert store.get(original.id).duplicates == 1
    monkeypatch.undo()
    assert merge().state == "merged"
    joined = store.get(original.id)
    assert joined.duplicates == 1 and joined.absorbed == (duplicate.id,)
    assert [follower["case_id"] for follower in joined.followers] == [duplicate.id]
