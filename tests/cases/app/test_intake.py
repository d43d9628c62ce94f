"""Intake as a use case (app/intake.py), on the in-memory store: a report opens one case
whatever the retries, a work order names its case, and a second report of the same
problem at the same place is folded into the open case."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.cases.app.intake import IdempotencyKeyReused, hotline_case_id
from services.cases.domain.areas import UnknownArea
from services.cases.domain.intake import Report
from tests.cases.factories import AT, REPORTER

EVERYWHERE = lambda _: True  # noqa: E731 - a key that covers every community


def lamp(description: str = "5栋2单元楼道灯坏了", **fields) -> Report:
    return Report(
        community_id="jingxiang",
        description=description,
        channel="hotline",
        location={"grid_id": "g1", "area_code": "e1-b5-u2"},
        **fields,
    )


def test_a_report_opens_a_numbered_triaged_case_and_publishes_its_events(parts, published):
    case, created = parts.intake.report(lamp(), REPORTER, EVERYWHERE, None, "corr-1", AT)
    assert created and case.state == "triaged" and case.number.startswith("JX-20260306-")
    assert parts.store.get(case.id) == case
    assert published.event_types() == ["case.reported", "case.triaged"]
    assert {event["correlation_id"] for event in published.events} == {"corr-1"}


def test_a_retry_with_the_same_key_returns_the_case_and_a_different_report_is_refused(parts):
    first, created = parts.intake.report(lamp(), REPORTER, EVERYWHERE, "key-1", None, AT)
    again, created_again = parts.intake.report(lamp(), REPORTER, EVERYWHERE, "key-1", None, AT)
    assert created and not created_again and again == first
    with pytest.raises(IdempotencyKeyReused) as reused:
        parts.intake.report(lamp("别的事"), REPORTER, EVERYWHERE, "key-1", None, AT)
    assert reused.value.case_id == first.id


def test_a_community_the_key_does_not_cover_is_unknown(parts):
    with pytest.raises(UnknownArea):
        parts.intake.report(lamp(), REPORTER, lambda c: c != "jingxiang", None, None, AT)


def test_a_work_order_names_its_case_and_a_resend_finds_it(parts):
    order = {"hotline_id": "cs-12345", "order_no": "GD-1", "deadline": None}
    case, created = parts.intake.hotline_order(lamp(hotline=order), REPORTER, EVERYWHERE, None, AT)
    resent, created_again = parts.intake.hotline_order(
        lamp("说法不同", hotline=order), REPORTER, EVERYWHERE, None, AT
    )
    assert case.id == hotline_case_id("cs-12345", "GD-1")
    assert created and not created_again and resent == case


def test_a_second_report_at_the_same_place_is_folded_into_the_open_case(parts, published):
    original, _ = parts.intake.report(lamp(), REPORTER, EVERYWHERE, None, None, AT)
    duplicate, _ = parts.intake.report(
        lamp("5栋楼道里灯不亮"), REPORTER, EVERYWHERE, None, None, AT
    )
    assert duplicate.state == "merged"
    assert duplicate.merged_into == {"case_id": original.id, "number": original.number}
    joined = parts.store.get(original.id)
    assert joined.duplicates == 1 and joined.absorbed == (duplicate.id,)
    assert "case.merged" in published.event_types()


def test_a_report_after_the_open_case_closed_opens_a_case_of_its_own(parts):
    original, _ = parts.intake.report(lamp(), REPORTER, EVERYWHERE, None, None, AT)
    with parts.store.change(original.id) as change:  # closed meanwhile, its place not yet freed
        change.save(replace(change.case, state="closed"))
    later, _ = parts.intake.report(lamp("5栋楼道里灯不亮"), REPORTER, EVERYWHERE, None, None, AT)
    assert later.state == "triaged" and later.place_key == original.place_key
    entry = parts.store.places.get(later.place_key)
    assert entry["case_id"] == later.id, "the place names the new open case"
