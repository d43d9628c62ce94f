"""The mediation desk's figures in the day totals: disputes taken in (a dispute triaged
to the desk, once per case) and appointments set, per day, team and category like every
other count."""

from __future__ import annotations

import pytest

from services.metrics.domain import reports
from services.metrics.domain.evaluation import DESK_FIGURES, desk_quarter
from services.metrics.domain.totals import ALL, add_up
from tests.metrics.sequences import T0, Event, Folded, about


def dispute_event(event_type: str, category: str = "dispute.neighbour", **payload) -> Event:
    block = about(category=category, team="mediation_desk")
    return Event(
        event_type, {**block, "state": "accepted", "previous_state": "accepted", **payload}, T0
    )


def test_a_dispute_triaged_counts_as_a_dispute_taken_by_the_desk():
    day = dispute_event("case.triaged").facts()[0]
    assert day.cells[(*ALL, "disputes_taken")] == 1
    assert day.cells[("team", "mediation_desk", "disputes_taken")] == 1
    assert day.cells[("category", "dispute.neighbour", "disputes_taken")] == 1


def test_another_categorys_triage_or_a_disputes_later_steps_are_no_dispute_taken():
    light = Event("case.triaged", {**about(), "state": "triaged", "previous_state": "reported"}, T0)
    assert (*ALL, "disputes_taken") not in light.facts()[0].cells
    for later in ("case.accepted", "case.assigned", "case.reopened"):
        cells = dispute_event(later, person_id="p-mediator-1").facts()[0].cells
        assert (*ALL, "disputes_taken") not in cells, later  # changing hands counts no more


def test_an_appointment_counts_for_the_desk_and_both_show_in_the_summarys_totals():
    day = dispute_event("case.appointment_set").facts()[0]
    assert day.cells[("team", "mediation_desk", "appointments")] == 1
    assert {"disputes_taken", "appointments"} <= set(reports.TOTALS)


@pytest.mark.parametrize(
    "result, measure", [("agreement", "disputes_settled"), ("referral", "disputes_referred")]
)
def test_an_outcome_counts_a_dispute_settled_or_referred(result, measure):
    cells = dispute_event("case.mediation_outcome", result=result).facts()[0].cells
    assert cells[("team", "mediation_desk", measure)] == 1
    other = {"disputes_settled", "disputes_referred"} - {measure}
    assert (*ALL, other.pop()) not in cells
    assert {"disputes_settled", "disputes_referred"} <= set(reports.TOTALS)


def test_a_follow_up_counts_a_visit_done_and_on_time_or_a_referral_answered():
    visit = dispute_event("case.mediation_followed_up", result="agreement", on_time=True)
    cells = visit.facts()[0].cells
    assert cells[(*ALL, "follow_ups_done")] == 1 and cells[(*ALL, "follow_ups_on_time")] == 1
    late = dispute_event("case.mediation_followed_up", result="agreement", on_time=False)
    assert (*ALL, "follow_ups_on_time") not in late.facts()[0].cells
    answer = dispute_event("case.mediation_followed_up", result="referral", on_time=True)
    cells = answer.facts()[0].cells
    assert cells[(*ALL, "referrals_answered")] == 1 and (*ALL, "follow_ups_done") not in cells


def test_a_follow_up_visit_not_made_counts_apart_from_the_cases_overdue_limits():
    reminder = dispute_event("case.overdue", which="follow_up", due_at=T0)
    day, live = reminder.facts()[:2]
    assert day.cells[(*ALL, "follow_ups_overdue")] == 1
    assert (*ALL, "overdue") not in day.cells and (*ALL, "overdue_resolve") not in day.cells
    assert (*ALL, "overdue_open") not in live.cells
    assert "follow_ups_overdue" in reports.TOTALS


def test_a_session_held_counts_for_the_desk():
    held = dispute_event("case.mediation_session", session="S1", held_at=T0)
    assert held.facts()[0].cells[("team", "mediation_desk", "mediation_sessions")] == 1
    assert "mediation_sessions" in reports.TOTALS


def test_the_evaluation_counts_the_desks_quarter_visits_late_being_those_not_on_time():
    quarter = Folded().fold(
        [
            dispute_event("case.triaged", state="triaged", previous_state="reported"),
            dispute_event("case.mediation_session", session="S1", held_at=T0),
            dispute_event("case.mediation_outcome", result="agreement"),
            dispute_event("case.mediation_followed_up", result="agreement", on_time=False),
            dispute_event("case.overdue", which="follow_up", due_at=T0),
        ]
    )
    desk = desk_quarter(add_up(quarter.days().values()))
    assert list(desk) == list(DESK_FIGURES)
    assert desk == {
        **dict.fromkeys(DESK_FIGURES, 0),
        "disputes_taken": 1,
        "mediation_sessions": 1,
        "disputes_settled": 1,
        "follow_ups_done": 1,
        "follow_ups_late": 1,
        "follow_ups_overdue": 1,
    }
