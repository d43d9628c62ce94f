"""Intake: what a report becomes, and the events it causes, checked against the
contract's schemas (docs/events.md). Plain Python, no I/O."""

from __future__ import annotations

from datetime import timedelta

from services.cases.domain import lifecycle
from services.cases.events import EMITS
from tests.cases.factories import AT, REPORTER, STAFF, TAXONOMY, report


def kinds(outcome) -> list[str]:
    return [kind for kind, _ in outcome.facts]


def valid(outcome) -> list[dict]:
    """Every fact as its event, validated as the outbox validates it."""
    return [
        EMITS.new_event(kind, payload, correlation_id="c", case_id="LX-1").payload
        for kind, payload in outcome.facts
    ]


def test_a_report_is_received_and_triaged_at_once_with_two_events_in_version_order():
    outcome = report()
    case = outcome.case
    assert kinds(outcome) == ["case.reported", "case.triaged"]
    reported, triaged = valid(outcome)
    assert (reported["state"], reported["previous_state"], reported["case_version"]) == (
        "reported",
        None,
        1,
    )
    assert (triaged["state"], triaged["previous_state"], triaged["case_version"]) == (
        "triaged",
        "reported",
        2,
    )
    assert reported["category"] == triaged["category"] == "facility.lighting"
    assert reported["number"] == "JX-20260306-0001"
    assert triaged["place"] == "井湘小区5栋2单元" and triaged["triage"]["keywords"]
    assert (case.state, case.team, case.version) == ("triaged", "repair_crew", 2)
    assert [step.action for step in case.timeline] == ["report", "triage"]
    assert case.timeline[0].by == "hotline-12345" and case.timeline[0].channel == "hotline"
    assert [timer.payload["step"] for timer in outcome.timers] == ["warning"]  # the first


def test_events_carry_no_name_and_no_phone_number_written_into_the_text():
    outcome = report(
        description="楼道灯坏了，请回电13912345678",
        reporter={"name": "王秀兰", "phone": "13912345678", "consent": False},
    )
    text = str(valid(outcome))
    assert "13912345678" not in text and "王秀兰" not in text and "139****5678" in text
    assert valid(outcome)[0]["contact"] is None  # no consent: no contact travels


def test_with_consent_the_contact_travels_in_case_reported_only():
    outcome = report(reporter={"phone": "13912345678", "email": "w@example.cn", "consent": True})
    reported, triaged = valid(outcome)
    assert reported["contact"] == {"phone": "13912345678", "email": "w@example.cn", "consent": True}
    assert "13912345678" not in str(triaged)


def test_what_nothing_maps_waits_in_the_manual_triage_queue_without_timers():
    outcome = report(description="这个事情说不清楚，你们来看看")
    assert kinds(outcome) == ["case.reported", "case.triage_needed"]
    assert outcome.case.state == "reported" and outcome.timers == ()
    assert valid(outcome)[0]["category"] is None
    staffed = lifecycle.triage_by_hand(outcome.case, TAXONOMY, "general.other", "high", STAFF, AT)
    assert staffed.case.state == "triaged" and staffed.case.priority == "high"
    assert valid(staffed)[0]["triage"]["staff"] == "p-staff-1"


def test_an_emergency_is_escalated_at_once_and_never_dispatched():
    outcome = report(description="3栋厨房着火了，浓烟很大")
    assert kinds(outcome) == [
        "case.reported",
        "case.triage_needed",
        "case.emergency",
        "case.escalated",
    ]
    emergency, escalated = valid(outcome)[2:]
    assert (emergency["kind"], emergency["call"]) == ("fire", "119")
    assert escalated["level"] == "community_staff" and "119" in escalated["reason"]
    assert outcome.case.state == "escalated" and outcome.case.emergency == {
        "kind": "fire",
        "call": "119",
    }


def test_a_categorised_emergency_keeps_its_category_and_runs_on_time_limits():
    outcome = report(description="楼上扔花盆砸伤了人，在流血")
    assert kinds(outcome) == ["case.reported", "case.emergency", "case.escalated"]
    assert outcome.case.category == "civility.thrown_objects" and outcome.case.priority == "urgent"
    assert [timer.payload["which"] for timer in outcome.timers] == ["accept"]


def test_the_hotlines_deadline_wins_when_earlier_and_travels_with_the_report():
    deadline = AT + timedelta(hours=2)
    outcome = report(hotline={"hotline_id": "cs-12345", "order_no": "GD-1", "deadline": deadline})
    assert outcome.case.resolve_by == deadline
    assert valid(outcome)[0]["hotline"]["order_no"] == "GD-1"


