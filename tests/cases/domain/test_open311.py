"""Open311 GeoReport v2 as Lianxin answers it: services, attributes, requests, XML.
Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree

import pytest

from services.cases.domain import lifecycle, open311
from services.cases.domain.open311 import Open311Error
from tests.cases.factories import REPORTER, STAFF, TAXONOMY, closed, report, triaged

THROWN = TAXONOMY.categories["civility.thrown_objects"]


def test_every_category_is_a_service_and_those_with_questions_say_so():
    services = {service["service_code"]: service for service in open311.services(TAXONOMY, "zh")}
    assert set(services) == set(TAXONOMY.categories)
    assert services["civility.thrown_objects"]["metadata"] is True
    assert services["facility.lighting"]["metadata"] is False
    assert services["facility.lighting"]["service_name"] == "楼道灯、路灯损坏"
    english = open311.services(TAXONOMY, open311.language("en-GB,en;q=0.9"))
    assert english[0]["service_name"] == TAXONOMY.categories[english[0]["service_code"]].name_en


def test_a_definition_lists_the_attributes_with_their_values():
    definition = open311.definition(THROWN)
    injured = next(item for item in definition["attributes"] if item["code"] == "injured")
    assert injured["datatype"] == "singlevaluelist" and injured["required"] is True
    assert [value["key"] for value in injured["values"]] == ["no", "yes"]


def test_attribute_answers_are_checked_and_their_text_feeds_triage():
    answers, said = open311.attributes(THROWN, {"injured": ["yes"], "floor": ["9"]})
    assert answers == {"injured": "yes", "floor": 9.0}
    assert TAXONOMY.triage("花盆", THROWN.code, said).emergency.kind == "injury"
    _, said_no = open311.attributes(THROWN, {"injured": ["no"]})
    assert TAXONOMY.triage("花盆", THROWN.code, said_no).emergency is None
    for bad in (
        {},
        {"injured": ["maybe"]},
        {"injured": ["no", "yes"]},
        {"injured": ["no"], "floor": ["high"]},
    ):
        with pytest.raises(Open311Error) as refused:
            open311.attributes(THROWN, bad)
        assert refused.value.status == 400


def test_form_fields_name_the_attributes():
    form = [
        ("attribute[injured]", "no"),
        ("attribute[tags][]", "a"),
        ("attribute[tags][]", "b"),
        ("x", "1"),
    ]
    assert open311.form_attributes(form) == {"injured": ["no"], "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("state", "status"),
    [("reported", "open"), ("triaged", "open"), ("dispatched", "open"), ("accepted", "open"),
     ("escalated", "open"), ("reopened", "open"), ("resolved", "closed"), ("closed", "closed"),
     ("rated", "closed"), ("rejected", "closed"), ("merged", "closed"), ("withdrawn", "closed")],
)  # fmt: skip
def test_states_map_to_open_or_closed(state, status):
    assert open311.status(state) == status


def test_a_request_shows_the_case_the_specs_way():
    case = closed()
    view = open311.request_view(case, TAXONOMY, "zh")
    assert view["service_request_id"] == case.number and view["token"] == case.id
    assert (view["status"], view["status_notes"]) == ("closed", "已办结：换了灯泡")
    assert view["agency_responsible"] == "维修队"
    assert view["expected_datetime"] == case.resolve_by.isoformat(timespec="seconds")
    assert view["address"] == "井湘小区5栋2单元" and view["address_id"] == "e1-b5-u2"
    rejected = lifecycle.reject(triaged(), STAFF, "不属于本社区", case.reported_at).case
    assert (
        open311.request_view(rejected, TAXONOMY, "en")["status_notes"] == "Returned: 不属于本社区"
    )


def test_an_emergency_and_a_merge_come_with_a_notice():
    fire = report(description="楼道里着火了").case
    assert open311.notice(fire, "zh") == "紧急情况，请立即拨打119。"
    merged = replace(triaged(), state="merged", merged_into={"case_id": "LX-2", "number": "JX-1"})
    assert "JX-1" in open311.notice(merged, "en")
    assert (
        open311.request_view(merged, TAXONOMY, "en")["status_notes"] == "Handled together with JX-1"
    )


def test_xml_repeats_list_items_under_their_singular_name():
    xml = open311.to_xml(
        "service_requests", [{"service_request_id": "JX-1", "lat": None, "ok": True}]
    )
    root = ElementTree.fromstring(xml)
    assert root.tag == "service_requests"
    (item,) = root.findall("request")
    assert item.findtext("service_request_id") == "JX-1"
    assert item.findtext("lat") == "" and item.findtext("ok") == "true"
    errors = ElementTree.fromstring(open311.to_xml("errors", open311.errors(403, "api_key")))
    assert errors.find("error/code").text == "403"


def test_a_key_reporter_is_who_rates_through_open311():
    assert lifecycle.rate(closed(), REPORTER, 5, "", closed().reported_at).case.rating == 5


# What leaves through Open311: masked but to admins, public only where it may be, escaped

PHONE = "138-1234-5678"
LANDLINE = "0731-8888 6666"
TEXT_FIELDS = ("status_notes", "description", "address", "agency_responsible", "service_notice")


def talkative_case():
    """A case whose every text holds a phone number: the description, the address, the
    reason it was returned (status_notes) and the department it went to."""
    case = triaged(
        description=f"楼道灯坏了，请打{PHONE}",
        location={"grid_id": "g1", "address": f"井湘小区5栋 联系{LANDLINE}"},
    )
    case = replace(case, place="", escalation={"target": {"department": f"区住建局 {LANDLINE}"}})
    return lifecycle.reject(case, STAFF, f"不属于本社区，请致电{PHONE}", case.reported_at).case


def test_every_text_of_a_request_is_masked_for_a_reader_who_is_not_an_admin():
    view = open311.request_view(talkative_case(), TAXONOMY, "zh")
    shown = " ".join(str(view[name]) for name in TEXT_FIELDS)
    assert "1234" not in shown and "8888 66" not in shown
    assert "138-****-5678" in view["description"] and "138-****-5678" in view["status_notes"]
    assert view["address"] == "井湘小区5栋 联系0731-**** **66"
    assert view["agency_responsible"] == "区住建局 0731-**** **66"


def test_an_admin_reads_requests_unmasked():
    view = open311.request_view(talkative_case(), TAXONOMY, "zh", unmasked=True)
    assert PHONE in view["description"] and PHONE in view["status_notes"]
    assert LANDLINE in view["address"]


def test_the_public_view_is_masked_and_carries_no_token():
    case = talkative_case()
    view = open311.public_view(case, TAXONOMY, "zh")
    assert "token" not in view and case.id not in str(view)
    assert view == {
        key: value
        for key, value in open311.request_view(case, TAXONOMY, "zh").items()
        if key != "token"
    }


def test_disputes_and_care_are_private_and_everything_else_public():
    private = {code for code, category in TAXONOMY.categories.items() if category.private}
    assert private == {
        "dispute.neighbour",
        "dispute.family",
        "dispute.property_management",
        "dispute.labour",
        "dispute.damages",
        "care.elderly_alone",
    }
    assert set(TAXONOMY.public_categories) == set(TAXONOMY.categories) - private
    assert open311.is_public(triaged(), TAXONOMY)
    assert not open311.is_public(triaged(category="dispute.neighbour"), TAXONOMY)
    assert not open311.is_public(replace(triaged(), category=""), TAXONOMY)  # not sorted yet


def test_private_services_are_offered_and_say_they_are_not_published():
    services = {service["service_code"]: service for service in open311.services(TAXONOMY, "zh")}
    assert "不公开" in services["care.elderly_alone"]["description"]
    assert "不公开" not in services["facility.lighting"]["description"]


XML_FORBIDDEN = ["\x00", "\x08", "\x0b", "\x1b", "\ufffe", "\uffff", "\ud800"]


@pytest.mark.parametrize("char", XML_FORBIDDEN)
def test_xml_never_carries_a_character_xml_forbids(char):
    stored = replace(triaged(), description=f"楼道{char}灯坏了\t第二行\r\n")
    xml = open311.to_xml("service_requests", [open311.request_view(stored, TAXONOMY, "zh")])
    (request,) = ElementTree.fromstring(xml).findall("request")
    assert request.findtext("description") == "楼道\ufffd灯坏了\t第二行\n"  # parsers fold CRLF


def test_xml_text_is_escaped_where_it_lands():
    markup = "<b>x</b> & \"y\" 'z' ]]> <![CDATA[ <!-- -->"
    xml = open311.to_xml("errors", open311.errors(400, markup))
    assert b"<b>" not in xml and b"<![CDATA[" not in xml
    assert ElementTree.fromstring(xml).findtext("error/description") == markup


def test_media_url_is_the_reports_first_photo_where_the_endpoint_serves_it_or_its_first_link():
    media = "https://lianxin.example.cn/open311/v2/media"
    photo = "photo:ph_abcdefghijklmnopqrstuvwx"
    with_photo = replace(triaged(), attachments=("https://example.org/a.jpg", photo))
    assert open311.public_view(with_photo, TAXONOMY, "zh", media)["media_url"] == (
        f"{media}/ph_abcdefghijklmnopqrstuvwx"
    )
    linked = replace(triaged(), attachments=("https://example.org/a.jpg",))
    assert open311.request_view(linked, TAXONOMY, "en", media)["media_url"] == (
        "https://example.org/a.jpg"
    )
    assert open311.public_view(triaged(), TAXONOMY, "zh", media)["media_url"] is None
