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


# Reading without a key (the public view), masking, control characters, XML safety

PHONE = "138-1234-5678"
PRIVATE = ("dispute.neighbour", "care.elderly_alone")


@pytest.fixture(scope="module")
def town(stack, keys) -> People:
    """A community of its own, so what the public lists in it is what these tests made."""
    team = People(stack, keys, community("pub"))
    ensure_community(stack, team.place)
    return team


def report_311(stack, team: People, service_code: str, **extra) -> dict:
    data = {
        "api_key": team.hotline_key,
        "jurisdiction_id": team.place,
        "service_code": service_code,
        "address_id": "jx-e1-b5-u1",
        "description": f"楼道灯坏了，请打{PHONE}",
        "first_name": "明",
        "last_name": "李",
        "phone": "13974120001",
        "email": "li.ming@example.cn",
        "media_url": "https://img.example.cn/private.jpg",
        **extra,
    }
    created = requests.post(url(stack, "requests.json"), data=data, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()[0]


@pytest.fixture(scope="module")
def published(stack, town) -> dict[str, dict]:
    """One case of a public category and one of each private kind, in `town`."""
    return {code: report_311(stack, town, code) for code in ("environment.litter", *PRIVATE)}


def test_requests_are_listed_without_a_key_masked_and_without_private_categories(
    stack, town, published
):
    answer = requests.get(url(stack, "requests.json"), params={"jurisdiction_id": town.place})
    assert answer.status_code == 200, answer.text
    listed = {request["service_request_id"]: request for request in answer.json()}
    public = published["environment.litter"]["service_request_id"]
    assert public in listed
    assert not {published[code]["service_request_id"] for code in PRIVATE} & set(listed)
    assert {request["service_code"] for request in listed.values()}.isdisjoint(PRIVATE)
    assert listed[public]["description"] == "楼道灯坏了，请打138-****-5678"
    assert all("token" not in request for request in listed.values())
    for personal in ("13974120001", "li.ming", PHONE, published["environment.litter"]["token"]):
        assert personal not in answer.text
    xml = requests.get(url(stack, "requests.xml"), params={"jurisdiction_id": town.place})
    requests_in_xml = ElementTree.fromstring(xml.content).findall("request")
    assert {request.findtext("service_request_id") for request in requests_in_xml} == set(listed)
    assert all(request.find("token") is None for request in requests_in_xml)


def test_a_public_request_is_read_by_id_without_a_key_and_a_private_one_is_not_found(
    stack, town, published
):
    public = published["environment.litter"]["service_request_id"]
    for fmt in ("json", "xml"):
        answer = requests.get(url(stack, f"requests/{public}.{fmt}"), timeout=5)
        assert answer.status_code == 200 and PHONE not in answer.text
    for code in PRIVATE:
        number, token = published[code]["service_request_id"], published[code]["token"]
        for reference in (number, token):
            hidden = requests.get(url(stack, f"requests/{reference}.json"), timeout=5)
            assert hidden.status_code == 404 and hidden.json()[0]["code"] == 404
        listed = requests.get(url(stack, "requests.json"), params={"service_request_id": number})
        assert listed.status_code == 200 and listed.json() == []
    elsewhere = requests.get(
        url(stack, f"requests/{public}.json"), params={"jurisdiction_id": "o311-elsewhere"}
    )
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
        ({"api_key": "lx_bad_key"}, 403),
    ],
    ids=["no-jurisdiction", "over-90-days", "bad-key"],
)
def test_a_public_listing_is_bounded_and_a_bad_key_is_not_the_public(stack, town, params, status):
    if params and "api_key" not in params:
        params = {**params, "jurisdiction_id": town.place}
    answer = requests.get(url(stack, "requests.json"), params=params, timeout=10)
    assert answer.status_code == status and answer.json()[0]["code"] == status


def test_the_document_says_which_reads_are_public(stack):
    paths = requests.get(f"{stack.url('cases')}/v1/openapi.json", timeout=5).json()["paths"]
    for path in ("/open311/v2/requests.{fmt}", "/open311/v2/requests/{request_id}.{fmt}"):
        assert "Without one: the public view" in paths[path]["get"]["description"]
    token = paths["/open311/v2/tokens/{token}.{fmt}"]["get"]["description"]
    assert token == "Needs an api_key with the `read` scope."


