"""The mediation desk (矛盾调处) on the running services: a dispute in the sample community
runs on the desk's calendar, its appointment is set inside a session by staff only, a
session is held with its parties before an outcome, an agreement's follow-up visit not
made reminds whoever has it when due (20 s on in the test stack), and metrics counts it
all, in the quarter's evaluation too. The sample community's desk (Red Sail station,
Fridays 09:00–12:00 and 14:00–17:00) comes from lianxin/contracts/calendars.yaml."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from services.cases.compose import load_taxonomy
from tests.e2e.cases_support import HOTLINE, People
from tests.e2e.conftest import (
    client,
    community,
    community_today,
    days_since,
    get_case,
    report_body,
    wait_until,
)

pytestmark = pytest.mark.e2e

SAMPLE = "jingxiang"
DESK = load_taxonomy().desk(SAMPLE, "mediation_desk")
DISPUTE = "邻居吵架好几天了，楼上漏水到我家也不管"


@pytest.fixture(scope="module")
def desk(stack, keys):
    """Keys of the sample community: its hotline, staff member p-staff-1, a mediator's app."""
    hotline = keys.issue(
        ["report", "read"],
        [SAMPLE],
        name="desk-hotline",
        hotline_id=HOTLINE,
        channels=["hotline", "app"],
    )
    staff = keys.issue(["act", "read"], [SAMPLE], person_id="p-staff-1", role="staff", name="s1")
    app = keys.issue(["act", "read"], [SAMPLE], name="desk-app")
    mediator = keys.person_token("p-mediator-1", "volunteer", [SAMPLE])
    return {
        "hotline": {"X-Api-Key": hotline},
        "staff": {"X-Api-Key": staff},
        "mediator": {"X-Api-Key": app, "X-Lianxin-Person": mediator},
        "reader": client(keys.issue(["read"], [SAMPLE], name="desk-reader")),
    }


def report_dispute(stack, desk) -> dict:
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json=report_body(SAMPLE, description=DISPUTE, reporter={"name": "王阿姨"}),
        headers=desk["hotline"],
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def appoint(stack, case_id: str, headers: dict, starts_at: datetime, key: str | None = None):
    return requests.post(
        f"{stack.url('cases')}/v1/cases/{case_id}/appointment",
        json={"starts_at": starts_at.isoformat(), "minutes": 60, "venue": "红帆驿站"},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
        timeout=10,
    )


def next_session_opening(after: datetime) -> datetime:
    return next(o.opens for o in DESK.openings(after) if o.opens > after)


def last_session_opening(before: datetime) -> datetime:
    """The opening of the desk's latest session over by `before` (within the 30 days a
    session may be recorded after)."""
    held = None
    for opening in DESK.openings(before - timedelta(days=28)):
        if opening.closes > before:
            return held
        held = opening.opens
    return held


def desk_post(stack, case_id: str, path: str, body: dict, headers: dict):
    return requests.post(
        f"{stack.url('cases')}/v1/cases/{case_id}/{path}",
        json=body,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )


def hold_session(stack, case_id: str, headers: dict, parties: list[str]):
    """A session held at the desk's latest session, with the sample's first mediator."""
    held_at = last_session_opening(datetime.now(UTC))
    body = {"held_at": held_at.isoformat(), "parties": parties, "mediators": ["p-mediator-1"]}
    return desk_post(stack, case_id, "sessions", {**body, "note": "双方到场"}, headers)


def test_a_dispute_is_due_at_the_end_of_the_desks_next_session_and_private(stack, desk):
    case = report_dispute(stack, desk)
    assert case["category"] == "dispute.neighbour" and case["team"] == "mediation_desk"
    assert case["private"] is True
    reported = datetime.fromisoformat(case["reported_at"])
    session = DESK.next_opening(reported)
    assert datetime.fromisoformat(case["accept_by"]) == session.closes
    volunteer_view = requests.get(
        f"{stack.url('cases')}/v1/cases/{case['id']}", headers=desk["mediator"], timeout=5
    ).json()
    assert volunteer_view["description"] == "" and volunteer_view["appointment"] is None

    def dispatched():
        answer = desk["reader"].get(f"{stack.url('roster')}/v1/dispatches/{case['id']}", timeout=5)
        found = answer.json() if answer.status_code == 200 else {}
        return (found.get("offer") or found.get("awaits_shift")) and found

    found = wait_until("roster to offer the dispute or wait for the desk", dispatched)
    assert found["escalation_step"] == 0  # never up the chain for want of a mediator
    # a session's last half hour: the case is due at the next session's end, but the
    # mediators are still on duty (Fridays 11:30–12:00 and 16:30–17:00 in Beijing)
    if next(DESK.openings(reported)).opens > reported:  # outside the desk's hours: it waits
        assert datetime.fromisoformat(found["awaits_shift"]) == next_session_opening(reported)
        assert found["offer"] is None and get_case(stack, case["id"])["state"] == "triaged"
    else:  # inside them: a mediator on duty is offered it
        assert found["offer"]["person_id"].startswith("p-mediator-")


