"""The roster's use cases on the real FerretDB and RabbitMQ: import, dispatch, hours.

Each test has a database of its own; what the store publishes goes to the real broker,
where a probe queue bound to the roster's exchange reads it back.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from lianxin.access.actors import Forbidden
from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.faults import armed
from lianxin.store.aggregates import LeaseExpired
from services.roster.admin import OPERATOR, read
from services.roster.app import dispatch, duty, hours, registry, views
from services.roster.domain.dispatch import CaseRef
from services.roster.domain.imports import rows_from_document
from services.roster.domain.ledger import AlreadyDecided
from tests.roster.conftest import FRIDAY_NOON_UTC, SAMPLE

pytestmark = pytest.mark.integration


def case_event(type_: str, case_id: str, version: int, **payload) -> Envelope:
    about = {
        "case_id": case_id,
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "category": "facility.lighting",
        "team": "repair_crew",
        "priority": "normal",
        "case_version": version,
    }
    return Envelope(type_, {**about, **payload}, "test", case_id)


def staff(person_id: str, communities: list[str] | None = None) -> hours.Staff:
    return hours.Staff(person_id, person_id, communities)


def by_type(events: list[dict], type_: str) -> list[dict]:
    return [event for event in events if event["type"] == type_]


# -- import -----------------------------------------------------------------------------------


def test_a_dry_run_stores_nothing_and_a_real_run_stores_and_publishes_once(store, probe):
    rows = read([SAMPLE])
    dry = registry.import_rows(store, rows, dry_run=True, now=FRIDAY_NOON_UTC, communities=None)
    assert dry.plan.ok and not dry.applied
    assert store.db["areas"].count_documents({}) == 0 and probe() == []

    real = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert real.applied and real.changed["areas"] == dry.plan.counts()["areas"]
    events = probe()
    assert len(by_type(events, "area.changed")) == real.changed["areas"]
    changed = by_type(events, "person.changed")
    assert len(changed) == real.changed["people"]
    sample = next(e["payload"] for e in changed if e["payload"]["person_id"] == "p-repair-1")
    assert sample["display_name"].endswith("*") and sample["contacts"][0]["channel"] == "wecom"
    assert store.find("lookups", "grid:jingxiang-g1")["rotas"]

    again = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert sum(again.changed.values()) == 0
    assert by_type(probe(), "area.changed") == []


def test_nothing_is_stored_while_a_row_is_rejected(store):
    rows = rows_from_document(
        {"areas": [{"code": "x", "kind": "grid", "name": "孤网格"}]}, "bad.yaml"
    )
    result = registry.import_rows(store, rows, dry_run=False, now=FRIDAY_NOON_UTC, communities=None)
    assert not result.applied and result.plan.rejected[0].source == "bad.yaml: areas #1"
    assert store.find("areas", "x") is None


def test_importing_again_keeps_leave_overrides_and_open_cases(store, community):
    leave = duty.add_leave(
        store,
        "p-repair-2",
        FRIDAY_NOON_UTC,
        FRIDAY_NOON_UTC + timedelta(days=2),
        "病假",
        "staff",
        FRIDAY_NOON_UTC,
    )
    cover = duty.add_override(
        store,
        "jingxiang-g1:repair_crew",
        "cover",
        "p-repair-3",
        FRIDAY_NOON_UTC,
        FRIDAY_NOON_UTC + timedelta(hours=4),
        "p-repair-2",
        "换班",
        FRIDAY_NOON_UTC,
    )
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-KEEP", 1, person_id="p-repair-1"), FRIDAY_NOON_UTC
    )
    changed = rows_from_document(
        {
            "people": [
                {
                    "id": "p-repair-2",
                    "community": "jingxiang",
                    "name": "莫师傅",
                    "teams": ["repair_crew"],
                    "skills": ["plumber"],
                }
            ]
        },
        "people.yaml",
    )
    assert registry.import_rows(
        store, changed, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    assert registry.import_rows(
        store, read([SAMPLE]), dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    person = store.find("people", "p-repair-2")
    assert [entry["id"] for entry in person["leave"]] == [leave["id"]]
    assert [o.id for o in store.overrides("jingxiang-g1:repair_crew")] == [cover.id]
    assert store.find("people", "p-repair-1")["open_cases"] == ["LX-KEEP"]


# -- dispatch ---------------------------------------------------------------------------------


def test_a_triaged_case_is_offered_once_to_someone_on_duty_in_the_grid(store, community, probe):
    now = FRIDAY_NOON_UTC  # 12:00 local: the 08–16 shift, p-repair-2 in grid 1
    triaged = case_event("case.triaged", "LX-T1", 2)
    dispatch.on_case_event(store, triaged, now)
    dispatch.on_case_event(store, triaged, now)  # redelivered
    (made,) = by_type(probe(), "offer.made")
    assert made["payload"]["person_id"] == "p-repair-2"
    assert made["payload"]["attempt"] == 1 and made["correlation_id"] == "test"
    assert store.db["offers"].count_documents({"case_id": "LX-T1"}) == 1
    assert store.find("people", "p-repair-2")["last_offer_at"] == now


def test_a_volunteer_at_their_cap_of_open_offers_is_passed_over_until_one_ends(
    store, community, probe
):
    one = rows_from_document(
        {"policies": [{"community": "jingxiang", "max_open_offers": {"volunteer": 1}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, one, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    now = FRIDAY_NOON_UTC  # p-repair-2 alone is on duty for grid 1's repairs
    for case_id in ("LX-CAP1", "LX-CAP2"):
        dispatch.on_case_event(store, case_event("case.triaged", case_id, 2), now)
    first, second = (made["payload"] for made in by_type(probe(), "offer.made"))
    assert first["person_id"] == "p-repair-2" and second["person_id"] != "p-repair-2"
    assert second["grid_id"] in ("jingxiang-g2", "jingxiang-g3")
    assert [o["offer_id"] for o in store.find("people", "p-repair-2")["open_offers"]] == [
        first["offer_id"]
    ]

    accepted = case_event("case.accepted", "LX-CAP1", 4, person_id="p-repair-2")
    dispatch.on_case_event(store, accepted, now)
    assert store.find("people", "p-repair-2")["open_offers"] == []
    dispatch.on_case_event(store, case_event("case.triaged", "LX-CAP3", 2), now)
    (third,) = by_type(probe(), "offer.made")
    assert third["payload"]["person_id"] == "p-repair-2"


def test_leave_sends_the_case_to_a_neighbouring_grid(store, community, probe):
    now = FRIDAY_NOON_UTC
    duty.add_leave(store, "p-repair-2", now, now + timedelta(hours=1), "", "staff", now)
    dispatch.on_case_event(store, case_event("case.triaged", "LX-T2", 2), now)
    (made,) = by_type(probe(), "offer.made")
    assert made["payload"]["grid_id"] in ("jingxiang-g2", "jingxiang-g3")


def test_a_decline_passes_the_case_on_and_the_chain_follows_the_attempts(store, community, probe):
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(store, case_event("case.triaged", "LX-T3", 2), now)
    offered = []
    for version in (3, 4, 5):
        (made,) = by_type(probe(), "offer.made")
        offered.append(made["payload"]["person_id"])
        declined = case_event(
            "case.declined",
            "LX-T3",
            version,
            person_id=made["payload"]["person_id"],
            offer_id=made["payload"]["offer_id"],
        )
        dispatch.on_case_event(store, declined, now)
    assert len(set(offered)) == 3 and offered[0] == "p-repair-2"
    (escalation,) = by_type(probe(), "escalation.required")
    assert escalation["payload"]["level"] == "grid_leader"
    assert escalation["payload"]["target"]["person_id"] == "p-g1-leader"
    assert "after 3 offers" in escalation["payload"]["reason"]


def test_hours_are_credited_once_and_a_reopening_reverses_them(store, community, probe):
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(store, case_event("case.triaged", "LX-H1", 2), now)
    accepted = case_event("case.accepted", "LX-H1", 4, person_id="p-repair-2")
    dispatch.on_case_event(store, accepted, now)
    resolved = case_event(
        "case.resolved",
        "LX-H1",
        5,
        person_id="p-repair-2",
        accepted_at=now.isoformat(),
        resolved_at=(now + timedelta(hours=1)).isoformat(),
    )
    resolved = Envelope(
        resolved.type,
        {**resolved.payload, "accepted_at": now, "resolved_at": now + timedelta(hours=1)},
        "test",
        "LX-H1",
    )
    dispatch.on_case_event(store, resolved, now)
    dispatch.on_case_event(store, resolved, now)  # delivered twice
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]] == [("credit", 90)]
    assert store.find("people", "p-repair-2")["open_cases"] == []

    reopened = case_event(
        "case.reopened", "LX-H1", 6, reopen_count=1, person_id="p-repair-2", reason="灯又坏了"
    )
    dispatch.on_case_event(store, reopened, now)
    dispatch.on_case_event(store, reopened, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]] == [("credit", 90), ("reversal", -90)]
    assert ledger["balance_minutes"] == 0
    events = probe()
    kinds = [e["payload"]["kind"] for e in by_type(events, "hours.credited")]
    assert kinds == ["credit", "reversal"]
    assert len(by_type(events, "offer.made")) == 2  # the reopened case is dispatched again


def test_a_credit_over_the_threshold_waits_for_staff_who_decide_it_once(store, community):
    stricter = rows_from_document(
        {"policies": [{"community": "jingxiang", "hours": {"approval_above": "1h"}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, stricter, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-H2", 3, person_id="p-repair-2"), now
    )
    resolved = Envelope(
        "case.resolved",
        {
            **case_event("case.resolved", "LX-H2", 4, person_id="p-repair-2").payload,
            "accepted_at": now,
            "resolved_at": now + timedelta(minutes=20),
        },
        "test",
        "LX-H2",
    )
    dispatch.on_case_event(store, resolved, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    (pending,) = ledger["entries"]
    assert (pending.state, ledger["balance_minutes"], ledger["pending_minutes"]) == (
        "pending_approval",
        0,
        90,
    )
    decided = hours.decide(store, pending.id, True, 60, "one hour", staff("p-staff-1"), now)
    assert (decided.kind, decided.minutes, decided.refers_to) == ("credit", 60, pending.id)
    with pytest.raises(AlreadyDecided):
        hours.decide(store, pending.id, False, None, "", staff("p-staff-2"), now)
    with pytest.raises(hours.EntryNotFound):  # a key of another community
        hours.decide(store, pending.id, True, None, "", staff("p-staff-1", ["elsewhere"]), now)
    assert hours.ledger_of(store, person_id="p-repair-2")["pending_minutes"] == 0

    reopened = case_event("case.reopened", "LX-H2", 5, reopen_count=1, reason="没修好")
    dispatch.on_case_event(store, reopened, now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]][-1] == ("reversal", -60)
    assert ledger["balance_minutes"] == 0

    correction = hours.correct(
        store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-1"
    )
    again = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-1")
    assert correction.id == again.id  # the same Idempotency-Key, the same entry
    csv_text = views.hours_csv(store, "jingxiang", "people", OPERATOR)
    assert "p-repair-2,45,0.75,4" in csv_text.splitlines()


def test_equal_people_take_turns_the_longest_waiting_first(store):
    always = ["FREQ=DAILY;BYHOUR=0 for 24h"]
    document = {
        "areas": [
            {"code": "sd", "kind": "subdistrict", "name": "街道"},
            {
                "code": "c1",
                "kind": "community",
                "parent": "sd",
                "name": "社区",
                "timezone": "Asia/Shanghai",
            },
            {"code": "c1-g1", "kind": "grid", "parent": "c1", "name": "一网格"},
        ],
        "people": [
            {"id": f"p{n}", "community": "c1", "name": f"人{n}", "teams": ["fix"]}
            for n in (1, 2, 3)
        ],
        "teams": [
            {
                "community": "c1",
                "code": "fix",
                "name": "修",
                "categories": ["facility.*"],
                "grids": ["c1-g1"],
            }
        ],
        "rotas": [
            {
                "id": "c1:fix",
                "community": "c1",
                "team": "fix",
                "starts": "2026-01-01",
                "slots": always,
                "crews": [["p1", "p2", "p3"]],
            }
        ],
    }
    assert registry.import_rows(
        store,
        rows_from_document(document, "c1.yaml"),
        dry_run=False,
        now=FRIDAY_NOON_UTC,
        communities=None,
    ).applied
    offered = []
    for n in range(6):
        case_id = f"LX-TURN{n}"
        triaged = Envelope(
            "case.triaged",
            {
                **case_event("case.triaged", case_id, 2).payload,
                "community_id": "c1",
                "grid_id": "c1-g1",
            },
            "test",
            case_id,
        )
        dispatch.on_case_event(store, triaged, FRIDAY_NOON_UTC + timedelta(minutes=n))
        offered.append(store.find("dispatches", case_id)["offer"]["person_id"])
    assert sorted(offered[:3]) == ["p1", "p2", "p3"] and offered[3:] == offered[:3]


def test_a_rota_left_from_the_pre_import_seed_does_not_stop_an_import(store, community):
    """The first release seeded rotas with `grid_id` and `shifts`; they are not rotas
    of the registry and are passed over, not a crash mid-import."""
    store.db["rotas"].insert_one(
        {
            "_id": "jingxiang-g1:mediation_desk",
            "community_id": "jingxiang",
            "team": "mediation_desk",
            "grid_id": "jingxiang-g1",
            "shifts": [],
        }
    )
    again = registry.import_rows(
        store, read([SAMPLE]), dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    )
    assert again.applied
    lookup = store.find("lookups", "grid:jingxiang-g1")
    assert "jingxiang-g1:mediation_desk" not in {entry["rota_id"] for entry in lookup["rotas"]}
    assert lookup["rotas"]  # the registry's own rotas are all still there


def test_a_resolution_handled_twice_credits_once_under_one_event_id(store, community, probe):
    """roster remembers only the last events of a case: a very late redelivery of
    case.resolved finds its ledger line there, and tells hours.credited no second time."""
    case = CaseRef(
        "LX-HOURS", "jingxiang", "jingxiang-g1", "facility.lighting", "repair_crew", "normal", "c"
    )
    resolved = case_event(
        "case.resolved", "LX-HOURS", 7, person_id="p-repair-2",
        accepted_at=FRIDAY_NOON_UTC, resolved_at=FRIDAY_NOON_UTC + timedelta(hours=1),
    )  # fmt: skip
    hours.credit_resolution(store, case, resolved)
    hours.credit_resolution(store, case, resolved)
    assert store.db["hours"].count_documents({"case_id": "LX-HOURS"}) == 1
    (credited,) = by_type(probe(), "hours.credited")
    assert credited["payload"]["entry_id"] == f"H-{resolved.event_id}"


def test_the_hours_csv_quotes_text_a_spreadsheet_would_run_and_keeps_numbers(store, community):
    """A note or a key's name comes from people: `=`, `+`, `-` or `@` first is quoted with an
    apostrophe, so a spreadsheet shows it instead of running it; minutes stay numbers."""
    now = FRIDAY_NOON_UTC
    key = hours.Staff("@k", None, None)
    hours.correct(store, "p-repair-2", -30, '=HYPERLINK("http://x.example")', None, key, now, "c")
    exported = views.hours_csv(store, "jingxiang", "entries", OPERATOR)
    (row,) = [r for r in csv.DictReader(io.StringIO(exported)) if r["kind"] == "correction"]
    assert (row["note"], row["by"]) == ('\'=HYPERLINK("http://x.example")', "'@k")
    assert (row["minutes"], row["hours"]) == ("-30", "-0.50")


def stricter_approval(store) -> None:
    """Credits over an hour wait for staff in jingxiang."""
    stricter = rows_from_document(
        {"policies": [{"community": "jingxiang", "hours": {"approval_above": "1h"}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, stricter, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied


def resolved_lighting(case_id: str, version: int, person_id: str = "p-repair-2") -> Envelope:
    """facility.lighting credits a fixed 90 minutes, by day."""
    return case_event(
        "case.resolved", case_id, version, person_id=person_id,
        accepted_at=FRIDAY_NOON_UTC, resolved_at=FRIDAY_NOON_UTC + timedelta(minutes=20),
    )  # fmt: skip


def lease_expired() -> None:
    raise LeaseExpired("the write outran its lease")


def told(events: list[dict], entry_id: str) -> list[dict]:
    return [e for e in by_type(events, "hours.credited") if e["payload"]["entry_id"] == entry_id]


def test_an_approval_whose_write_failed_is_retried_told_once_and_reversed_on_reopening(
    store, community, probe
):
    stricter_approval(store)
    now = FRIDAY_NOON_UTC
    dispatch.on_case_event(
        store, case_event("case.accepted", "LX-F3", 3, person_id="p-repair-2"), now
    )
    dispatch.on_case_event(store, resolved_lighting("LX-F3", 4), now)
    (pending,) = hours.ledger_of(store, person_id="p-repair-2")["entries"]
    probe()
    with armed("aggregate.before_write", lease_expired), pytest.raises(LeaseExpired):
        hours.decide(store, pending.id, True, 60, "", staff("p-staff-1"), now)
    decided = hours.decide(store, pending.id, True, 60, "", staff("p-staff-1"), now)  # the retry
    assert (decided.kind, decided.minutes) == ("credit", 60)
    assert len(told(probe(), decided.id)) == 1

    dispatch.on_case_event(store, case_event("case.reopened", "LX-F3", 5, reopen_count=1), now)
    ledger = hours.ledger_of(store, person_id="p-repair-2")
    assert [(e.kind, e.minutes) for e in ledger["entries"]][-1] == ("reversal", -60)
    assert ledger["balance_minutes"] == 0


def test_a_correction_whose_write_failed_is_retried_with_its_key_once_and_told_once(
    store, community, probe
):
    now = FRIDAY_NOON_UTC
    with armed("aggregate.before_write", lease_expired), pytest.raises(LeaseExpired):
        hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    entry = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    again = hours.correct(store, "p-repair-2", 45, "补录", None, staff("p-staff-1"), now, "k-retry")
    assert again.id == entry.id
    assert hours.ledger_of(store, person_id="p-repair-2")["balance_minutes"] == 45
    assert len(told(probe(), entry.id)) == 1


@pytest.mark.parametrize("ending", ["case.rejected", "case.merged", "case.withdrawn"])
def test_a_returned_or_merged_case_is_offered_no_more_and_its_chain_stops(
    store, community, probe, ending
):
    now = FRIDAY_NOON_UTC
    offered, escalated = f"LX-OFFERED-{ending[5:9]}", f"LX-ESCALATED-{ending[5:9]}"
    dispatch.on_case_event(store, case_event("case.triaged", offered, 2), now)
    nobody = case_event("case.triaged", escalated, 2)  # nobody mediates on a Friday noon
    nobody.payload.update(category="dispute.neighbour", team="mediation_desk")
    dispatch.on_case_event(store, nobody, now)
    events = probe()
    (made,) = by_type(events, "offer.made")
    (step,) = by_type(events, "escalation.required")
    assert step["payload"]["case_id"] == escalated

    for case_id in (offered, escalated):
        dispatch.on_case_event(store, case_event(ending, case_id, 3), now)
        assert store.find("dispatches", case_id)["state"] == "ended"
    offer = store.find("offers", made["payload"]["offer_id"])
    assert offer["state"] == "withdrawn"
    later = now + timedelta(minutes=20)
    expiry = Deadline(dispatch.OFFER_EXPIRY, offered, later, {"offer_id": offer["_id"]})
    dispatch.on_offer_expiry(store, expiry, later)
    next_step = Deadline(dispatch.ESCALATION_STEP, escalated, later, {"step": 2, "round": 1})
    dispatch.on_escalation_step(store, next_step, later)
    events = probe()
    assert by_type(events, "offer.made") == [] and by_type(events, "escalation.required") == []


def test_access_since_moves_when_roles_or_active_change_and_not_for_a_contact_or_name(
    store, community, probe
):
    """person.changed carries when the person's access last changed: tokens, links and
    sessions issued before it are void (lianxin.access.person_access), so a new phone number
    must not sign a volunteer out, and a role taken away must."""
    assert store.find("people", "p-repair-2")["access_since"] == FRIDAY_NOON_UTC
    row = {
        "id": "p-repair-2",
        "community": "jingxiang",
        "name": "吕桂英",
        "roles": ["volunteer"],
        "teams": ["repair_crew"],
        "home_grids": ["jingxiang-g1"],
        "contacts": [{"channel": "sms", "address": "13807310999"}],
    }

    def imported(at, **changes) -> dict:
        rows = rows_from_document({"people": [{**row, **changes}]}, "people.yaml")
        assert registry.import_rows(store, rows, dry_run=False, now=at, communities=None).applied
        (changed,) = by_type(probe(), "person.changed")
        return changed["payload"]

    hour = timedelta(hours=1)
    same = imported(FRIDAY_NOON_UTC + hour, name="吕桂芳")  # a new number and name
    assert same["access_since"] == FRIDAY_NOON_UTC.isoformat()
    promoted = imported(FRIDAY_NOON_UTC + 2 * hour, name="吕桂芳", roles=["grid_worker"])
    assert promoted["access_since"] == (FRIDAY_NOON_UTC + 2 * hour).isoformat()
    gone = imported(FRIDAY_NOON_UTC + 3 * hour, name="吕桂芳", roles=["grid_worker"], active=False)
    assert gone["access_since"] == (FRIDAY_NOON_UTC + 3 * hour).isoformat()
    assert store.find("people", "p-repair-2")["access_since"] == FRIDAY_NOON_UTC + 3 * hour


def test_an_import_moves_another_communitys_record_only_with_both_communities(store, community):
    """The CLI's path (registry.import_rows), dry run or not: the operator covers every
    community and sees the move listed; a caller of one community is refused."""
    now = FRIDAY_NOON_UTC
    second = rows_from_document(
        {
            "areas": [
                {
                    "code": "c2",
                    "kind": "community",
                    "parent": "yuhuating",
                    "name": "二社区",
                    "timezone": "Asia/Shanghai",
                },
                {"code": "c2-g1", "kind": "grid", "parent": "c2", "name": "一网格"},
            ]
        },
        "c2.yaml",
    )
    assert registry.import_rows(store, second, dry_run=False, now=now, communities=None).applied
    move = rows_from_document(
        {"people": [{"id": "p-repair-2", "community": "c2", "name": "吕桂英"}]}, "move.yaml"
    )
    for dry_run in (True, False):
        with pytest.raises(Forbidden):
            registry.import_rows(store, move, dry_run=dry_run, now=now, communities={"c2"})
    assert store.find("people", "p-repair-2")["community_id"] == "jingxiang"

    checked = registry.import_rows(store, move, dry_run=True, now=now, communities=None)
    assert [(m.kind, m.key, m.source, m.destination) for m in checked.plan.moves] == [
        ("people", "p-repair-2", "jingxiang", "c2")
    ]
    assert store.find("people", "p-repair-2")["community_id"] == "jingxiang"
    both = {"jingxiang", "c2"}
    assert registry.import_rows(store, move, dry_run=False, now=now, communities=both).applied
    assert store.find("people", "p-repair-2")["community_id"] == "c2"
