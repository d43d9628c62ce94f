"""The 12345 hotline's work-order API on the running services: a resend finds the same
case, the community returns an order or asks for more time, and whatever the hotline
must hear back goes out as `hotline.reply` for notify to deliver."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.cases_support import People, Probe
from tests.e2e.conftest import community, ensure_community, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crew(stack, keys) -> People:
    return People(stack, keys, community("hl"))


@pytest.fixture(scope="module")
def replies(stack):
    """What the hotline would be called back with."""
    watching = Probe(stack.amqp_uri, "hotline.reply")
    yield watching
    watching.delete()


def order(crew: People, **overrides) -> dict:
    return {
        "hotline_id": "changsha-12345",
        "order_no": f"GD{uuid.uuid4().hex[:12].upper()}",
        "community_id": crew.place,
        "description": "市民来电：5栋2单元楼道堆满纸箱和旧家具，堵住楼梯",
        "category_text": "城市管理-楼道堆物",
        "caller": {"name": "陈女士", "phone": "13974120000", "consent": True},
        "location": {"area_code": "jx-e1-b5-u2"},
        "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        **overrides,
    }


def send(stack, crew: People, body: dict) -> requests.Response:
    ensure_community(stack, crew.place)
    return requests.post(
        f"{stack.url('cases')}/v1/hotline/orders", json=body, headers=crew.hotline, timeout=30
    )


def test_a_work_order_opens_a_case_and_every_resend_finds_it(stack, crew):
    body = order(crew)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: send(stack, crew, body), range(6)))
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201]
    case = answers[0].json()
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert case["channel"] == "hotline" and case["category"] == "environment.stairwell_clutter"
    assert case["hotline"]["order_no"] == body["order_no"]
    assert (
        case["resolve_by"] == case["hotline"]["deadline"] or case["resolve_by"] < body["deadline"]
    )
    assert case["reporter"]["phone"] == "139****0000"
    resent = send(stack, crew, {**body, "description": "重复来电"})
    assert resent.status_code == 200 and resent.json()["id"] == case["id"]
    found = requests.get(
        f"{stack.url('cases')}/v1/hotline/orders/changsha-12345/{body['order_no']}",
        headers=crew.hotline,
        timeout=5,
    )
    assert found.json()["id"] == case["id"]


def test_the_same_order_number_of_another_hotline_is_another_case(stack, crew, keys):
    body = order(crew)
    first = send(stack, crew, body).json()
    zhuzhou = keys.issue(["report"], [crew.place], name="zhuzhou", hotline_id="zhuzhou-12345")
    other = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders",
        json={**body, "hotline_id": "zhuzhou-12345"},
        headers={"X-Api-Key": zhuzhou},
        timeout=30,
    ).json()
    assert first["id"] != other["id"]


# Who may file a hotline's orders: only a key bound to that hotline


def order_case(stack, crew: People, hotline_id: str, order_no: str) -> requests.Response:
    return requests.get(
        f"{stack.url('cases')}/v1/hotline/orders/{hotline_id}/{order_no}",
        headers=crew.hotline,
        timeout=5,
    )


def test_an_app_key_cannot_file_or_squat_a_work_order(stack, crew, keys):
    """A resident app's report key once filed `POST /v1/hotline/orders` (201), taking the
    case id of a future 12345 order number: the real order then met the squatter's case."""
    app = keys.issue(["report", "read"], [crew.place], name="resident-app")
    body = order(crew)
    ensure_community(stack, crew.place)
    squat = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders",
        json=body,
        headers={"X-Api-Key": app},
        timeout=10,
    )
    assert squat.status_code == 403 and "hotline_id" in squat.json()["error"]["fields"]
    assert order_case(stack, crew, "changsha-12345", body["order_no"]).status_code == 404
    real = send(stack, crew, body)
    assert real.status_code == 201 and real.json()["description"] == body["description"]


def test_a_key_bound_to_one_hotline_files_only_that_hotlines_orders(stack, crew, keys):
    zhuzhou = keys.issue(["report"], [crew.place], name="zhuzhou-2", hotline_id="zhuzhou-12345")
    body = order(crew)
    ensure_community(stack, crew.place)
    posing = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders",
        json=body,  # says changsha-12345
        headers={"X-Api-Key": zhuzhou},
        timeout=10,
    )
    assert posing.status_code == 403
    assert order_case(stack, crew, "changsha-12345", body["order_no"]).status_code == 404
    unnamed = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders",
        json={key: value for key, value in body.items() if key != "hotline_id"},
        headers={"X-Api-Key": zhuzhou},
        timeout=10,
    )
    assert unnamed.status_code == 201 and unnamed.json()["hotline"]["hotline_id"] == "zhuzhou-12345"
    assert order_case(stack, crew, "changsha-12345", body["order_no"]).status_code == 404


