"""What cases does with roster's events and the signed action links' RPC, on the running
services: the events are put on the bus here, as roster would, so these tests need
nothing of roster's own progress."""

from __future__ import annotations

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.cases_support import People, as_roster, envelope, offer
from tests.e2e.conftest import area_events, community, get_case, wait_until
from tests.e2e.test_faults import counter

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crew(stack, keys) -> People:
    return People(stack, keys, community("ev"))


def handled_offers(stack) -> float:
    return counter(stack, "cases", "lianxin_events_handled_total", event="offer.made", outcome="ok")


def test_an_offer_dispatches_the_case_and_its_redelivery_changes_nothing(stack, crew):
    case = crew.settled(crew.report()["id"])
    before = handled_offers(stack)
    made = offer(case["id"], person_id=crew.id("repair-6"), attempt=97)
    as_roster(stack, made, made)  # delivered twice, as at-least-once delivery may
    wait_until("both copies to be handled", lambda: handled_offers(stack) >= before + 2)
    shown = get_case(stack, case["id"])
    mine = [step for step in shown["timeline"] if step["note"].endswith("(attempt 97)")]
    assert len(mine) == 1 and mine[0]["action"] == "dispatch"
    assert shown["state"] == "dispatched"


def test_an_expired_offer_sends_the_case_back_to_waiting_and_a_stale_one_is_ignored(stack, crew):
    case = crew.settled(crew.report()["id"])
    person = crew.id("repair-3")
    made = offer(case["id"], person_id=person)
    as_roster(stack, made)
    wait_until("the offer", lambda: get_case(stack, case["id"])["assignee"] == person)
    stale = envelope(
        "offer.expired",
        {"case_id": case["id"], "offer_id": "OF-NOT-THIS", "person_id": person, "attempt": 1},
        case["id"],
    )
    expired = envelope(
        "offer.expired",
        {"case_id": case["id"], "offer_id": made["payload"]["offer_id"], "person_id": person},
        case["id"],
    )
    as_roster(stack, stale, expired)
    current = wait_until(
        "the expiry",
        lambda: (found := get_case(stack, case["id"]))["state"] == "triaged" and found,
    )
    assert current["assignee"] is None
    assert [step["action"] for step in current["timeline"]].count("expire") == 1


def test_an_escalation_names_its_level_and_target_and_staff_take_it_out_again(stack, crew):
    case = crew.settled(crew.report()["id"])
    required = envelope(
        "escalation.required",
        {
            "case_id": case["id"],
            "community_id": crew.place,
            "grid_id": "jingxiang-g1",
            "level": "community_staff",
            "step": 2,
            "reason": "nobody accepted in time",
            "target": {"person_id": "p-staff-1", "display_name": "社区**", "department": None},
        },
        case["id"],
    )
    as_roster(stack, required)
    escalated = wait_until(
        "the escalation",
        lambda: (
            (found := get_case(stack, case["id"]))["escalation"]
            and found["escalation"]["level"] == "community_staff"
            and found
        ),
    )
    assert escalated["state"] == "escalated" and escalated["escalation"]["step"] == 2
    chosen = crew.id("repair-4")
    assigned = crew.post(
        case["id"], "assign", crew.staff, {"person_id": chosen, "display_name": "孔师傅"}
    )
    assert assigned.json()["state"] == "dispatched" and assigned.json()["assignee"] == chosen
    as_roster(stack, offer(case["id"], person_id=crew.id("repair-1")))  # late: staff decided
    accepted = crew.post(case["id"], "accept", crew.volunteer(chosen))
    assert accepted.status_code == 200, accepted.text


def test_an_event_for_a_case_that_does_not_exist_is_parked_not_dropped(stack, amqp_uri):
    from tests.e2e.conftest import parked_message, payload_of

    ghost = offer("LX-00000000DEADBEEF", person_id="p-repair-2")
    as_roster(stack, ghost)
    parked = wait_until(
        "the offer for no case in the dead-letter queue",
        lambda: parked_message(
            amqp_uri,
            "cases.roster-dispatch",
            lambda message: (payload_of(message) or {}).get("event_id") == ghost["event_id"],
        ),
    )
    assert "unknown case" in parked.headers["x-lianxin-error"]


def test_area_changes_apply_in_version_order_and_a_removed_grid_is_refused(stack, keys):
    team = People(stack, keys, community("area"))
    as_roster(stack, *area_events(team.place))
    wait_until(
        "the areas",
        lambda: (
            requests.get(
                f"{stack.url('cases')}/v1/areas/{team.place}", headers=team.hotline, timeout=5
            ).status_code
            == 200
        ),
    )
    grid = next(
        event
        for event in area_events(team.place)
        if event["payload"]["node"]["code"] == "jingxiang-g3"
    )
    removed = {**grid, "event_id": envelope("x", {})["event_id"]}
    removed["payload"] = {**grid["payload"], "removed": True, "area_version": 3}
    older = {**grid, "event_id": envelope("x", {})["event_id"]}
    older["payload"] = {**grid["payload"], "area_version": 2}
    as_roster(stack, removed, older)  # the older change arrives last: it must not revive it

    def refused() -> bool:
        answer = requests.post(
            f"{stack.url('cases')}/v1/cases",
            json={
                "description": "40栋门口垃圾",
                "community_id": team.place,
                "location": {"grid_id": "jingxiang-g3"},
            },
            headers=team.hotline,
            timeout=10,
        )
        return answer.status_code == 400 and "location.grid_id" in answer.json()["error"]["fields"]

    wait_until("the removed grid to be refused", refused, timeout=20)
    listed = requests.get(
        f"{stack.url('cases')}/v1/areas/{team.place}", headers=team.hotline, timeout=5
    ).json()
    assert "jingxiang-g3" not in {area["code"] for area in listed["areas"]}


def test_a_signed_action_link_runs_the_same_use_case_over_rpc(stack, crew):
    case, _ = crew.taken(crew.report()["id"])
    person = case["assignee"]
    with ClusterRpcProxy({"AMQP_URI": stack.amqp_uri}, timeout=30) as rpc:
        act = rpc.cases.perform_action
        stranger = act(case["id"], "accept", crew.id("repair-7"), "volunteer", None)
        accepted = act(case["id"], "accept", person, "volunteer", None)
        again = act(case["id"], "accept", person, "volunteer", None)
        resolved = act(case["id"], "resolve", person, "volunteer", "修好了")
        unknown = act("LX-0000000000000000", "accept", person, "volunteer", None)
        nonsense = act(case["id"], "delete", person, "volunteer", None)
    number = case["number"]
    assert stranger == {
        "ok": False,
        "code": "not_assignee",
        "state": "dispatched",
        "number": number,
    }
    assert accepted == {"ok": True, "state": "accepted", "number": number}
    assert again == {"ok": False, "code": "invalid_transition", "state": "accepted"}
    assert resolved == {"ok": True, "state": "resolved", "number": number}
    assert unknown == {"ok": False, "code": "not_found", "state": None}
    assert nonsense["ok"] is False and nonsense["code"] == "unknown_action"
    shown = get_case(stack, case["id"])
    assert [step["channel"] for step in shown["timeline"] if step["action"] == "accept"] == ["link"]
    assert shown["resolution"] == "修好了"
