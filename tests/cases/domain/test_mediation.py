"""A dispute's outcome at the desk: an agreement with its text, signatories and a
follow-up due thirty days on, or a referral; recorded once a session was held, by those
who may, and told without its text or names; the follow-up visit's reminder once when it
is due and not made. Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lianxin.contracts.cases import CASES
from services.cases.domain import lifecycle
from services.cases.domain.appointments import NoDesk
from services.cases.domain.case import By, InvalidRequest, InvalidTransition, NotPermitted
from services.cases.domain.mediation import (
    FOLLOW_UP_TIMER,
    NoSessionHeld,
    follow_up,
    follow_up_due,
    record_outcome,
)
from services.cases.http.views import case_view
from tests.cases.domain.test_desk_sessions import dispute as with_parties
from tests.cases.domain.test_desk_sessions import hold
from tests.cases.factories import GRID_WORKER, STAFF, TAXONOMY, VOLUNTEER, report

FRIDAY = datetime(2026, 12, 11, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
MEDIATOR = By("p-mediator-1", "api", person_id="p-mediator-1", role="volunteer", key_id="k-app")
TEXT = "楼上住户赔偿修理费800元，三日内付清；电话13807310001"


def dispute():
    """A Monday's dispute, heard at the desk's Friday session."""
    return hold(with_parties(), now=FRIDAY).case


def record(case, by=STAFF, result="agreement", **given):
    desk = TAXONOMY.desk(case.community_id, case.team)
    fields = {"agreement": TEXT, "signed_by": ["王小红", "李建国"]} if result == "agreement" else {}
    return record_outcome(
        case,
        desk,
        by,
        result,
        FRIDAY,
        **{**fields, **given},
        follow_up_after=TAXONOMY.follow_up_after,
    )


def test_an_agreement_keeps_its_text_and_signatories_and_a_follow_up_in_thirty_days():
    outcome = record(dispute())
    mediation = outcome.case.mediation
    assert mediation["agreement"] == TEXT and mediation["signed_by"] == ["王小红", "李建国"]
    assert mediation["follow_up_due"] == FRIDAY + timedelta(days=30)
    assert outcome.case.timeline[-1].action == "outcome"
    ((kind, payload),) = outcome.facts
    assert kind == "case.mediation_outcome"
    assert payload["result"] == "agreement" and payload["signatories"] == 2
    assert payload["follow_up_due"] == FRIDAY + timedelta(days=30)
    told = str(payload)
    assert "王小红" not in told and "800" not in told, "no name or text leaves with the event"
    CASES.new_event(kind, payload, correlation_id="test", case_id=outcome.case.id)
    (timer,) = outcome.timers
    assert (timer.kind, timer.due_at) == (FOLLOW_UP_TIMER, FRIDAY + timedelta(days=30))


def test_no_outcome_before_a_session_was_held():
    unheard = report("楼上漏水到我家，邻居吵架", at=FRIDAY - timedelta(days=4)).case
    with pytest.raises(NoSessionHeld):
        record(unheard)
    assert record(dispute(), result="referral", referred_to="court").timers == ()


def test_a_visit_not_made_by_its_day_reminds_once_and_a_visit_made_reminds_no_one():
    agreed = replace(record(dispute()).case, state="closed")
    due = agreed.mediation["follow_up_due"]
    reminder = follow_up_due(agreed, due)
    ((kind, payload),) = reminder.facts
    assert kind == "case.overdue" and payload["which"] == "follow_up"
    assert payload["due_at"] == due and payload["assignee"] is None
    CASES.new_event(kind, payload, correlation_id="test", case_id=agreed.id)
    assert not reminder.case.overdue, "no time limit of the case is concerned"
    assert follow_up_due(reminder.case, due + timedelta(seconds=1)) is None  # redelivered
    visited = follow_up(agreed, STAFF, "回访", due - timedelta(days=1)).case
    assert follow_up_due(visited, due) is None
    assert follow_up_due(replace(agreed, state="withdrawn"), due) is None


def test_the_follow_up_says_when_it_happened_between_the_outcome_and_now():
    agreed = record(dispute()).case
    later = FRIDAY + timedelta(days=40)
    visit = follow_up(agreed, STAFF, "已回访", later, happened_at=FRIDAY + timedelta(days=20))
    assert visit.case.mediation["followed_up"]["happened_at"] == FRIDAY + timedelta(days=20)
    assert visit.facts[0][1]["on_time"] is True, "the visit's day counts, not its entry's"
    for when in (FRIDAY - timedelta(days=1), later + timedelta(hours=1)):
        with pytest.raises(InvalidRequest) as refused:
            follow_up(agreed, STAFF, "已回访", later, happened_at=when)
        assert list(refused.value.details()["fields"]) == ["happened_at"]


def test_the_api_shows_the_signatories_masked_and_a_phone_in_the_text_masked():
    shown = case_view(record(dispute()).case)["mediation"]
    assert shown["signed_by"] == ["王**", "李**"]
    assert "138****0001" in shown["agreement"]
    assert case_view(record(dispute()).case, unmasked=True)["mediation"]["signed_by"][0] == "王小红"
    assert case_view(record(dispute()).case, details=False)["mediation"] is None


def test_a_referral_names_where_it_goes():
    outcome = record(dispute(), result="referral", referred_to="department", department="住建局")
    assert outcome.case.mediation["referred_to"] == "department"
    ((_, payload),) = outcome.facts
    assert payload["referred_to"] == "department" and payload["follow_up_due"] is None
    assert payload["signatories"] == 0


@pytest.mark.parametrize(
    "result, given, field",
    [
        ("agreement", {"agreement": "  "}, "agreement"),
        ("agreement", {"signed_by": []}, "signed_by"),
        ("referral", {}, "referred_to"),
        ("referral", {"referred_to": "department"}, "department"),
        ("referral", {"referred_to": "elsewhere"}, "referred_to"),
    ],
)
def test_a_missing_part_is_a_field_error(result, given, field):
    with pytest.raises(InvalidRequest) as refused:
        record(dispute(), result=result, **given)
    assert list(refused.value.details()["fields"]) == [field]


def test_an_outcome_is_recorded_once():
    once = record(dispute()).case
    with pytest.raises(InvalidTransition):
        record(once, result="referral", referred_to="court")


@pytest.mark.parametrize("by", [VOLUNTEER, MEDIATOR, GRID_WORKER])
def test_only_staff_a_grid_leader_or_the_member_holding_it_record_it(by):
    with pytest.raises(NotPermitted):
        record(dispute(), by=by)


def test_the_mediator_who_accepted_it_may():
    offer = {"offer_id": "OF-7", "person_id": "p-mediator-1", "display_name": "沈*", "attempt": 1}
    offered = lifecycle.dispatch(dispute(), offer, FRIDAY).case
    taken = lifecycle.accept(offered, MEDIATOR, FRIDAY).case
    assert record(taken, by=MEDIATOR).case.mediation["by"] == MEDIATOR.name


def test_a_case_not_at_a_desk_or_not_being_worked_on_takes_none():
    with pytest.raises(NoDesk):
        record(report("5栋楼道灯坏了", at=FRIDAY).case)
    with pytest.raises(InvalidTransition):
        record(replace(dispute(), state="closed"))


def test_an_agreements_follow_up_visit_is_recorded_once_even_after_the_case_closed():
    agreed = replace(record(dispute()).case, state="closed")  # resolved and closed since
    visit_on = FRIDAY + timedelta(days=29)
    outcome = follow_up(agreed, GRID_WORKER, "双方已履行，关系缓和 13807310001", visit_on)
    assert outcome.case.mediation["followed_up"]["by"] == GRID_WORKER.name
    assert outcome.case.timeline[-1].action == "follow_up"
    ((kind, payload),) = outcome.facts
    assert kind == "case.mediation_followed_up"
    assert payload == {**payload, "result": "agreement", "on_time": True}
    assert "1380731" not in str(payload), "the note stays with the case"
    CASES.new_event(kind, payload, correlation_id="test", case_id=agreed.id)
    shown = case_view(outcome.case)["mediation"]["followed_up"]
    assert "138****0001" in shown["note"]
    with pytest.raises(InvalidTransition):
        follow_up(outcome.case, STAFF, "again", visit_on)


def test_a_late_visit_is_not_on_time_and_a_referrals_answer_always_is():
    agreed = record(dispute()).case
    late = follow_up(agreed, STAFF, "回访", FRIDAY + timedelta(days=31))
    assert late.facts[0][1]["on_time"] is False
    referred = record(dispute(), result="referral", referred_to="court").case
    answered = follow_up(referred, STAFF, "法院已立案", FRIDAY + timedelta(days=90))
    assert answered.facts[0][1] == {**answered.facts[0][1], "result": "referral", "on_time": True}


def test_no_follow_up_without_an_outcome_an_empty_note_or_by_a_volunteer():
    with pytest.raises(InvalidTransition):
        follow_up(dispute(), STAFF, "回访", FRIDAY)
    agreed = record(dispute()).case
    with pytest.raises(InvalidRequest):
        follow_up(agreed, STAFF, "   ", FRIDAY)
    with pytest.raises(NotPermitted):
        follow_up(agreed, VOLUNTEER, "回访", FRIDAY)
    with pytest.raises(InvalidTransition):
        follow_up(replace(agreed, state="withdrawn"), STAFF, "回访", FRIDAY)
