"""The residents' pact (居民公约红黑榜) on the real stack, through estate's HTTP API: a unit
leader records a breach with a photo for a household of their unit (the register and
roster's areas, as `area.changed` told estate), the household answers through the
residents' key for its proven number, staff uphold it once the window has closed (the
e2e pact file makes it seconds long), a second breach stands unanswered, and the quarter's
list published once shows the household masked; metrics counts it all.

Attacks: another community's staff (404), a unit leader recording outside their units
(404), a volunteer's token (403), another household answering (404), an answer after the
window (409), deciding inside the window (409), publishing twice (409), a published
quarter taking another observation (409), a photo read by someone else (404), bad input
(400, nothing stored)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from lianxin.quarters import Quarter
from tests.cases.app.test_photos import GPS_IFD, jpeg_with_gps
from tests.e2e.cases_support import People
from tests.e2e.conftest import client, community, community_today, days_since
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
ZONE = ZoneInfo("Asia/Shanghai")
NEIGHBOUR = ("jingxiang-b01-u1-101", "13907311001")  # a household of p-ul-001's unit
OTHER = ("jingxiang-b01-u1-501", "13907311002")  # another household of the same unit
FAR = "jingxiang-b02-u1-301"  # p-ul-002's unit


@pytest.fixture(scope="module")
def estate(stack) -> str:
    return stack.url("estate")


@pytest.fixture(scope="module")
def people(keys):
    """The console's two keys, as the e2e keys hold them, and the people acting."""
    console_key = keys.issue(["read", "act"], ["jingxiang"], name="console-e2e")
    residents_key = keys.issue(["report", "verify"], ["*"], name="residents-e2e",
                               channels=["scan"])  # fmt: skip

    def person(person_id: str, role: str) -> requests.Session:
        return client(console_key, keys.person_token(person_id, role, ["jingxiang"]))

    return {
        "leader": person("p-ul-001", "unit_leader"),
        "other_leader": person("p-ul-002", "unit_leader"),
        "staff": person("p-staff-1", "staff"),
        "volunteer": person("p-g1-red-1", "volunteer"),
        "residents": client(residents_key),
    }


@pytest.fixture(scope="module")
def known(estate, people) -> None:
    """Estate knows Jingxiang's estates once roster's areas reached it."""

    def estates():
        found = people["staff"].get(f"{estate}/v1/pacts", params={"community_id": "jingxiang"},
                                    timeout=10)  # fmt: skip
        return found.status_code == 200 and len(found.json()["estates"]) >= 3

    wait_until("estate to know Jingxiang's areas", estates, timeout=60)


