"""The notice compose form's rules as plain Python: which areas a person is offered, and
the form read into notify's body."""

from __future__ import annotations

from services.console.domain.notices import (
    audience_choices,
    field_of_notify,
    grid_of,
    notify_body,
)

AREAS = [
    {"code": "jx", "kind": "community", "parent": "sd", "name": "井湘社区"},
    {"code": "jx-g1", "kind": "grid", "parent": "jx", "name": "第一网格"},
    {"code": "jx-g2", "kind": "grid", "parent": "jx", "name": "第二网格"},
    {"code": "jx-e1", "kind": "estate", "parent": "jx-g1", "name": "一小区"},
    {"code": "jx-b1", "kind": "building", "parent": "jx-e1", "name": "1栋"},
    {"code": "jx-b1-u1", "kind": "unit", "parent": "jx-b1", "name": "1栋1单元"},
    {"code": "jx-b2", "kind": "building", "parent": "jx-g2", "name": "2栋"},
    {"code": "jx-b3", "kind": "building", "parent": "jx-g2", "name": "3栋", "removed": True},
]


def offered(grids) -> dict[str, list[str]]:
    return {kind: [c.value for c in choices]
            for kind, choices in audience_choices(AREAS, "jx", "井湘社区", grids)}  # fmt: skip


def test_staff_are_offered_the_community_and_every_live_area():
    assert offered(None) == {
        "community": ["community:jx"],
        "grid": ["grid:jx-g1", "grid:jx-g2"],
        "building": ["building:jx-b1", "building:jx-b2"],
        "unit": ["unit:jx-b1-u1"],
    }


def test_a_grid_worker_is_offered_only_what_lies_in_their_grids():
    assert offered(frozenset({"jx-g1"})) == {
        "grid": ["grid:jx-g1"], "building": ["building:jx-b1"], "unit": ["unit:jx-b1-u1"],
    }  # fmt: skip
    by_code = {area["code"]: area for area in AREAS}
    assert grid_of("jx-b1-u1", by_code) == "jx-g1" and grid_of("jx", by_code) is None


def test_a_form_becomes_notify_s_body_and_notify_s_fields_the_form_s():
    form = {"audience": "unit:jx-b1-u1", "title": " 停水 ", "body": "明天停水", "urgent": "yes"}
    assert notify_body(form, ["sms"], "jx") == {
        "community_id": "jx", "audience": "unit", "code": "jx-b1-u1", "title": "停水",
        "body": "明天停水", "urgent": True, "channels": ["sms"],
    }  # fmt: skip
    assert field_of_notify({"code": ["No unit x."], "title": ["Too long."]}) == {
        "audience": ["No unit x."], "title": ["Too long."],
    }  # fmt: skip
