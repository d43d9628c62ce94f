"""What every service takes in and gives out, on the running services: a body nested too
deep is a field error on every JSON route (never a 500, never an ERROR in the log), text
with control characters is refused at every intake naming the field, and phone numbers
however written are masked for a key that is not an admin's."""

from __future__ import annotations

import re

import pytest
import requests

from lianxin.http.reading import MAX_DEPTH
from scripts.stack import SERVICES
from tests.e2e.conftest import community, ensure_community, helper_headers, report_body

pytestmark = pytest.mark.e2e

DEEP = "[" * 20_000 + "]" * 20_000
TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels."
REFUSED = "No control characters: only tab, line feed and carriage return."


def json_routes(stack, service: str) -> list[tuple[str, str]]:
    """Every documented operation of the service that reads a JSON body."""
    paths = requests.get(f"{stack.url(service)}/v1/openapi.json", timeout=5).json()["paths"]
    return [
        (method.upper(), re.sub(r"{[a-z_]+}", "x", path))
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "application/json" in (operation.get("requestBody") or {}).get("content", {})
    ]


def log_sizes(stack) -> dict:
    return {path: path.stat().st_size for path in _logs(stack)}


def _logs(stack) -> list:
    return [
        stack.log_file(service, replica)
        for service in SERVICES
        for replica in stack.replica_ids(service)
    ]


def logged_since(sizes: dict) -> str:
    text = ""
    for path, size in sizes.items():
        with path.open("rb") as log:
            log.seek(size)
            text += log.read().decode("utf-8", "replace")
    return text


def test_a_body_nested_too_deep_is_a_400_on_every_json_route_of_every_service(stack, admin_key):
    routes = {service: json_routes(stack, service) for service in SERVICES}
    assert all(routes[service] for service in ("cases", "roster", "notify"))  # metrics: none
    before = log_sizes(stack)
    for service, documented in routes.items():
        for method, path in documented:
            answer = requests.request(
                method,
                f"{stack.url(service)}{path}",
                data=DEEP,
                headers={"Content-Type": "application/json", "X-Api-Key": admin_key},
                timeout=10,
            )
            where = f"{service} {method} {path}"
            assert answer.status_code == 400, f"{where}: {answer.status_code} {answer.text}"
            assert answer.json()["error"]["fields"] == {"_body": [TOO_DEEP]}, where
    logged = logged_since(before)
    assert "RecursionError" not in logged and "unhandled error" not in logged


@pytest.mark.parametrize(
    ("service", "path", "parameter"),
    [
        ("cases", "/v1/cases", "grid_id"),
        ("metrics", "/v1/stats/summary", "community_id"),
        ("notify", "/v1/deliveries", "case_id"),
    ],
)
def test_a_control_character_in_a_query_parameter_is_a_400_naming_it(
    stack, admin_key, service, path, parameter
):
    answer = requests.get(
        f"{stack.url(service)}{path}",
        params={parameter: "x\x00y"},
        headers={"X-Api-Key": admin_key},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["fields"] == {parameter: [REFUSED]}


@pytest.fixture(scope="module")
def place(stack) -> str:
    name = community("hyg")
    ensure_community(stack, name)
    return name


def count(db, place: str) -> int:
    return db("cases")["cases"].count_documents({"community_id": place})


@pytest.mark.parametrize("char", ["\\u0000", "\\u001b", "\\u007f", "\\u0085", "\\ud800"])
def test_a_control_character_in_a_report_is_refused_naming_the_field(stack, db, place, char):
    body = (
        f'{{"description": "楼道灯坏了{char}", "community_id": "{place}", '
        f'"location": {{"grid_id": "jingxiang-g1", "address": "5栋{char}"}}}}'
    )
    answer = requests.post(
        f"{stack.url('cases')}/v1/cases",
        data=body.encode(),
        headers={**helper_headers(stack), "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["fields"] == {
        "description": [REFUSED],
        "location": {"address": [REFUSED]},
    }
    assert count(db, place) == 0


def test_a_control_character_in_a_hotline_order_is_refused_naming_the_field(
    stack, db, place, admin_key
):
    order = {
        "hotline_id": "12345-hyg",
        "order_no": "GD-HYG-0001",
        "community_id": place,
        "description": "楼道堆放杂物\x00",
        "location": {"grid_id": "jingxiang-g1"},
        "caller": {"name": "王\x1b", "phone": "13900000000"},
    }
    answer = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders",
        json=order,
        headers={"X-Api-Key": admin_key},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["fields"] == {
        "description": [REFUSED],
        "caller": {"name": [REFUSED]},
    }
    assert count(db, place) == 0


def test_a_phone_number_however_written_is_masked_for_a_report_key(stack, keys, place):
    key = keys.issue(["report", "read"], [place], name="resident-app")
    written = ["138-1234-5678", "138 1234 5678", "138.1234.5678", "１３８１２３４５６７８"]
    body = report_body(
        place,
        channel="app",
        description="楼道灯坏了，电话 " + "、".join(written) + "，或 +86 139 8765 4321",
        location={"lat": 28.136, "lon": 113.014, "address": "路灯下 座机0731-8888 6666"},
    )
    created = requests.post(
        f"{stack.url('cases')}/v1/cases", json=body, headers={"X-Api-Key": key}, timeout=10
    )
    assert created.status_code == 201, created.text
    shown = requests.get(
        f"{stack.url('cases')}/v1/cases/{created.json()['id']}",
        headers={"X-Api-Key": key},
        timeout=5,
    ).json()
    assert shown["description"] == (
        "楼道灯坏了，电话 138-****-5678、138 **** 5678、138.****.5678、１３８****５６７８，"
        "或 +86 139 **** 4321"
    )
    assert shown["location"]["address"] == "路灯下 座机0731-**** **66"
    assert shown["place"] == "路灯下 座机0731-**** **66"
    assert shown["reporter"]["phone"] == "138****5678"
