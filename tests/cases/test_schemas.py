"""What the cases API lets in, and what it shows of a case."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from services.cases.domain import Case
from services.cases.schemas import CaseIntakeSchema, CaseSchema

VALID = {
    "description": "3栋2单元楼道灯坏了",
    "community_id": "jingxiang",
    "channel": "hotline",
    "category": "facility.lighting",
    "location": {"grid_id": "jingxiang-g1", "building": "3", "unit": "2", "lat": 28.1},
    "reporter": {"name": "张三", "phone": "13807310001"},
}


def errors_for(body: dict) -> dict:
    """The field errors of a body; empty when it loads."""
    try:
        CaseIntakeSchema().load(body)
    except ValidationError as refused:
        return refused.messages
    return {}


def without(body: dict, key: str) -> dict:
    return {name: value for name, value in body.items() if name != key}


def test_a_valid_body_loads():
    assert errors_for(VALID) == {}
    assert CaseIntakeSchema().load(VALID) == VALID


def test_channel_defaults_to_app():
    assert CaseIntakeSchema().load(without(VALID, "channel"))["channel"] == "app"


@pytest.mark.parametrize("field", ["description", "community_id", "location"])
def test_a_required_field_is_named_when_missing(field):
    assert field in errors_for(without(VALID, field))


def test_a_missing_grid_is_named_under_location():
    body = {**VALID, "location": without(VALID["location"], "grid_id")}
    assert "grid_id" in errors_for(body)["location"]


def test_an_unknown_field_is_refused():
    assert "priority" in errors_for({**VALID, "priority": "urgent"})


def test_an_unknown_field_inside_location_is_refused():
    body = {**VALID, "location": {**VALID["location"], "$where": "1"}}
    assert "$where" in errors_for(body)["location"]


def test_an_unknown_channel_is_refused():
    assert "channel" in errors_for({**VALID, "channel": "fax"})


@pytest.mark.parametrize("phone", ["138-0731-0001", "call me", "1234", "+" + "1" * 21])
def test_a_phone_that_is_not_digits_is_refused(phone):
    body = {**VALID, "reporter": {"phone": phone}}
    assert "phone" in errors_for(body)["reporter"]


def test_a_description_over_2000_characters_is_refused():
    assert errors_for({**VALID, "description": "灯" * 2000}) == {}
    assert "description" in errors_for({**VALID, "description": "灯" * 2001})


def test_an_empty_description_is_refused():
    assert "description" in errors_for({**VALID, "description": ""})


@pytest.mark.parametrize("community_id", ["Jingxiang", "-jx", "井湘", "a" * 65])
def test_a_community_id_must_be_a_slug(community_id):
    assert "community_id" in errors_for({**VALID, "community_id": community_id})


def test_a_category_must_look_like_a_code():
    assert "category" in errors_for({**VALID, "category": "Lighting"})


def shown(**overrides) -> dict:
    """A triaged case as the API shows it."""
    case = Case(
        id="C-1",
        state="triaged",
        community_id="jingxiang",
        grid_id="jingxiang-g1",
        description="楼道灯坏了",
        channel="hotline",
        reported_at=datetime(2026, 3, 6, 1, 30, tzinfo=UTC),
        **overrides,
    )
    return CaseSchema().dump(case)


def test_a_shown_case_masks_the_reporter():
    shown_case = shown(reporter={"name": "张三丰", "phone": "13807310001"})
    assert shown_case["reporter"] == {"name": "张**", "phone": "138****0001"}
    text = json.dumps(shown_case, ensure_ascii=False)
    assert "13807310001" not in text
    assert "张三丰" not in text


def test_a_case_without_reporter_shows_an_empty_masked_reporter():
    assert shown()["reporter"] == {"name": "", "phone": ""}