def test_staff_set_the_appointment_and_the_outcome_once_and_metrics_counts_them(stack, desk):
    began = community_today()
    case = report_dispute(stack, desk)
    starts = next_session_opening(datetime.now(UTC)).astimezone(UTC)
    key = uuid.uuid4().hex
    first = appoint(stack, case["id"], desk["staff"], starts, key)
    assert first.status_code == 200, first.text
    shown = first.json()
    assert datetime.fromisoformat(shown["appointment"]["starts_at"]) == starts
    assert shown["timeline"][-1]["action"] == "appointment"
    assert "(Asia/Shanghai) 红帆驿站" in shown["timeline"][-1]["note"]
    again = appoint(stack, case["id"], desk["staff"], starts, key)  # a form sent twice
    assert again.status_code == 200 and again.json()["version"] == shown["version"]

    party = {"name": "王小红", "role": "applicant", "phone": "13807319999", "consent": True}
    for consent, status in ((False, 400), (True, 200)):
        added = requests.post(
            f"{stack.url('cases')}/v1/cases/{case['id']}/parties",
            json={**party, "consent": consent},
            headers={**desk["staff"], "Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        assert added.status_code == status, added.text
    assert [(p["name"], p["phone"]) for p in added.json()["parties"]] == [("王**", "138****9999")]
    held = hold_session(stack, case["id"], desk["staff"], ["P1"])
    assert held.status_code == 200, held.text
    agreement = {"result": "agreement", "agreement": "赔偿修理费800元", "signed_by": ["王小红"]}
    settled = requests.post(
        f"{stack.url('cases')}/v1/cases/{case['id']}/outcome",
        json=agreement,
        headers={**desk["staff"], "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["mediation"]["signed_by"] == ["王**"]  # a staff key: masked
    again = requests.post(
        f"{stack.url('cases')}/v1/cases/{case['id']}/outcome",
        json={"result": "referral", "referred_to": "court"},
        headers={**desk["staff"], "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert again.status_code == 409  # recorded once
    visited = requests.post(
        f"{stack.url('cases')}/v1/cases/{case['id']}/outcome/follow-up",
        json={"note": "双方已履行协议"},
        headers={**desk["staff"], "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )
    assert visited.status_code == 200, visited.text
    assert visited.json()["mediation"]["followed_up"]["note"] == "双方已履行协议"


    def counted():
        answer = desk["reader"].get(
            f"{stack.url('metrics')}/v1/stats/summary",
            params={"community_id": SAMPLE, **days_since(began)},
            timeout=10,
        )
        totals = answer.json()["totals"] if answer.status_code == 200 else {}
        counts = ("appointments", "disputes_settled", "follow_ups_done", "follow_ups_on_time")
        return all(totals.get(measure) == 1 for measure in counts)

    wait_until("metrics to count the appointment, the agreement and its visit", counted)


def test_a_time_outside_the_sessions_is_a_400_on_starts_at_and_changes_nothing(stack, desk):
    case = report_dispute(stack, desk)
    opening = next_session_opening(datetime.now(UTC))
    for starts in (opening - timedelta(hours=1), opening + timedelta(hours=2, minutes=30)):
        refused = appoint(stack, case["id"], desk["staff"], starts)
        assert refused.status_code == 400, refused.text
        assert list(refused.json()["error"]["fields"]) == ["starts_at"]
    past = appoint(stack, case["id"], desk["staff"], datetime.now(UTC) - timedelta(days=7))
    assert past.status_code == 400 and list(past.json()["error"]["fields"]) == ["starts_at"]
    after = get_case(stack, case["id"])
    assert after["appointment"] is None
    assert all(step["action"] != "appointment" for step in after["timeline"])


def test_a_volunteer_a_reporters_key_and_another_community_may_not_set_it(stack, keys, desk):
    case = report_dispute(stack, desk)
    starts = next_session_opening(datetime.now(UTC))
    assert appoint(stack, case["id"], desk["mediator"], starts).status_code == 403
    assert appoint(stack, case["id"], desk["hotline"], starts).status_code == 403  # no act scope
    outsider = People(stack, keys, community("desk-out"))
    assert appoint(stack, case["id"], outsider.staff, starts).status_code == 404
    assert appoint(stack, case["number"], outsider.staff, starts).status_code == 404
    assert get_case(stack, case["id"])["appointment"] is None
    party = {"name": "王小红", "role": "applicant", "consent": True}
    assert desk_post(stack, case["id"], "parties", party, desk["staff"]).status_code == 200
    for path, body in (
        ("sessions", {"held_at": last_session_opening(datetime.now(UTC)).isoformat(),
                      "parties": ["P1"], "mediators": ["p-mediator-1"]}),
        ("outcome", {"result": "referral", "referred_to": "court"}),
        ("outcome/follow-up", {"note": "法院已立案"}),
    ):  # fmt: skip
        assert desk_post(stack, case["id"], path, body, outsider.staff).status_code == 404, path
        assert desk_post(stack, case["id"], path, body, desk["mediator"]).status_code in (403, 409)
    shown = get_case(stack, case["id"])
    assert shown["sessions"] == [] and shown["mediation"] is None


def test_a_case_of_a_round_the_clock_team_takes_no_appointment(stack, desk):
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        json=report_body(SAMPLE),
        headers=desk["hotline"],
        timeout=10,
    )
    starts = next_session_opening(datetime.now(UTC))
    refused = appoint(stack, answer.json()["id"], desk["staff"], starts)
    assert refused.status_code == 409, refused.text


def desk_quarter(desk) -> dict:
    """The desk's figures in this quarter's evaluation of the sample community."""
    answer = desk["reader"].get(
        f"{desk['metrics']}/v1/stats/evaluation", params={"community_id": SAMPLE}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["desk"]


def test_a_dispute_walks_from_appointment_to_a_late_follow_up_reminded_and_evaluated(
    stack, desk
):
    """A dispute (reported whatever the day, a Monday's is due by Friday's session): its
    appointment at the desk's next session, a session held, no outcome before it, an
    agreement whose follow-up visit, due 20 s on in this stack, reminds whoever has the
    case (or the staff) once; the late visit then counts as late in the evaluation."""
    desk = {**desk, "metrics": stack.url("metrics")}
    before = desk_quarter(desk)
    case = report_dispute(stack, desk)
    starts = next_session_opening(datetime.now(UTC))
    assert appoint(stack, case["id"], desk["staff"], starts).status_code == 200
    for name in ("王小红", "李建国"):
        party = {"name": name, "role": "applicant", "consent": True}
        assert desk_post(stack, case["id"], "parties", party, desk["staff"]).status_code == 200
    agreement = {"result": "agreement", "agreement": "赔偿修理费800元", "signed_by": ["王小红"]}
    early = desk_post(stack, case["id"], "outcome", agreement, desk["staff"])
    assert early.status_code == 409, "no outcome before a session was held"
    assert hold_session(stack, case["id"], desk["mediator"], ["P1"]).status_code == 403
    unknown = hold_session(stack, case["id"], desk["staff"], ["P1", "P7"])
    assert unknown.status_code == 400 and list(unknown.json()["error"]["fields"]) == ["parties"]
    held = hold_session(stack, case["id"], desk["staff"], ["P1", "P2"])
    assert held.status_code == 200, held.text
    (session,) = held.json()["sessions"]
    assert session["parties"] == ["P1", "P2"] and session["mediators"] == ["p-mediator-1"]
    settled = desk_post(stack, case["id"], "outcome", agreement, desk["staff"])
    assert settled.status_code == 200, settled.text
    due = datetime.fromisoformat(settled.json()["mediation"]["follow_up_due"])
    assert timedelta(seconds=10) < due - datetime.now(UTC) < timedelta(seconds=21)

    def reminded():
        shown = get_case(stack, case["id"])
        return shown["mediation"].get("reminded_at") and shown

    shown = wait_until("the follow-up visit's reminder", reminded, timeout=60)
    assert datetime.fromisoformat(shown["mediation"]["reminded_at"]) >= due
    assert [s["action"] for s in shown["timeline"]].count("follow_up_due") == 1

    def told():
        answer = desk["reader"].get(
            f"{stack.url('notify')}/v1/deliveries", params={"case_id": case["id"]}, timeout=5
        )
        found = answer.json()["deliveries"] if answer.status_code == 200 else []
        return [d for d in found if d["kind"] == "case.overdue"]

    (reminder,) = wait_until("notify to remind of the visit", told)
    assert reminder["recipient"]["kind"] in ("person", "group")
    late = desk_post(stack, case["id"], "outcome/follow-up", {"note": "已回访"}, desk["staff"])
    assert late.status_code == 200, late.text

    def counted():
        now = desk_quarter(desk)
        grown = {name: now[name] - before[name] for name in now}
        wanted = ("disputes_settled", "mediation_sessions", "follow_ups_overdue")
        done = all(grown[name] >= 1 for name in (*wanted, "follow_ups_done", "follow_ups_late"))
        return done and grown

    grown = wait_until("the evaluation to count the desk's quarter", counted)
    assert grown["follow_ups_on_time"] == 0, "the one visit of this test was late"