def test_returning_an_order_tells_the_hotline_why(stack, crew, replies):
    case = send(stack, crew, order(crew, location={"area_code": "jx-e2-b18-u1"})).json()
    path = f"/v1/hotline/orders/{case['hotline']['hotline_id']}/{case['hotline']['order_no']}"
    not_staff = requests.post(
        f"{stack.url('cases')}{path}/return",
        json={"reason": "x"},
        headers=crew.volunteer("p-repair-1"),
        timeout=10,
    )
    assert not_staff.status_code == 403
    returned = requests.post(
        f"{stack.url('cases')}{path}/return",
        json={"reason": "属于区住建局职责，非社区事权"},
        headers=crew.staff,
        timeout=10,
    )
    assert returned.status_code == 200 and returned.json()["state"] == "rejected"
    reply = wait_until("the reply", lambda: replies.events(case["id"], "hotline.reply"))[0][
        "payload"
    ]
    assert (reply["kind"], reply["order_no"], reply["reason"]) == (
        "returned",
        case["hotline"]["order_no"],
        "属于区住建局职责，非社区事权",
    )
    again = requests.post(
        f"{stack.url('cases')}{path}/return", json={"reason": "x"}, headers=crew.staff, timeout=10
    )
    assert again.status_code == 409 and again.json()["error"]["state"] == "rejected"


def test_an_extension_request_goes_to_the_hotline_and_staff_decide_it(stack, crew, replies):
    case = send(stack, crew, order(crew, location={"area_code": "jx-e3-b40-u1"})).json()
    path = f"/v1/hotline/orders/{case['hotline']['hotline_id']}/{case['hotline']['order_no']}"
    until = (datetime.fromisoformat(case["resolve_by"]) + timedelta(days=3)).isoformat()
    asked = requests.post(
        f"{stack.url('cases')}{path}/extension",
        json={"until": until, "reason": "需协调产权单位"},
        headers=crew.staff,
        timeout=10,
    )
    assert asked.status_code == 200 and asked.json()["extension"]["state"] == "pending"
    reply = wait_until("the reply", lambda: replies.events(case["id"], "hotline.reply"))[0][
        "payload"
    ]
    assert (
        reply["kind"] == "extension_requested"
        and reply["until"] == asked.json()["extension"]["until"]
    )
    decided = crew.post(case["id"], "extension/decision", crew.staff, {"approved": True})
    assert decided.json()["resolve_by"] == asked.json()["extension"]["until"]


def test_closing_a_hotline_case_sends_the_result_back_and_the_rating_after_it(stack, crew, replies):
    case, volunteer = crew.taken(
        send(stack, crew, order(crew, location={"area_code": "jx-e1-b3-u2"})).json()["id"]
    )
    assert crew.post(case["id"], "accept", volunteer).status_code == 200
    crew.post(
        case["id"],
        "resolve",
        volunteer,
        {"resolution": "已清理楼道杂物，住户电话13974120000已回访"},
    )
    closed = crew.post(case["id"], "verify", crew.staff, {"note": "现场查看已清理"})
    assert closed.json()["state"] == "closed"
    rated = crew.post(case["id"], "rate", crew.hotline, {"rating": 4, "comment": "满意"})
    assert rated.status_code == 200
    sent = wait_until(
        "both replies",
        lambda: (
            len(replies.events(case["id"], "hotline.reply")) >= 2
            and replies.events(case["id"], "hotline.reply")
        ),
    )
    kinds = [(event["payload"]["kind"], event["payload"]["rating"]) for event in sent]
    assert kinds == [("closed", None), ("closed", 4)]
    assert sent[0]["payload"]["result"] == "已清理楼道杂物，住户电话139****0000已回访"


def test_bad_work_orders_are_refused_on_their_field(stack, crew):
    for body, field in (
        ({**order(crew), "order_no": "GD 1"}, "order_no"),
        ({**order(crew), "deadline": "2020-01-01T00:00:00+08:00"}, "deadline"),
        ({**order(crew), "community_id": "nowhere"}, "community_id"),
        ({**order(crew), "hotline_id": "Not A Slug"}, "hotline_id"),
    ):
        answer = send(stack, crew, body)
        assert answer.status_code == 400 and field in answer.json()["error"]["fields"], answer.text
