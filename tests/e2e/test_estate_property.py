"""The property company's evaluation in the real stack (estate, cases, metrics, RabbitMQ,
FerretDB): ballots from two numbers of one household count once; a property complaint
reported to cases counts once against its estate however often its event comes; closing a
quarter below the thresholds freezes it, records the warning, is refused a second time and
reaches metrics' gauges; and nobody else gets in — another community's staff, a
volunteer's token, the staff's key casting a ballot, a number on no household, a vote
after the close, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from lianxin.quarters import Quarter
from tests.e2e.cases_support import People
from tests.e2e.conftest import community, ensure_community, publish_events
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

HEADER = "household_id,community,estate,building,unit,room,floor_area,phones\n"
ESTATE = "jx-e1"  # of the test communities' areas (tests/e2e/sample_areas.yaml)
TWO_PHONES = ("13807318801", "13907318802")  # one household's numbers
ANSWERS = {
    "cleaning": "dissatisfied",
    "security": "basically_satisfied",
    "repairs": "dissatisfied",
    "green_space": "satisfied",
}


def quarter_now() -> str:
    """This quarter in the test communities' zone, named as every service names it."""
    return str(Quarter.of(datetime.now(UTC), ZoneInfo("Asia/Shanghai")))


@pytest.fixture(scope="module")
def residents(keys) -> dict[str, str]:
    """The residents' pages' key, as `make up` makes it: scope resident, every community."""
    return {"X-Api-Key": keys.issue(["report", "verify", "resident"], ["*"], name="residents")}


