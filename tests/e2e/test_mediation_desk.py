"""The mediation desk (矛盾调处) on the running services: a dispute in the sample community
runs on the desk's calendar, its appointment is set inside a session by staff only, and
metrics counts it. The sample community's desk (Red Sail station, Fridays 09:00–12:00 and
14:00–17:00) comes from lianxin/contracts/calendars.yaml."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from services.cases.compose import load_taxonomy
from tests.e2e.cases_support import HOTLINE, People
from tests.e2e.conftest import client, community, get_case, report_body, wait_until

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
    if session.opens > reported:  # outside the desk's hours: it waits for the session
        assert datetime.fromisoformat(found["awaits_shift"]) == session.opens
        assert found["offer"] is None and get_case(stack, case["id"])["state"] == "triaged"
    else:  # inside them: a mediator on duty is offered it
        assert found["offer"]["person_id"].startswith("p-mediator-")


def test_staff_set_the_appointment_and_the_outcome_once_and_metrics_counts_them(stack, desk):
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

    day = datetime.now(DESK.zone).date().isoformat()

    def counted():
        answer = desk["reader"].get(
            f"{stack.url('metrics')}/v1/stats/summary",
            params={"community_id": SAMPLE, "from": day, "to": day},
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