def test_a_key_reads_its_communitys_private_requests_masked_and_an_admin_unmasked(
    stack, town, published, admin_key
):
    number = published["dispute.neighbour"]["service_request_id"]
    (keyed,) = requests.get(
        url(stack, f"requests/{number}.json"), params={"api_key": town.hotline_key}, timeout=5
    ).json()
    assert keyed["token"] == published["dispute.neighbour"]["token"]
    assert keyed["description"] == "楼道灯坏了，请打138-****-5678"
    (admin,) = requests.get(
        url(stack, f"requests/{number}.json"), params={"api_key": admin_key}, timeout=5
    ).json()
    assert admin["description"] == f"楼道灯坏了，请打{PHONE}"


def test_every_open311_text_is_masked_for_a_key_that_is_not_an_admin(stack, town, admin_key):
    created = report_311(  # located by a point: its address is the place shown
        stack,
        town,
        "facility.lighting",
        address_id="",
        lat="28.1360",
        long="113.0140",
        address_string=f"路灯下 电话{PHONE}",
    )
    returned = town.post(
        created["token"], "reject", town.staff, {"reason": f"不属于本社区，请致电{PHONE}"}
    )
    assert returned.status_code == 200, returned.text
    number = created["service_request_id"]
    for params in ({"api_key": town.hotline_key}, {}):
        (shown,) = requests.get(url(stack, f"requests/{number}.json"), params=params).json()
        assert shown["status_notes"] == "已退回：不属于本社区，请致电138-****-5678"
        assert shown["address"] == "路灯下 电话138-****-5678"
        assert PHONE not in str(shown)
    (admin,) = requests.get(
        url(stack, f"requests/{number}.json"), params={"api_key": admin_key}
    ).json()
    assert PHONE in admin["status_notes"] and PHONE in admin["address"]


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_an_open311_form_is_refused_naming_the_field(stack, town, db, char):
    before = db("cases")["cases"].count_documents({"community_id": town.place})
    answer = requests.post(
        url(stack, "requests.xml"),
        data={
            "api_key": town.hotline_key,
            "service_code": "facility.lighting",
            "address_id": "jx-e1-b5-u1",
            "description": f"楼道{char}灯坏了",
        },
        timeout=10,
    )
    assert answer.status_code == 400
    description = ElementTree.fromstring(answer.content).findtext("error/description")
    assert description.startswith("description: No control characters")
    assert db("cases")["cases"].count_documents({"community_id": town.place}) == before
    query = requests.get(url(stack, "requests.json"), params={"jurisdiction_id": f"x{char}"})
    assert query.status_code == 400 and query.json()[0]["description"].startswith(
        "jurisdiction_id: No control characters"
    )


def test_tab_and_newlines_are_taken_in_an_open311_description(stack, town):
    created = report_311(stack, town, "facility.lighting", description="第一行\r\n第二行\t完")
    case = get_case(stack, created["token"])
    assert case["description"] == "第一行\r\n第二行\t完"


def test_the_xml_listing_stays_parseable_with_text_stored_before_intake_refused_it(stack, town, db):
    created = report_311(stack, town, "environment.litter")
    db("cases")["cases"].update_one(
        {"_id": created["token"]}, {"$set": {"description": "旧数据\x00\x1b<b>&"}}
    )
    for params in ({"jurisdiction_id": town.place}, {"api_key": town.hotline_key}):
        listed = requests.get(url(stack, "requests.xml"), params=params, timeout=10)
        assert listed.status_code == 200
        descriptions = [
            request.findtext("description")
            for request in ElementTree.fromstring(listed.content).findall("request")
        ]
        assert "旧数据\ufffd\ufffd<b>&" in descriptions


def test_open311_answers_tell_browsers_not_to_guess_their_type(stack, town):
    for fmt in ("json", "xml"):
        answer = requests.get(url(stack, f"requests.{fmt}"), params={"jurisdiction_id": town.place})
        assert answer.status_code == 200
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Content-Type"] in ("application/json", "text/xml; charset=utf-8")


def test_a_deeply_nested_json_body_to_open311_is_refused_as_not_a_form(stack, town):
    answer = requests.post(
        url(stack, "requests.json"),
        data="[" * 20_000 + "]" * 20_000,
        headers={"Content-Type": "application/json", "X-Api-Key": town.hotline_key},
        timeout=10,
    )
    assert answer.status_code == 415 and answer.json()[0]["code"] == 415