@pytest.fixture(scope="module")
def ours(stack, keys) -> People:
    people = People(stack, keys, community("prop"))
    place = people.place
    register = HEADER + (
        f"h-1,{place},{ESTATE},jx-e1-b5,jx-e1-b5-u1,101,90,{';'.join(TWO_PHONES)}\n"
        f"h-2,{place},{ESTATE},jx-e1-b5,jx-e1-b5-u1,102,90,13807318803\n"
        f"h-3,{place},{ESTATE},jx-e1-b5,jx-e1-b5-u2,201,90,13807318804\n"
        f"h-4,{place},jx-e2,jx-e2-b17,jx-e2-b17-u1,101,90,13807318805\n"
    )
    imported = requests.post(
        f"{stack.url('estate')}/v1/households/imports",
        json={"name": "households.csv", "text": register},
        headers=people.staff,
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    return people


@pytest.fixture(scope="module")
def theirs(stack, keys) -> People:
    return People(stack, keys, community("prop"))


def estate_url(stack, *path: str) -> str:
    return "/".join([f"{stack.url('estate')}/v1/property/estates/{ESTATE}", *path])


def set_company(stack, people: People, estate: str = ESTATE) -> requests.Response:
    return requests.put(
        f"{stack.url('estate')}/v1/property/estates/{estate}/company",
        json={
            "community_id": people.place,
            "name": "金盾物业",
            "starts_on": "2025-01-01",
            "ends_on": f"{datetime.now(UTC).year + 2}-01-01",  # whichever year the run is in
        },
        headers=people.staff,
        timeout=10,
    )


def evaluation(stack, people: People, headers: dict | None = None) -> requests.Response:
    return requests.get(
        estate_url(stack),
        params={"community_id": people.place},
        headers=headers or people.staff,
        timeout=10,
    )


def ballot(stack, headers, place: str, phone: str, household: str, overall="dissatisfied"):
    body = {
        "community_id": place,
        "phone": phone,
        "household_id": household,
        "overall": overall,
        "aspects": ANSWERS,
        "comment": "电梯坏了两周 13807318801",
    }
    return requests.post(
        f"{stack.url('estate')}/v1/property/ballots", json=body, headers=headers, timeout=10
    )


def open_quarter(stack, people: People) -> dict:
    shown = evaluation(stack, people)
    assert shown.status_code == 200, shown.text
    (current,) = [q for q in shown.json()["open"] if q["quarter"] == quarter_now()]
    return current


def test_two_numbers_of_one_household_vote_once(stack, ours, residents):
    assert set_company(stack, ours).status_code == 200
    voter = requests.post(
        f"{stack.url('estate')}/v1/property/voters",
        json={"community_id": ours.place, "phone": TWO_PHONES[1]},
        headers=residents,
        timeout=10,
    )
    assert voter.status_code == 200, voter.text
    assert [h["household_id"] for h in voter.json()["households"]] == ["h-1"]
    first = ballot(stack, residents, ours.place, TWO_PHONES[0], "h-1")
    assert first.status_code == 201, first.text
    second = ballot(stack, residents, ours.place, TWO_PHONES[1], "h-1", overall="satisfied")
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_voted"
    assert second.json()["error"]["voted_at"]
    current = open_quarter(stack, ours)
    assert current["online"]["ballots"] == 1
    assert current["online"]["overall"]["dissatisfied"] == 1
    (comment,) = current["comments"]
    assert "13807318801" not in comment["comment"]  # a number in a comment is masked


def test_who_may_not_vote_and_what_is_not_a_ballot(stack, ours, theirs, residents):
    assert set_company(stack, ours).status_code == 200
    nobody = ballot(stack, residents, ours.place, "13800000009", "h-2")
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "not_on_register"
    neighbour = ballot(stack, residents, ours.place, "13807318804", "h-2")  # h-3's number
    assert neighbour.status_code == 404
    assert ballot(stack, ours.staff, ours.place, "13807318803", "h-2").status_code == 403
    volunteer = ours.volunteer(ours.id("repair-1"))
    assert ballot(stack, volunteer, ours.place, "13807318803", "h-2").status_code == 403
    wrong = ballot(stack, residents, ours.place, "13807318803", "h-2", overall="great")
    assert wrong.status_code == 400 and "overall" in wrong.json()["error"]["fields"]
    injected = requests.post(
        f"{stack.url('estate')}/v1/property/ballots",
        json={
            "community_id": ours.place,
            "phone": "13807318803",
            "household_id": "h-2",
            "overall": "satisfied",
            "aspects": ANSWERS,
            "$where": "1",
        },
        headers=residents,
        timeout=10,
    )
    assert injected.status_code == 400
    assert open_quarter(stack, ours)["online"]["ballots"] <= 1  # h-1's alone, if any


def property_complaint(stack, people: People, case_id: str, event_id: str) -> dict:
    """case.triaged as cases emits it for a property complaint in the estate."""
    payload = {
        "case_id": case_id,
        "number": "LX-TEST",
        "community_id": people.place,
        "grid_id": "jingxiang-g1",
        "category": "dispute.property_management",
        "team": "mediation_desk",
        "priority": "normal",
        "channel": "app",
        "state": "triaged",
        "previous_state": "reported",
        "case_version": 2,
        "overdue": False,
        "place": "井湘小区5栋",
        "category_label": {"zh": "物业纠纷", "en": "Property-management dispute"},
        "assignee": None,
        "private": True,
        "property_complaint": True,
        "location": {
            "estate_code": ESTATE,
            "estate": "井湘小区",
            "building": "5栋",
            "unit": None,
            "address": None,
            "lat": None,
            "lon": None,
        },
        "description": "物业不修电梯",
        "accept_by": "2030-01-01T00:00:00+00:00",
        "resolve_by": "2030-01-01T00:00:00+00:00",
        "triage": {"reporter": None, "keywords": [], "staff": None},
    }
    return {
        "event_id": event_id,
        "type": "case.triaged",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": case_id,
        "case_id": case_id,
        "payload": payload,
    }


def test_a_property_complaint_reported_to_cases_counts_once_even_replayed(stack, ours):
    assert set_company(stack, ours).status_code == 200
    ensure_community(stack, ours.place)
    reported = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json={
            "community_id": ours.place,
            "channel": "app",
            "category": "dispute.property_management",
            "description": "物业公司长期不修电梯，投诉",
            "location": {"area_code": "jx-e1-b5"},
        },
        headers=ours.hotline,
        timeout=10,
    )
    assert reported.status_code == 201, reported.text
    case_id = reported.json()["id"]
    wait_until("the complaint counted", lambda: open_quarter(stack, ours)["complaints"] == 1)
    # the same case told again: a redelivery (same event id) and a second triage (new id)
    replayed = property_complaint(stack, ours, case_id, str(uuid.uuid4()))
    again = {**replayed, "event_id": str(uuid.uuid4())}
    later = property_complaint(stack, ours, f"LX-{uuid.uuid4().hex[:8]}", str(uuid.uuid4()))
    publish_events(stack, "cases", [replayed, replayed, again, later])
    wait_until("the later complaint counted", lambda: open_quarter(stack, ours)["complaints"] >= 2)
    assert open_quarter(stack, ours)["complaints"] == 2  # the replays of the first: none


