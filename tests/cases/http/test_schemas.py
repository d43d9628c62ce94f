"""What the cases API lets in, and what it shows of a case to whom. Plain Python."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from services.cases.http.schemas import (
    CaseIntakeSchema,
    CaseListQuery,
    CaseSchema,
    CategoryView,
    HotlineOrderSchema,
    LocationSchema,
    ResolveSchema,
)
from services.cases.http.views import case_view, category_view
from tests.cases.factories import TAXONOMY, report, resolved

VALID = {
    "description": "3栋2单元楼道灯坏了",
    "community_id": "jingxiang",
    "channel": "hotline",
    "category": "facility.lighting",
    "location": {
        "grid_id": "jingxiang-g1",
        "building": "3",
        "unit": "2",
        "lat": 28.1,
        "lon": 113.0,
    },
    "reporter": {"name": "张三", "phone": "13807310001", "consent": True},
    "attachments": ["https://img.example.cn/1.jpg"],
}


def errors_for(schema, body: dict) -> dict:
    try:
        schema.load(body)
    except ValidationError as refused:
        return refused.messages
    return {}


def test_a_valid_body_loads_and_defaults_fill_in():
    assert errors_for(CaseIntakeSchema(), VALID) == {}
    loaded = CaseIntakeSchema().load(
        {"description": "d", "community_id": "x", "location": {"grid_id": "g"}}
    )
    assert loaded["channel"] == "app" and loaded["attachments"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"community_id": "Not A Slug"}, "community_id"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"category": "lights"}, "category"),
        ({"severity": "high"}, "severity"),
        ({"reporter": {"phone": "call me"}}, "reporter"),
        ({"reporter": {"person_id": "p-1"}}, "reporter"),  # who acts is never in the body
        ({"attachments": ["ftp://x/1.jpg"]}, "attachments"),
        ({"attachments": ["https://x/1.jpg"] * 11}, "attachments"),
        ({"location": {"lat": 28.1}}, "location"),
        ({"location": {"lat": 91, "lon": 0}}, "location"),
        ({"location": {"grid_id": "g", "lat": float("nan"), "lon": 1.0}}, "location"),
    ],
)
def test_bad_fields_are_named(change, field):
    assert field in errors_for(CaseIntakeSchema(), {**VALID, **change})


def test_the_volunteer_cannot_name_themselves_when_resolving():
    assert "person_id" in errors_for(ResolveSchema(), {"resolution": "done", "person_id": "p-1"})
    assert "volunteer_hours" in errors_for(
        ResolveSchema(), {"resolution": "d", "volunteer_hours": 25}
    )


def test_a_location_needs_both_coordinates():
    assert errors_for(LocationSchema(), {"lon": 113.0}) == {
        "lat": ["Give both lat and lon, or neither."]
    }


def test_a_hotline_order_needs_its_number_and_a_deadline_ahead():
    order = {
        "hotline_id": "changsha-12345",
        "order_no": "GD20261121-0001",
        "community_id": "jingxiang",
        "description": "楼道堆物",
        "location": {"grid_id": "g1"},
    }
    assert errors_for(HotlineOrderSchema(), order) == {}
    past = {**order, "deadline": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    assert "deadline" in errors_for(HotlineOrderSchema(), past)
    assert "order_no" in errors_for(HotlineOrderSchema(), {**order, "order_no": "a b"})


def test_the_listing_query_checks_its_range_and_limit():
    assert "from" in errors_for(
        CaseListQuery(), {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    )
    assert "limit" in errors_for(CaseListQuery(), {"limit": "500"})
    assert CaseListQuery().load({"overdue": "true"})["overdue"] is True


def shown(case, unmasked=False) -> dict:
    return json.loads(json.dumps(CaseSchema().dump(case_view(case, unmasked))))


def test_a_shown_case_masks_the_reporter_and_phone_numbers_in_its_text_except_to_admins():
    case = report(
        description="楼道灯坏了，请打13912345678",
        reporter={"name": "王秀兰", "phone": "13912345678", "email": "wang@example.cn"},
    ).case
    masked = shown(case)
    assert masked["reporter"] == {
        "name": "王**",
        "phone": "139****5678",
        "email": "w***@example.cn",
    }
    assert masked["description"] == "楼道灯坏了，请打139****5678"
    assert "13912345678" not in json.dumps(masked, ensure_ascii=False)
    full = shown(case, unmasked=True)
    assert full["reporter"]["phone"] == "13912345678" and "13912345678" in full["description"]


def test_escalation_and_extension_reasons_are_masked_as_any_text_is():
    from dataclasses import replace

    case = replace(
        report().case,
        escalation={"level": "grid_leader", "reason": "找不到人，电话 139 1234 5678"},
        extension={"state": "pending", "reason": "等物业回电 13912345678"},
    )
    masked = json.dumps(shown(case), ensure_ascii=False)
    assert "1234 5678" not in masked and "13912345678" not in masked
    assert "13912345678" in json.dumps(shown(case, unmasked=True), ensure_ascii=False)


def test_a_shown_case_names_its_readable_number_and_its_time():
    case = report().case
    assert shown(case)["reported_at"] == case.reported_at.isoformat()
    assert shown(case)["number"] == "JX-20260306-0001"


def test_a_private_case_without_details_shows_that_it_exists_and_nothing_of_the_household():
    case = resolved(category="dispute.neighbour", description="302室和402室为漏水吵架 13812345678")
    case = replace(case, attachments=("photo:ph_abcdefghijklmnopqrstuvwx",))
    full = case_view(case)
    assert "漏水" in full["description"] and full["attachments"]
    withheld = case_view(case, details=False)
    assert (withheld["number"], withheld["state"]) == (case.number, case.state)
    assert withheld["location"] == {"grid_id": case.grid_id}
    shown = str(withheld)
    for detail in ("302", "漏水", "5678", "ph_abc", case.resolution, "5栋"):
        assert detail not in shown, detail
    assert [step["action"] for step in withheld["timeline"]] == [s.action for s in case.timeline]


def test_a_category_says_whether_it_is_private_so_that_the_console_hides_its_text():
    shown = {
        code: CategoryView().dump(category_view(category))["private"]
        for code, category in TAXONOMY.categories.items()
    }
    assert shown["dispute.family"] is True and shown["care.elderly_alone"] is True
    assert shown["facility.lighting"] is False
