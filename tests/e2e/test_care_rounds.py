"""Care rounds (邻里守望) on the real stack: roster's register and ticks through its HTTP
API, and a missed round's escalation through the delay queues — the carer reminded, then
the grid worker told, each by their own channel (here a webhook to the sink), never a
group — counted by metrics. The community's policy makes the periods seconds long.

Attacks: a key of another community (404), a volunteer registering (403), another carer's
tick (404), staff ticking (403), bad input (400 with the field, nothing stored), a repeat
(the same plan, the same tick), a round not open (409)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import client, community_today, days_since
from tests.e2e.test_roster_dispatch import import_community, new_code, small_community
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
RESIDENT, RESIDENT_PHONE = "王秀英", "13800000001"


def care_community(code: str, sink_url: str) -> dict:
    """The small community of the dispatch tests, a care round's periods of seconds, and
    a carer and a grid worker reached by webhooks to the sink (no quiet hours)."""
    document = small_community(code, care_reminder_after="2s", care_grid_after="3s")
    hook = [{"channel": "webhook", "address": sink_url}]
    for person in document["people"]:
        if person["id"] == f"{code}-v1":
            person["contacts"] = hook
    document["people"].append(
        {
            "id": f"{code}-gw", "community": code, "name": "测试网格员", "phone": "13800000009",
            "roles": ["grid_worker"], "teams": [], "home_grids": [f"{code}-g1"],
            "contacts": hook,
        }
    )  # fmt: skip
    return document


@pytest.fixture(scope="module")
def place(stack, admin_key, sink) -> str:
    code = new_code("care")
    imported = import_community(stack, admin_key, care_community(code, sink.url))
    assert imported.status_code == 200, imported.text
    return code


def roster(stack) -> str:
    return stack.url("roster")


def as_person(keys, place: str, person: str, role: str):
    key = keys.issue(["read", "act"], [place])
    return client(key, keys.person_token(f"{place}-{person}", role, [place]))


def plan_body(place: str, starts_at: datetime, **more) -> dict:
    return {
        "name": RESIDENT, "phone": RESIDENT_PHONE, "need": "elderly_alone", "kind": "call",
        "cadence": "weekly", "area_code": f"{place}-g1", "carer_id": f"{place}-v1",
        "starts_at": starts_at.isoformat(), "consent": True, **more,
    }  # fmt: skip


def first_day(plan: dict) -> str:
    """The local day of the plan's first round (its starts_at in its zone)."""
    starts = datetime.fromisoformat(plan["starts_at"])
    return starts.astimezone(ZoneInfo(plan["timezone"])).date().isoformat()