def test_closing_below_the_threshold_freezes_records_the_warning_and_tells_metrics(
    stack, keys, residents
):
    people = People(stack, keys, community("prop"))
    place = people.place
    register = HEADER + "".join(
        f"h-{n},{place},{ESTATE},jx-e1-b5,jx-e1-b5-u1,{100 + n},90,1380731{8900 + n}\n"
        for n in range(1, 5)
    )
    requests.post(
        f"{stack.url('estate')}/v1/households/imports",
        json={"name": "households.csv", "text": register},
        headers=people.staff,
        timeout=30,
    ).raise_for_status()
    assert set_company(stack, people).status_code == 200
    for n in range(1, 4):
        cast = ballot(stack, residents, place, f"1380731{8900 + n}", f"h-{n}")
        assert cast.status_code == 201, cast.text
    quarter = quarter_now()
    counts = {"satisfied": 2, "basically_satisfied": 1, "dissatisfied": 7}
    paper = {
        "community_id": place,
        "quarter": quarter,
        "overall": counts,
        "aspects": dict.fromkeys(ANSWERS, counts),
    }
    entered = requests.post(
        estate_url(stack, "offline"), json=paper, headers=people.staff, timeout=10
    )
    assert entered.status_code == 200, entered.text
    twice = requests.post(
        estate_url(stack, "offline"), json=paper, headers=people.staff, timeout=10
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "offline_entered"

    close = estate_url(stack, "quarters", quarter, "close")
    volunteer = people.volunteer(people.id("repair-1"))
    assert (
        requests.post(
            close, json={"community_id": place}, headers=volunteer, timeout=10
        ).status_code
        == 403
    )
    closed = requests.post(close, json={"community_id": place}, headers=people.staff, timeout=10)
    assert closed.status_code == 200, closed.text
    (result,) = closed.json()["history"]
    assert (result["quarter"], result["level"]) == (quarter, "warning")
    assert result["ballots"]["ballots"] == 13 and "satisfaction_low" in result["reasons"]
    again = requests.post(close, json={"community_id": place}, headers=people.staff, timeout=10)
    assert again.status_code == 409 and again.json()["error"]["code"] == "quarter_closed"
    late = ballot(stack, residents, place, "13807318904", "h-4")
    assert late.status_code == 409 and late.json()["error"]["code"] == "quarter_closed"

    actions = estate_url(stack, "quarters", quarter, "actions")
    wrong = requests.post(
        actions,
        json={"community_id": place, "kind": "replacement", "text": "更换"},
        headers=people.staff,
        timeout=10,
    )
    assert wrong.status_code == 409 and wrong.json()["error"]["reason"] == "not_required"
    warned = requests.post(
        actions,
        json={"community_id": place, "kind": "warning", "text": "约谈物业经理"},
        headers=people.staff,
        timeout=10,
    )
    assert warned.status_code == 200, warned.text
    (recorded,) = warned.json()["history"][0]["actions"]
    assert (recorded["kind"], recorded["by"]) == ("warning", people.staff_id)

    def gauge() -> str | None:
        text = requests.get(
            f"http://127.0.0.1:{stack.metrics_port('metrics')}/metrics", timeout=5
        ).text
        found = [
            line
            for line in text.splitlines()
            if line.startswith("lianxin_property_verdict_level") and place in line
        ]
        return found[0] if found else None

    line = wait_until("metrics' verdict gauge for the estate", gauge, timeout=30)
    assert line.endswith(" 1.0") and f'estate="{ESTATE}"' in line


def test_another_community_s_staff_see_and_change_nothing(stack, ours, theirs):
    assert set_company(stack, ours).status_code == 200
    assert evaluation(stack, ours, theirs.staff).status_code == 404
    moved = requests.put(
        f"{stack.url('estate')}/v1/property/estates/{ESTATE}/company",
        json={
            "community_id": ours.place,
            "name": "别家物业",
            "starts_on": "2025-01-01",
            "ends_on": "2026-01-01",
        },
        headers=theirs.staff,
        timeout=10,
    )
    assert moved.status_code == 404
    closed = requests.post(
        estate_url(stack, "quarters", quarter_now(), "close"),
        json={"community_id": ours.place},
        headers=theirs.staff,
        timeout=10,
    )
    assert closed.status_code == 404
    assert evaluation(stack, ours).json()["company"]["name"] == "金盾物业"
    for named in ("2026-Q9", "0000-Q1", "2026Q4"):  # a year with no date is a 400, not a 500
        bad = requests.post(
            estate_url(stack, "quarters", named, "close"),
            json={"community_id": ours.place},
            headers=ours.staff,
            timeout=10,
        )
        assert bad.status_code == 400 and "quarter" in bad.json()["error"]["fields"], bad.text