def test_closing_a_hotline_case_tells_the_hotline_and_so_does_returning_it():
    from tests.cases.factories import OFFER, VOLUNTEER

    hotline = {"hotline_id": "cs-12345", "order_no": "GD-1", "deadline": None}
    case = report(hotline=hotline).case
    returned = lifecycle.reject(case, STAFF, "不属于本社区", AT)
    assert kinds(returned) == ["case.rejected", "hotline.reply"]
    reply = valid(returned)[1]
    assert (reply["kind"], reply["order_no"], reply["reason"]) == (
        "returned",
        "GD-1",
        "不属于本社区",
    )
    case = lifecycle.dispatch(case, OFFER, AT).case
    case = lifecycle.accept(case, VOLUNTEER, AT).case
    case = lifecycle.resolve(case, VOLUNTEER, "已修好，电话13800001111", 1.0, (), AT).case
    closed = lifecycle.verify(case, STAFF, "", AT)
    reply = valid(closed)[1]
    assert (reply["kind"], reply["result"]) == ("closed", "已修好，电话138****1111")
    rated = lifecycle.rate(closed.case, REPORTER, 2, "不满意", AT)
    assert valid(rated)[1]["rating"] == 2


def test_a_merged_hotline_order_is_answered_when_the_case_it_joined_closes():
    from dataclasses import replace

    from tests.cases.factories import OFFER, VOLUNTEER

    original = report().case
    duplicate = replace(
        report(hotline={"hotline_id": "cs-12345", "order_no": "GD-2", "deadline": None}).case,
        id="LX-2",
        number="JX-20260306-0002",
    )
    merged = lifecycle.merge(duplicate, original, REPORTER, AT)
    original = lifecycle.absorb(original, merged.case, AT)
    assert original.duplicates == 1 and original.followers[0]["order_no"] == "GD-2"
    case = lifecycle.dispatch(original, OFFER, AT).case
    case = lifecycle.accept(case, VOLUNTEER, AT).case
    case = lifecycle.resolve(case, VOLUNTEER, "修好了", 1.0, (), AT).case
    closed = lifecycle.verify(case, STAFF, "", AT)
    replies = [payload for kind, payload in closed.facts if kind == "hotline.reply"]
    assert [(reply["order_no"], reply["number"]) for reply in replies] == [
        ("GD-2", "JX-20260306-0002")
    ]


def test_absorbing_the_same_duplicate_again_changes_nothing():
    """A merge retried after the open case took note of the duplicate, but before the
    duplicate's own write, must not count it twice nor answer its hotline order twice."""
    from dataclasses import replace

    original = report().case
    duplicate = replace(
        report(hotline={"hotline_id": "cs-12345", "order_no": "GD-3", "deadline": None}).case,
        id="LX-3",
        number="JX-20260306-0003",
    )
    merged = lifecycle.merge(duplicate, original, REPORTER, AT).case
    once = lifecycle.absorb(original, merged, AT)
    twice = lifecycle.absorb(once, merged, AT)
    assert twice == once
    assert (twice.duplicates, len(twice.followers), twice.absorbed) == (1, 1, ("LX-3",))


def test_a_phone_number_typed_into_the_address_leaves_in_no_event_unmasked():
    outcome = report(
        location={"grid_id": "g1", "area_code": "e1-b5-u2", "address": "5栋 联系 138 1234 5678"}
    )
    for kind, payload in outcome.facts:
        text = str(payload)
        assert "1234 5678" not in text and "138 1234" not in text, kind
    reported = dict(outcome.facts)["case.reported"]
    assert reported["location"]["address"].startswith("5栋 联系 138")


def test_a_private_categorys_case_says_so_in_every_event_and_a_public_ones_does_not():
    """Notify and the console judge what a group chat or a page may show by `private`."""
    dispute = report(description="楼上邻居天天吵架，调解一下", category="dispute.neighbour")
    assert dispute.case.private and dispute.case.category == "dispute.neighbour"
    assert [event["private"] for event in valid(dispute)] == [True, True]
    assert not any(event["private"] for event in valid(report()))
    unmapped = report(description="有个情况想反映一下")
    assert not unmapped.case.private  # not sorted yet: nothing to say either way
    sorted_by_hand = lifecycle.triage_by_hand(
        unmapped.case, TAXONOMY, "care.elderly_alone", None, STAFF, AT
    )
    assert sorted_by_hand.case.private and valid(sorted_by_hand)[0]["private"]


def test_a_property_complaint_says_so_when_triaged_by_rule_or_by_hand():
    """The estate service counts complaints about the property company by this mark
    (services/cases/data/taxonomy.yaml `property_complaint`)."""
    complaint = report(description="物业不修电梯还涨价", category="dispute.property_management")
    triaged = dict(zip(kinds(complaint), valid(complaint), strict=True))["case.triaged"]
    assert triaged["property_complaint"] is True
    assert triaged["location"]["estate"] == complaint.case.location.get("estate")
    plain = report()
    assert not dict(zip(kinds(plain), valid(plain), strict=True))["case.triaged"][
        "property_complaint"
    ]
    unmapped = report(description="有个情况想反映一下")
    by_hand = lifecycle.triage_by_hand(
        unmapped.case, TAXONOMY, "dispute.property_management", None, STAFF, AT
    )
    assert valid(by_hand)[0]["property_complaint"] is True