def register(staff, stack, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return staff.post(f"{roster(stack)}/v1/care/plans", json=body, headers=headers, timeout=10)


def hooks_about(sink, kind: str, recipient: str) -> list[dict]:
    with sink.lock:
        bodies = [r["body"] for r in sink.received]
    return [
        body
        for body in bodies
        if body.get("kind") == kind and (body.get("recipient") or {}).get("id") == recipient
    ]


def test_a_missed_round_reminds_the_carer_then_tells_the_grid_worker(stack, keys, place, sink):
    began = community_today()
    staff = as_person(keys, place, "staff", "staff")
    made = register(staff, stack, plan_body(place, datetime.now(UTC) + timedelta(seconds=2)))
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["display_name"] != RESIDENT and plan["phone"] != RESIDENT_PHONE  # masked
    reminded = wait_until(
        "the carer's reminder",
        lambda: hooks_about(sink, "care.round_missed", f"{place}-v1"),
        timeout=45,
    )
    told = wait_until(
        "the grid worker told",
        lambda: hooks_about(sink, "care.round_missed_grid", f"{place}-gw"),
        timeout=45,
    )
    assert len(reminded) == 1 and len(told) == 1
    assert "邻里守望" in reminded[0]["text"] and "邻里守望" in told[0]["text"]
    for body in (*reminded, *told):
        assert RESIDENT not in str(body) and RESIDENT_PHONE not in str(body)
    # no group was told, and the next round's check is still to come
    assert not [b for b in (r["body"] for r in sink.received)
                if "care" in str(b.get("kind")) and b["recipient"]["kind"] != "person"]  # fmt: skip
    reader = client(keys.issue(["read"], [place]))

    def missed() -> int:
        answer = reader.get(
            f"{stack.url('metrics')}/v1/stats/summary",
            params={"community_id": place, **days_since(began)},
            timeout=10,
        )
        return answer.json()["care_rounds"]["missed"]

    wait_until("the missed round counted once", lambda: missed() == 1)


def test_the_carer_ticks_a_round_once_and_it_is_counted(stack, keys, place):
    began = community_today()
    staff = as_person(keys, place, "staff", "staff")
    key = uuid.uuid4().hex
    body = plan_body(place, datetime.now(UTC) + timedelta(hours=1))
    first = register(staff, stack, body, key)
    again = register(staff, stack, body, key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert register(staff, stack, {**body, "name": "张三"}, key).status_code == 422
    plan = first.json()
    day = first_day(plan)
    url = f"{roster(stack)}/v1/care/plans/{plan['id']}/rounds/{day}/tick"
    carer = as_person(keys, place, "v1", "volunteer")
    well = {"outcome": "well", "note": "电话里一切都好"}
    assert carer.post(url, json=well, timeout=10).status_code == 201
    assert carer.post(url, json=well, timeout=10).status_code == 200
    changed = carer.post(url, json={**well, "note": "改"}, timeout=10)
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "already_ticked")
    shown = carer.get(f"{roster(stack)}/v1/care/plans/{plan['id']}", timeout=10).json()
    assert [(r["day"], r["state"]) for r in shown["rounds"]] == [(day, "ticked")]
    reader = client(keys.issue(["read"], [place]))
    wait_until(
        "the round counted",
        lambda: (
            reader.get(
                f"{stack.url('metrics')}/v1/stats/summary",
                params={"community_id": place, **days_since(began)},
                timeout=10,
            ).json()["care_rounds"]["done"]
            >= 1
        ),
    )


def test_refusals(stack, keys, place):
    staff = as_person(keys, place, "staff", "staff")
    body = plan_body(place, datetime.now(UTC) + timedelta(hours=1))
    no_consent = register(staff, stack, {**body, "consent": False})
    assert no_consent.status_code == 400 and "consent" in no_consent.json()["error"]["fields"]
    no_carer = register(staff, stack, {**body, "carer_id": f"{place}-gw"})
    assert no_carer.status_code == 400 and "carer_id" in no_carer.json()["error"]["fields"]
    assert register(staff, stack, {**body, "unknown": 1}).status_code == 400
    volunteer = as_person(keys, place, "v2", "volunteer")
    assert register(volunteer, stack, body).status_code == 403
    listed = staff.get(f"{roster(stack)}/v1/care/plans", params={"community_id": place},
                       timeout=10).json()["plans"]  # fmt: skip
    before = len(listed)
    plan = register(staff, stack, body).json()
    path = f"{roster(stack)}/v1/care/plans/{plan['id']}"
    other = client(keys.issue(["read", "act"], ["jingxiang"]))
    assert other.get(path, timeout=10).status_code == 404
    assert volunteer.get(path, timeout=10).status_code == 404  # not their plan
    day = first_day(plan)
    tick = {"outcome": "well", "note": "好"}
    assert volunteer.post(f"{path}/rounds/{day}/tick", json=tick, timeout=10).status_code == 404
    assert staff.post(f"{path}/rounds/{day}/tick", json=tick, timeout=10).status_code == 403
    carer = as_person(keys, place, "v1", "volunteer")
    assert carer.post(f"{path}/rounds/2020-01-01/tick", json=tick, timeout=10).status_code == 409
    assert carer.post(f"{path}/rounds/not-a-day/tick", json=tick, timeout=10).status_code == 400
    needs_help = carer.post(f"{path}/rounds/{day}/tick", json={**tick, "outcome": "needs_help"},
                            timeout=10)  # fmt: skip
    assert needs_help.status_code == 400 and "case_id" in needs_help.json()["error"]["fields"]
    assert carer.get(path, timeout=10).json()["rounds"][0]["state"] != "ticked"
    after = staff.get(f"{roster(stack)}/v1/care/plans", params={"community_id": place},
                      timeout=10).json()["plans"]  # fmt: skip
    assert len(after) == before + 1
