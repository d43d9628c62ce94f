"""The property evaluation's documents (services.estate.domain.property_records): a value
written and read back is the value it was, quarters, plans and paper entries included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.estate.domain import property_evaluation as evaluation
from services.estate.domain.property_ballots import ASPECTS, Ballot, Tally
from services.estate.domain.property_evaluation import Company, Evaluation
from services.estate.domain.property_records import (
    CastBallot,
    Complaint,
    cast_document,
    cast_from,
    complaint_document,
    complaint_from,
    evaluation_document,
    evaluation_from,
)
from services.estate.domain.property_verdict import Action, Thresholds

AT = datetime(2026, 7, 3, 2, 0, tzinfo=UTC)


def test_an_evaluation_with_closed_quarters_a_plan_and_paper_entries_reads_back_as_written():
    unhappy = Tally.of_ballots(
        [Ballot.of("dissatisfied", dict.fromkeys(ASPECTS, "satisfied"))] * 12
    )
    held = evaluation.with_company(
        Evaluation("jingxiang", "jingxiang-e1"),
        Company.of("金盾物业", date(2025, 1, 1), date(2028, 1, 1), "p-staff-1", AT),
    )
    held = evaluation.with_offline(held, "2026-Q1", "2026-Q3", unhappy, "p-staff-1", AT)
    held = evaluation.with_correction(
        held, "2026-Q1", "2026-Q3", unhappy + unhappy, "漏计", "p", AT
    )
    for quarter in ("2026-Q1", "2026-Q2"):
        held = evaluation.closed(
            held, quarter, "2026-Q3", unhappy, 3, 170, Thresholds(), "p", AT, AT.date()
        )
    plan = Action("rectification", "p-staff-1", AT, "每日清运垃圾", date(2026, 9, 30))
    held = evaluation.with_action(held, "2026-Q2", plan, AT.date())
    assert held.standing.plan is not None and held.standing.below_in_a_row == 2
    assert evaluation_from(evaluation_document(held)) == held


def test_a_ballot_and_a_complaint_read_back_as_written():
    cast = CastBallot(
        "jingxiang",
        "jingxiang-e1",
        "2026-Q3",
        "jingxiang-b01-u1-101",
        Ballot.of("satisfied", dict.fromkeys(ASPECTS, "basically_satisfied"), "好"),
        AT,
    )
    assert cast_from(cast_document(cast)) == cast
    complaint = Complaint(
        "jingxiang", "jingxiang-e1", "2026-Q3", "LX-1", "dispute.property_management", AT
    )
    assert complaint_from(complaint_document(complaint)) == complaint
