"""Dispatching a case (services.roster.app.dispatch), on the in-memory store: who is
offered it, caps, leave, declines and the escalation chain, turns, and the ends that
stop it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from services.roster.app import dispatch, duty, registry
from services.roster.domain.rows import rows_from_document
from tests.roster.app.case_events import (
    by_type,
    case_event,
)
from tests.roster.conftest import FRIDAY_NOON_UTC


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


@pytest.mark.parametrize("ending", ["case.rejected", "case.merged", "case.withdrawn"])
def test_a_returned_or_merged_case_is_offered_no_more_and_its_chain_stops(
    store, community, probe, ending
):
    now = FRIDAY_NOON_UTC
    offered, escalated = f"LX-OFFERED-{ending[5:9]}", f"LX-ESCALATED-{ending[5:9]}"
    dispatch.on_case_event(store, case_event("case.triaged", offered, 2), now)
    # no rota serves grid 9: the chain starts at once (a desk's case would wait for its shift)
    nobody = case_event("case.triaged", escalated, 2, grid_id="jingxiang-g9")
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


def test_who_is_on_duty_comes_with_their_open_cases_against_their_cap(store, community):
    """What staff weigh when they assign by hand (GET /v1/on-duty): the load dispatch keeps."""
    now = FRIDAY_NOON_UTC  # p-repair-2 alone is on duty for grid 1's repairs
    (before,) = duty.who_is_on_duty(store, "jingxiang-g1", "repair_crew", now)
    assert before["person_id"] == "p-repair-2" and before["open_cases"] == 0
    dispatch.on_case_event(store, case_event("case.triaged", "LX-LOAD1", 2), now)
    accepted = case_event("case.accepted", "LX-LOAD1", 4, person_id="p-repair-2")
    dispatch.on_case_event(store, accepted, now)
    (after,) = duty.who_is_on_duty(store, "jingxiang-g1", "repair_crew", now)
    assert after["open_cases"] == 1 and after["cap"] == before["cap"] >= 1
