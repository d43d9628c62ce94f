"""The roster repository's contract, on every store backend (tests/backends.py: memory,
FerretDB, MongoDB when given): each aggregate read back as the domain value it was saved
as, its events published with its write, one writer at a time, what a failed publish
left behind recovered by the sweep, and the listings in the order their indexes give.

The use cases built on it are tested on memory alone (tests/roster/app/).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lianxin.bus.envelope import Envelope
from lianxin.store.lease import LeaseBusy
from services.roster import compose
from services.roster.domain import care
from services.roster.domain.credits import Credits, Reopening, Resolution
from services.roster.domain.dispatch import CaseRef, Dispatch, Offer
from services.roster.domain.ledger import Entry
from services.roster.domain.rota import Override
from services.roster.store import RosterStore
from tests.backends import Backend

AT = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)
TTL = 5.0
CASE = CaseRef("LX-1", "c1", "c1-g1", "facility.lighting", "repair", "normal", "corr-1")


@pytest.fixture
def store(backend: Backend, clock) -> RosterStore:
    return roster(backend, clock)


def roster(backend: Backend, clock, **lease) -> RosterStore:
    """One process of the roster service on the backend; another call, another process."""
    context = backend.context("roster", lease_ttl_seconds=TTL, clock=clock, **lease)
    parts = compose.build(context)
    parts.ensure_indexes()
    return parts.store


def offered() -> Dispatch:
    offer = Offer(
        "O-1", "LX-1", "p-1", "张*", "repair", "c1-g1", AT, AT + timedelta(minutes=10), 1, 1
    )
    credits = Credits(
        resolutions=(Resolution(4, "H-e1"),),
        reopenings=(Reopening(1, 6, "HR-e2", AT, "没修好"),),
    )
    return Dispatch(
        CASE, "offered", attempt=1, offer=offer, passed=("p-0",), holder="p-1",
        case_version=3, credits=credits, applied=("e0",),
    )  # fmt: skip


def entry(entry_id: str, person: str, minutes: int, at: datetime, **more) -> Entry:
    return Entry(entry_id, "credit", "approved", person, "c1", minutes, at, **more)


def event(type_: str) -> Envelope:
    return Envelope(type_, {"case_id": "LX-1"}, "roster", "LX-1")


def test_a_dispatch_is_read_back_as_it_was_saved_and_its_events_go_out_with_it(store, backend):
    with store.dispatches.change("LX-1") as change:
        assert change.value is None
        change.save(offered(), [event("offer.made")])
    assert store.dispatches.get("LX-1") == offered()
    assert backend.published.event_types() == ["offer.made"]
    stored = store.find("dispatches", "LX-1")
    assert stored["offer"]["person_id"] == "p-1" and "_fence" not in stored


def test_ledger_lines_are_read_back_oldest_first_by_person_household_or_community(store):
    later, earlier = AT + timedelta(hours=1), AT
    store.ledger.create("H-2", entry("H-2", "p-1", 30, later, household_id="h-1"))
    store.ledger.create("H-1", entry("H-1", "p-1", 90, earlier, case_id="LX-1", rule="x.*"))
    store.ledger.create("H-3", entry("H-3", "p-2", 15, earlier))
    assert [e.id for e in store.entries(person_id="p-1")] == ["H-1", "H-2"]
    assert [e.id for e in store.entries(community_id="c1", household_id="h-1")] == ["H-2"]
    assert [e.id for e in store.entries(community_id="c1")] in (
        ["H-1", "H-3", "H-2"],
        ["H-3", "H-1", "H-2"],
    )
    assert store.ledger.get("H-1") == entry("H-1", "p-1", 90, earlier, case_id="LX-1", rule="x.*")


def test_a_rotas_overrides_are_read_back_in_order(store):
    cover = Override("o-1", "cover", "p-2", AT, AT + timedelta(hours=4), "p-1", "换班")
    extra = Override("o-2", "extra", "p-3", AT, AT + timedelta(hours=1))
    assert store.overrides_of("r-1") == []
    with store.overrides.change("r-1") as change:
        change.save((cover, extra))
    assert store.overrides_of("r-1") == [cover, extra]


def test_registry_records_are_documents_listed_by_community_and_paged_by_code(store):
    for code, kind in [("c1-g2", "grid"), ("c1", "community"), ("c1-g1", "grid")]:
        with store.change("areas", code) as change:
            change.save({"_id": code, "kind": kind, "community_id": "c1", "name": code})
    with store.change("areas", "c2") as change:
        change.save({"_id": "c2", "kind": "community", "community_id": "c2", "name": "c2"})
    assert [a["_id"] for a in store.areas("c1", None, None)] == ["c1", "c1-g1", "c1-g2"]
    assert [a["_id"] for a in store.areas("c1", "grid", "c1-g1")] == ["c1-g2"]
    assert sorted(a["_id"] for a in store.of_community("areas", "c1")) == ["c1", "c1-g1", "c1-g2"]
    assert store.find("areas", "c1-g1") == {
        "_id": "c1-g1", "kind": "grid", "community_id": "c1", "name": "c1-g1"
    }  # fmt: skip
    assert store.find("areas", "nowhere") is None


def test_a_policy_is_the_defaults_with_the_communitys_overrides(store):
    with store.change("policies", "c1") as change:
        change.save({"_id": "c1", "community_id": "c1", "policy": {"attempts": 1}})
    assert store.policy("c1").dispatch.attempts == 1
    assert store.policy("c2").dispatch.attempts == compose.policy_defaults()["attempts"]


def test_a_definition_may_be_a_few_seconds_old_until_the_import_forgets_them(store):
    with store.change("teams", "c1:repair") as change:
        change.save({"_id": "c1:repair", "community_id": "c1", "name": "维修"})
    assert store.definition("teams", "c1:repair")["name"] == "维修"
    with store.change("teams", "c1:repair") as change:
        change.save({"_id": "c1:repair", "community_id": "c1", "name": "维修队"})
    assert store.definition("teams", "c1:repair")["name"] == "维修"
    store.forget()
    assert store.definition("teams", "c1:repair")["name"] == "维修队"


def test_append_only_records_are_written_once_and_listed_latest_first(store):
    for hour in range(3):
        made = AT + timedelta(hours=hour)
        assert store.insert("offers", {"_id": f"O-{hour}", "person_id": "p-1", "made_at": made})
        store.insert("no_shows", {"_id": f"r:p-1:{hour}", "person_id": "p-1", "start": made})
    assert not store.insert("offers", {"_id": "O-0", "person_id": "p-1", "made_at": AT})
    assert [o["_id"] for o in store.offers_of("p-1", limit=2)] == ["O-2", "O-1"]
    assert [n["_id"] for n in store.no_shows_of("p-1")] == ["r:p-1:2", "r:p-1:1", "r:p-1:0"]
    store.put("lookups", {"_id": "grid:c1-g1", "rotas": ["r-1"]})
    store.put("lookups", {"_id": "grid:c1-g1", "rotas": ["r-2"]})
    assert store.find("lookups", "grid:c1-g1")["rotas"] == ["r-2"]


def test_one_writer_at_a_time_another_process_waits_and_gives_up(backend, clock):
    first = roster(backend, clock)
    second = roster(backend, clock, lease_wait_seconds=0.05)
    with first.dispatches.change("LX-1") as change:
        with pytest.raises(LeaseBusy), second.dispatches.change("LX-1"):
            pass
        change.save(offered())
    with second.dispatches.change("LX-1") as change:
        assert change.value == offered()


def test_what_a_failed_publish_left_in_the_outbox_goes_out_with_the_sweep(store, backend, clock):
    backend.published.refusing = True
    with store.dispatches.change("LX-1") as change:
        change.save(offered(), [event("offer.made")])  # the broker refuses: left behind
    backend.published.refusing = False
    assert store.dispatches.get("LX-1") == offered()
    assert backend.published.event_types() == []
    clock.advance(TTL + 1)
    assert store.recover() == 1
    assert backend.published.event_types() == ["offer.made"]


def test_care_plans_and_ticks_are_read_back_as_saved_and_listed_by_community_and_carer(store):
    plan = care.CarePlan(
        "CP-00000000000000a1", "c1", "c1-g1", "c1-b1-u1", "王秀英", "13800000001",
        "elderly_alone", "call", "monthly", "p-1", AT, "Asia/Shanghai",
        care.Consent("p-staff", AT), AT, first_round=0,
    )  # fmt: skip
    other = care.CarePlan(**{**plan.__dict__, "id": "CP-00000000000000a2", "community_id": "c2",
                             "carer_id": "p-2"})  # fmt: skip
    for each in (plan, other):
        with store.care_plans.change(each.id) as change:
            change.save(each)
    assert store.care_plans.get(plan.id) == plan
    assert store.care_plans_of(community_id="c1") == [plan]
    assert store.care_plans_of(carer_id="p-2") == [other]
    tick = care.tick_of(plan, AT.date(), "p-1", "needs_help", "摔倒", "LX-1", AT)
    with store.care_rounds.change(tick.round_id) as change:
        change.save(tick)
    assert store.care_rounds.get(tick.round_id) == tick
