"""Open311 GeoReport v2 on the running services: a civic app's round trip in JSON and
in XML, the spec's filters and defaults, and its error arrays."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import requests

from tests.e2e.cases_support import People
from tests.e2e.conftest import community, ensure_community, get_case

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def civic(stack, keys) -> People:
    team = People(stack, keys, community("o311"))
    ensure_community(stack, team.place)
    return team


def url(stack, path: str) -> str:
    return f"{stack.url('cases')}/open311/v2/{path}"


def test_discovery_and_services_are_open_and_speak_json_and_xml(stack):
    discovery = requests.get(url(stack, "discovery.json"), timeout=5).json()
    assert discovery["endpoints"][0]["url"].endswith("/open311/v2")
    services = requests.get(url(stack, "services.json"), timeout=5).json()
    codes = {service["service_code"] for service in services}
    assert {"facility.lighting", "civility.thrown_objects", "civility.noise"} <= codes
    xml = requests.get(url(stack, "services.xml"), timeout=5)
    assert xml.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    definition = requests.get(url(stack, "services/civility.thrown_objects.json"), timeout=5).json()
    assert [attribute["code"] for attribute in definition["attributes"]] == ["floor", "injured"]
    missing = requests.get(url(stack, "services/no.such.json"), timeout=5)
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_a_request_round_trips_in_json(stack, civic):
    created = requests.post(
        url(stack, "requests.json"),
        data={
            "api_key": civic.hotline_key,
            "jurisdiction_id": civic.place,
            "service_code": "civility.thrown_objects",
            "lat": "28.1360",
            "long": "113.0140",
            "attribute[floor]": "9",
            "attribute[injured]": "no",
            "description": "9楼往下扔花盆，差点砸到人",
            "first_name": "明",
            "last_name": "李",
            "phone": "139-7412-0001",
            "email": "li.ming@example.cn",
            "media_url": "https://img.example.cn/flowerpot.jpg",
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    (answer,) = created.json()
    assert answer["service_notice"] is None
    number, token = answer["service_request_id"], answer["token"]
    (shown,) = requests.get(
        url(stack, f"requests/{number}.json"), params={"api_key": civic.hotline_key}, timeout=5
    ).json()
    assert shown["service_code"] == "civility.thrown_objects" and shown["status"] == "open"
    assert (shown["lat"], shown["long"]) == (28.136, 113.014)
    assert shown["agency_responsible"] == "红马甲·治安巡防"
    assert shown["media_url"] == "https://img.example.cn/flowerpot.jpg"
    assert shown["expected_datetime"] is not None
    (by_token,) = requests.get(
        url(stack, f"tokens/{token}.json"), params={"api_key": civic.hotline_key}, timeout=5
    ).json()
    assert by_token == {"service_request_id": number, "token": token}
    case = get_case(stack, token)
    assert case["channel"] == "open311" and case["grid_id"] == "jingxiang-g1"
    assert case["reporter"]["name"] == "李**" and case["priority"] == "urgent"


def test_a_request_round_trips_in_xml_with_an_address_id(stack, civic):
    created = requests.post(
        url(stack, "requests.xml"),
        data={
            "api_key": civic.hotline_key,
            "service_code": "civility.noise",
            "address_id": "jx-e2-b17-u2",
            "description": "楼下广场舞音响太大",
        },
        timeout=10,
    )
    assert created.status_code == 201 and created.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(created.content)
    number = root.find("request/service_request_id").text
    listed = requests.get(
        url(stack, "requests.xml"),
        params={"api_key": civic.hotline_key, "service_request_id": number},
        timeout=5,
    )
    (request,) = ElementTree.fromstring(listed.content).findall("request")
    assert request.findtext("service_request_id") == number
    assert (
        request.findtext("address") == "井湘北苑17栋2单元" and request.findtext("status") == "open"
    )


def test_an_injury_is_an_emergency_with_the_number_to_call(stack, civic):
    created = requests.post(
        url(stack, "requests.json"),
        data={
            "api_key": civic.hotline_key,
            "service_code": "civility.thrown_objects",
            "address_id": "jx-e3-b40-u1",
            "attribute[injured]": "yes",
        },
        timeout=10,
    )
    assert created.status_code == 201
    assert created.json()[0]["service_notice"] == "紧急情况，请立即拨打120。"


def test_the_listing_filters_by_status_and_service_and_shows_only_the_keys_community(
    stack, keys, civic
):
    new = requests.post(
        url(stack, "requests.json"),
        data={
            "api_key": civic.hotline_key,
            "service_code": "environment.litter",
            "address_id": "jx-e1-b3-u1",
        },
        timeout=10,
    ).json()[0]["service_request_id"]
    found = requests.get(
        url(stack, "requests.json"),
        params={
            "api_key": civic.hotline_key,
            "status": "open",
            "service_code": "environment.litter,civility.pets",
        },
        timeout=10,
    ).json()
    assert new in [request["service_request_id"] for request in found]
    assert {request["service_code"] for request in found} <= {"environment.litter", "civility.pets"}
    closed_only = requests.get(
        url(stack, "requests.json"),
        params={"api_key": civic.hotline_key, "status": "closed"},
        timeout=10,
    ).json()
    assert new not in [request["service_request_id"] for request in closed_only]
    outsider = People(stack, keys, community("o311"))
    theirs = requests.get(
        url(stack, "requests.json"), params={"api_key": outsider.hotline_key}, timeout=10
    )
    assert theirs.status_code == 200 and new not in [r["service_request_id"] for r in theirs.json()]
    hidden = requests.get(
        url(stack, f"requests/{new}.json"), params={"api_key": outsider.hotline_key}, timeout=5
    )
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("fmt", "data", "status"),
    [
        ("json", {"service_code": "facility.lighting", "address_id": "jx-e1-b5-u1"}, 403),
        (
            "json",
            {
                "api_key": "lx_bad_key",
                "service_code": "facility.lighting",
                "address_id": "jx-e1-b5-u1",
            },
            403,
        ),
        ("json", {"service_code": "facility.lighting"}, 400),
        ("json", {"service_code": "no.such", "address_id": "jx-e1-b5-u1"}, 400),
        ("json", {"service_code": "civility.thrown_objects", "address_id": "jx-e1-b5-u1"}, 400),
        ("xml", {"service_code": "facility.lighting", "lat": "30.5", "long": "114.3"}, 400),
        ("xml", {"service_code": "facility.lighting", "address_id": "no-such"}, 400),
        (
            "json",
            {
                "service_code": "facility.lighting",
                "address_id": "jx-e1-b5-u1",
                "description": "x" * 4001,
            },
            400,
        ),
    ],
    ids=[
        "no-key",
        "bad-key",
        "no-location",
        "unknown-service",
        "missing-attribute",
        "outside",
        "unknown-address",
        "too-long",
    ],
)
def test_bad_requests_get_the_specs_error_arrays(stack, civic, db, fmt, data, status):
    before = db("cases")["cases"].count_documents({"community_id": civic.place})
    if status != 403 or "api_key" in data:
        data = {"api_key": data.get("api_key", civic.hotline_key), **data}
    answer = requests.post(url(stack, f"requests.{fmt}"), data=data, timeout=10)
    assert answer.status_code == status, answer.text
    if fmt == "json":
        (error,) = answer.json()
    else:
        node = ElementTree.fromstring(answer.content).find("error")
        error = {"code": int(node.findtext("code")), "description": node.findtext("description")}
    assert error["code"] == status and error["description"]
    assert db("cases")["cases"].count_documents({"community_id": civic.place}) == before


def test_a_json_body_is_not_a_form(stack, civic):
    answer = requests.post(
        url(stack, "requests.json"), json={"api_key": civic.hotline_key}, timeout=10
    )
    assert answer.status_code == 415 and answer.json()[0]["code"] == 415