def record(estate, who, household, kind="breach", photos=(), key=None, seen_at=None):
    body = {
        "community_id": "jingxiang", "household_id": household, "article_number": 1,
        "kind": kind, "seen": "楼道堆放纸箱和旧家具", "photos": list(photos),
        "seen_at": (seen_at or datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }  # fmt: skip
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return who.post(f"{estate}/v1/pact/observations", json=body, headers=headers, timeout=10)


def mine(estate, people, phone):
    body = {"community_id": "jingxiang", "phone": phone}
    return people["residents"].post(f"{estate}/v1/pact/resident/observations", json=body,
                                    timeout=10)  # fmt: skip


def answer(estate, people, observation_id, phone, text="纸箱当天已搬走", surname=""):
    body = {"community_id": "jingxiang", "phone": phone, "text": text, "surname": surname}
    path = f"{estate}/v1/pact/resident/observations/{observation_id}/answer"
    return people["residents"].post(path, json=body, timeout=10)


def state(estate, people, observation_id) -> str:
    found = people["staff"].get(f"{estate}/v1/pact/observations/{observation_id}", timeout=10)
    return found.json()["state"]


def test_the_pact_from_a_breach_to_the_published_list(stack, estate, people, known):
    began = community_today()
    leader, staff = people["leader"], people["staff"]
    # the unit leader's evidence photo: kept without its GPS, theirs alone while loose
    sent = jpeg_with_gps(800, 600)
    assert GPS_IFD  # the photo sent carries a position
    uploaded = leader.post(f"{estate}/v1/pact/photos", data={"community_id": "jingxiang"},
                           files=[("photo", ("p.jpg", sent))], timeout=30)  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["photos"][0]["id"]
    assert people["other_leader"].get(f"{estate}/v1/pact/photos/{photo_id}/thumb",
                                      timeout=10).status_code == 404  # fmt: skip

    # every observation seen at one instant: its quarter is the list's, even when a quarter
    # begins (16:00 UTC on its eve) while the test runs
    key, at = uuid.uuid4().hex, datetime.now(UTC) - timedelta(minutes=5)
    quarter = str(Quarter.of(at, ZONE))
    made = record(estate, leader, NEIGHBOUR[0], photos=[photo_id], key=key, seen_at=at)
    assert made.status_code == 201, made.text
    seen = made.json()
    assert (seen["state"], seen["article_version"], seen["place"]["room"]) == ("open", 1, "101")
    retried = record(estate, leader, NEIGHBOUR[0], photos=[photo_id], key=key, seen_at=at)
    assert retried.status_code == 200 and retried.json()["id"] == seen["id"]
    stands = record(estate, leader, NEIGHBOUR[0], seen_at=at).json()  # never answered

    # the household sees both and answers the first within the window; nobody else can
    listed = mine(estate, people, NEIGHBOUR[1]).json()
    assert listed["households"] == [NEIGHBOUR[0]]
    assert {s["id"] for s in listed["observations"]} == {seen["id"], stands["id"]}
    assert mine(estate, people, OTHER[1]).json()["observations"] == []
    assert answer(estate, people, seen["id"], OTHER[1]).status_code == 404
    photo_body = {"community_id": "jingxiang", "phone": NEIGHBOUR[1], "variant": "thumb"}
    shown = people["residents"].post(f"{estate}/v1/pact/resident/photos/{photo_id}",
                                     json=photo_body, timeout=10)  # fmt: skip
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
    photo_body["phone"] = OTHER[1]
    assert people["residents"].post(f"{estate}/v1/pact/resident/photos/{photo_id}",
                                    json=photo_body, timeout=10).status_code == 404  # fmt: skip
    answered = answer(estate, people, seen["id"], NEIGHBOUR[1])
    assert answered.status_code == 200, answered.text
    assert answer(estate, people, seen["id"], NEIGHBOUR[1], text="改口").status_code == 409

    # staff decide only once the window has closed; the unanswered one then stands
    decision = {"outcome": "upheld", "note": "现场照片属实"}
    early = staff.post(f"{estate}/v1/pact/observations/{seen['id']}/decision", json=decision,
                       timeout=10)  # fmt: skip
    assert early.status_code == 409 and early.json()["error"]["code"] == "window_open"
    wait_until("the window to close", lambda: state(estate, people, seen["id"]) == "to_decide",
               timeout=90)  # fmt: skip
    wait_until("the second one's window to close",
               lambda: state(estate, people, stands["id"]) == "stood", timeout=30)  # fmt: skip
    late = answer(estate, people, stands["id"], NEIGHBOUR[1], text="晚了")
    assert late.status_code == 409 and late.json()["error"]["code"] == "window_closed"
    upheld = staff.post(f"{estate}/v1/pact/observations/{seen['id']}/decision", json=decision,
                        timeout=10)  # fmt: skip
    assert upheld.status_code == 200 and upheld.json()["state"] == "upheld"

    # the quarter's list: published once, masked, and the quarter frozen
    publish = {"community_id": "jingxiang", "quarter": quarter, "confirm": True}
    first = staff.post(f"{estate}/v1/pact/lists", json=publish, timeout=10)
    assert first.status_code == 201, first.text
    assert staff.post(f"{estate}/v1/pact/lists", json=publish, timeout=10).status_code == 409
    shown = people["residents"].get(f"{estate}/v1/pact/lists/jingxiang/{quarter}", timeout=10)
    lines = shown.json()["black"]
    assert [(x["building"], x["unit"], x["room"], x["count"]) for x in lines] == [
        ("1栋", "1栋1单元", "1**", 2)
    ]
    for hidden in ("101", NEIGHBOUR[1], "楼道堆放纸箱", "p-ul-001", photo_id, "纸箱当天已搬走"):
        assert hidden not in shown.text
    frozen = record(estate, staff, OTHER[0], seen_at=at)
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "quarter_published"

    # metrics counts the pact by community, never who
    def counted() -> dict:
        found = staff.get(f"{stack.url('metrics')}/v1/stats/summary",
                           params={"community_id": "jingxiang", **days_since(began)},
                           timeout=10)  # fmt: skip
        return found.json().get("pact", {})

    wait_until("metrics to count the pact", lambda: counted().get("lists") == 1)
    assert counted()["black_households"] == 1 and counted()["upheld"] == 1


def quarter_now() -> str:
    """This quarter in the test communities' zone, named as every service names it."""
    return str(Quarter.of(datetime.now(UTC), ZONE))


@pytest.mark.parametrize("quarter", ["2026Q4", "0000-Q1", "2026-Q4\n", "2026-Q5"])
def test_a_quarter_named_otherwise_than_2026_q4_is_a_400_never_a_500(estate, people, quarter):
    staff = people["staff"]
    asked = {"community_id": "jingxiang", "quarter": quarter}
    listed = staff.get(f"{estate}/v1/pact/observations", params=asked, timeout=10)
    assert listed.status_code == 400 and "quarter" in listed.json()["error"]["fields"], listed.text
    publish = {"community_id": "jingxiang", "quarter": quarter, "confirm": True}
    published = staff.post(f"{estate}/v1/pact/lists", json=publish, timeout=10)
    assert published.status_code == 400, published.text
    assert "quarter" in published.json()["error"]["fields"]


def test_who_may_not_record_or_decide(stack, estate, people, known, keys):
    theirs = People(stack, keys, community("pact"))
    assert record(estate, people["leader"], FAR).status_code == 404  # not their unit
    assert record(estate, people["other_leader"], NEIGHBOUR[0]).status_code == 404
    assert record(estate, people["volunteer"], NEIGHBOUR[0]).status_code == 403
    outsider = client(theirs.staff_key)
    assert record(estate, outsider, NEIGHBOUR[0]).status_code == 404
    # seen last quarter: the flow above publishes this quarter's list
    made = record(estate, people["staff"], NEIGHBOUR[0], kind="commendation",
                  seen_at=datetime.now(UTC) - timedelta(days=100))  # fmt: skip
    assert made.status_code == 201, made.text
    seen = made.json()
    path = f"{estate}/v1/pact/observations/{seen['id']}"
    assert outsider.get(path, timeout=10).status_code == 404
    assert people["other_leader"].get(path, timeout=10).status_code == 404
    assert people["leader"].post(f"{path}/decision", json={"outcome": "upheld"},
                                 timeout=10).status_code == 403  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "praise"},
        {"article_number": 0},
        {"household_id": "JX 101"},
        {"seen": ""},
        {"seen_at": "yesterday"},
        {"seen_at": "1999-12-31T12:00:00+00:00"},  # in no quarter of ours: 400, not a 500
        {"photos": ["photo:1"]},
        {"$where": "1"},
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_stored(estate, people, known, change):
    body = {
        "community_id": "jingxiang", "household_id": NEIGHBOUR[0], "article_number": 1,
        "kind": "breach", "seen": "x", "seen_at": datetime.now(UTC).isoformat(), **change,
    }  # fmt: skip
    key = uuid.uuid4().hex
    sent = people["leader"].post(f"{estate}/v1/pact/observations", json=body,
                                 headers={"Idempotency-Key": key}, timeout=10)  # fmt: skip
    assert sent.status_code == 400, sent.text
    listed = people["leader"].get(f"{estate}/v1/pact/observations",
                                  params={"community_id": "jingxiang", "quarter": quarter_now()},
                                  timeout=10).json()["observations"]  # fmt: skip
    assert all(seen["seen"] != "x" for seen in listed)
