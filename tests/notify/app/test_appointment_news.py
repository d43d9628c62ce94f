"""A mediation appointment (case.appointment_set) told to the parties notify may reach:
the consenting reporter and whoever has the case, with the time in the community's zone
and the venue; never to a group with its details. On the in-memory store."""

from __future__ import annotations

from services.notify.app import pipeline, reactions, replicas
from tests.notify.app.conftest import case_event, deadlines, person_changed

DISPUTE = {
    "category": "dispute.neighbour",
    "category_label": {"zh": "邻里纠纷", "en": "Neighbour dispute"},
    "team": "mediation_desk",
    "description": "楼上漏水到我家，邻居不管",
    "private": True,
}
APPOINTMENT = {
    "starts_at": "2026-11-27T02:00:00+00:00",  # Friday 27 November, 10:00 in Changsha
    "ends_at": "2026-11-27T03:00:00+00:00",
    "venue": "红帆驿站 13800000000",
    "by": "p-staff-1",
    "previous_starts_at": None,
}


def appointment(**about) -> object:
    return case_event("case.appointment_set", **{**DISPUTE, **APPOINTMENT, **about})


def test_the_consenting_reporter_is_told_when_and_where_in_the_communitys_time(
    store, outbound, receivers, now
):
    contact = {"consent": True, "phone": "13800000001"}
    reactions.on_case_event(
        store, outbound, case_event("case.reported", contact=contact, **DISPUTE), now
    )
    assert reactions.on_case_event(store, outbound, appointment(), now) == 1
    [(delivery, message, target)] = receivers["sms"].sent
    assert (delivery.recipient.kind, delivery.kind) == ("resident", "progress.appointment")
    assert target.address == "13800000001"
    assert "11月27日 10:00（北京时间 UTC+08:00）" in message.text
    assert "红帆驿站 138****0000" in message.text  # a number in the venue is masked
    assert "27 Nov 10:00 (Asia/Shanghai" in message.text


def test_the_assignee_is_told_and_a_redelivery_tells_nobody_twice(
    store, outbound, receivers, memory_backend, now
):
    """News that may wait (quiet hours, a digest): sent when its attempt comes up."""
    replicas.apply_person(store, person_changed("p-1", [("sms", "13912345678")]).payload)
    told = appointment(assignee={"person_id": "p-1", "display_name": "沈**"})
    assert reactions.on_case_event(store, outbound, told, now) == 1
    assert reactions.on_case_event(store, outbound, told, now) == 0
    for attempt in deadlines(memory_backend, pipeline.ATTEMPT):
        pipeline.attempt(store, outbound, attempt, now)
    [(delivery, message, _)] = receivers["sms"].sent
    assert (delivery.recipient.key, delivery.kind) == ("p-1", "case.appointment_set")
    assert "邻里纠纷" in message.text and "11月27日 10:00" in message.text


def test_nobody_to_tell_sends_nothing_and_no_group_hears_of_it(store, outbound, receivers, now):
    """No consenting reporter, nobody holding the case: no message, and a private case's
    appointment is never a group's news."""
    assert reactions.on_case_event(store, outbound, appointment(assignee=None), now) == 0
    assert all(not receiver.sent for receiver in receivers.values())


def follow_up_overdue(**about) -> object:
    due = "2026-12-27T02:00:00+00:00"
    return case_event("case.overdue", **{**DISPUTE, "which": "follow_up", "due_at": due, **about})


def test_a_follow_up_visit_not_made_reminds_its_member_alone_with_the_overdue_template(
    store, outbound, receivers, memory_backend, now
):
    replicas.apply_person(store, person_changed("p-1", [("sms", "13912345678")]).payload)
    told = follow_up_overdue(assignee={"person_id": "p-1", "display_name": "沈**"})
    assert reactions.on_case_event(store, outbound, told, now) == 1, "no grid group hears of it"
    assert reactions.on_case_event(store, outbound, told, now) == 0
    for attempt in deadlines(memory_backend, pipeline.ATTEMPT):
        pipeline.attempt(store, outbound, attempt, now)
    [(delivery, message, _)] = receivers["sms"].sent
    assert (delivery.recipient.key, delivery.kind) == ("p-1", "case.overdue")
    assert "已超过回访时限" in message.text and "follow-up visit" in message.text


def test_a_follow_up_nobody_holds_reminds_the_communitys_staff(store, outbound, receivers, now):
    assert reactions.on_case_event(store, outbound, follow_up_overdue(assignee=None), now) == 1
    [(delivery, message, _)] = receivers["webhook"].sent
    assert delivery.recipient.kind == "group" and delivery.recipient.key.endswith("/staff")
    assert "隐私" in message.text and "/cases/LX-1" in message.text  # the staff open it there
    assert "漏水" not in message.text, "a private case's text reaches no group"
