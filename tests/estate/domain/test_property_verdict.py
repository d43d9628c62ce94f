"""The rule that judges the property company (services.estate.domain.property_verdict and
the estate's evaluation, services.estate.domain.property_evaluation): the thresholds, the
escalation across quarters (warning, rectification plan, replacement), a plan's date
passing unmet, a new company starting afresh, and a closed quarter frozen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lianxin.quarters import Quarter
from services.estate.domain import property_evaluation as evaluation
from services.estate.domain.property_ballots import ASPECTS, Ballot, Tally
from services.estate.domain.property_evaluation import (
    Company,
    Evaluation,
    NoCompany,
    QuarterClosed,
    QuarterNotDue,
)
from services.estate.domain.property_verdict import (
    Action,
    ActionRefused,
    Figures,
    Thresholds,
    reasons_below,
)

CHANGSHA = ZoneInfo("Asia/Shanghai")
RULE = Thresholds(min_satisfaction=0.60, max_complaints_per_100=1.0, min_ballots=10)
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")


def tally(content: int, dissatisfied: int) -> Tally:
    ballots = [Ballot.of("satisfied", dict.fromkeys(ASPECTS, "satisfied"))] * content
    ballots += [Ballot.of("dissatisfied", dict.fromkeys(ASPECTS, "dissatisfied"))] * dissatisfied
    return Tally.of_ballots(ballots)


def closing_of(quarter: str) -> datetime:
    """A moment in the first week after the quarter, when staff close it."""
    day = Quarter.parse(quarter).last_day + timedelta(days=4)
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def estate(company: str = "金盾物业") -> Evaluation:
    made = Company.of(
        company, date(2025, 1, 1), date(2028, 1, 1), "p-staff-1", closing_of("2025-Q4")
    )
    return evaluation.with_company(Evaluation("jingxiang", "jingxiang-e1"), made)


def close(held: Evaluation, quarter: str, online: Tally, complaints: int = 0) -> Evaluation:
    at = closing_of(quarter)
    current = str(Quarter.of(at, CHANGSHA))
    return evaluation.closed(held, quarter, current, online, complaints, 2000, RULE, "p-staff-1",
                             at, at.astimezone(CHANGSHA).date())  # fmt: skip


def act(held: Evaluation, quarter: str, action: Action) -> Evaluation:
    """The action recorded on the community's day it was taken."""
    return evaluation.with_action(held, quarter, action, action.at.astimezone(CHANGSHA).date())


def level(held: Evaluation, quarter: str) -> str:
    return held.quarter(quarter).result.level


def test_below_the_satisfaction_threshold_or_above_the_complaints_threshold():
    assert reasons_below(Figures(tally(5, 5), Tally(), 0, 2000), RULE) == ("satisfaction_low",)
    assert reasons_below(Figures(tally(6, 4), Tally(), 20, 2000), RULE) == ()  # 60 %, 1 per 100
    assert reasons_below(Figures(tally(6, 4), Tally(), 21, 2000), RULE) == ("complaints_high",)
    # too few ballots to judge satisfaction, however unhappy
    assert reasons_below(Figures(tally(0, 9), Tally(), 0, 2000), RULE) == ()
    # paper ballots count with the online ones: ten ballots in all are judged
    assert reasons_below(Figures(tally(0, 9), tally(1, 0), 0, 2000), RULE) == ("satisfaction_low",)
    assert reasons_below(Figures(tally(0, 9), tally(18, 0), 0, 2000), RULE) == ()
    assert reasons_below(Figures(tally(0, 0), Tally(), 5, 0), RULE) == ()


def test_quarters_below_in_a_row_warn_then_ask_a_plan_then_recommend_replacement():
    held = estate()
    for quarter, expected in zip(QUARTERS, ("warning", "rectification", "replacement",
                                            "replacement"), strict=False):  # fmt: skip
        held = close(held, quarter, tally(3, 7))
        assert level(held, quarter) == expected
    assert held.quarter("2026-Q3").result.reasons == ("satisfaction_low",)


def test_a_quarter_at_the_thresholds_ends_the_run():
    held = close(estate(), "2026-Q1", tally(3, 7))
    held = close(held, "2026-Q2", tally(8, 2))
    held = close(held, "2026-Q3", tally(3, 7), complaints=25)
    assert [level(held, q) for q in QUARTERS[:3]] == ["warning", "none", "warning"]
    assert held.quarter("2026-Q3").result.reasons == ("satisfaction_low", "complaints_high")


def test_a_plan_whose_date_passes_unmet_recommends_replacement():
    held = close(close(estate(), "2026-Q1", tally(3, 7)), "2026-Q2", tally(3, 7))
    plan = Action("rectification", "p-staff-1", closing_of("2026-Q2"), "保洁每日两次",
                  due=date(2026, 8, 31))  # fmt: skip
    held = act(held, "2026-Q2", plan)
    assert held.standing.plan.due == date(2026, 8, 31)
    good = close(held, "2026-Q3", tally(9, 1))
    assert level(good, "2026-Q3") == "replacement"
    assert good.quarter("2026-Q3").result.reasons == ("plan_overdue",)
    met = Action("plan_met", "p-staff-1", datetime(2026, 8, 30, tzinfo=UTC), "已整改到位")
    good = close(act(held, "2026-Q2", met), "2026-Q3", tally(9, 1))
    assert level(good, "2026-Q3") == "none"


def test_a_new_company_starts_without_its_predecessor_s_record():
    held = close(close(estate(), "2026-Q1", tally(3, 7)), "2026-Q2", tally(3, 7))
    replaced = evaluation.with_company(
        held,
        Company.of(
            "绿城物业", date(2026, 7, 1), date(2029, 7, 1), "p-staff-1", closing_of("2026-Q2")
        ),
    )
    held = close(replaced, "2026-Q3", tally(3, 7))
    assert level(held, "2026-Q3") == "warning"
    assert [company.name for company in held.past] == ["金盾物业"]


def test_staff_record_only_what_the_verdict_requires_once():
    held = close(estate(), "2026-Q1", tally(3, 7))
    at = closing_of("2026-Q1")
    with pytest.raises(ActionRefused, match="rectification") as refused:
        act(held, "2026-Q1", Action("rectification", "p-staff-1", at, "x",
                                                       due=date(2026, 6, 1)))  # fmt: skip
    assert refused.value.code == "not_required"
    warned = act(held, "2026-Q1", Action("warning", "p-staff-1", at, "约谈"))
    assert [action.kind for action in warned.quarter("2026-Q1").actions] == ["warning"]
    with pytest.raises(ActionRefused) as refused:
        act(warned, "2026-Q1", Action("warning", "p-staff-2", at, "again"))
    assert refused.value.code == "already_recorded"
    with pytest.raises(ActionRefused) as refused:
        act(warned, "2026-Q1", Action("warning", "p-staff-2", at, "  "))
    assert refused.value.code == "text_required"
    with pytest.raises(ActionRefused) as refused:
        act(warned, "2026-Q1", Action("plan_met", "p-staff-2", at, "ok"))
    assert refused.value.code == "no_open_plan"


def test_a_plan_needs_a_date_after_the_day_it_is_recorded():
    held = close(close(estate(), "2026-Q1", tally(3, 7)), "2026-Q2", tally(3, 7))
    at = closing_of("2026-Q2")
    for due in (None, at.date()):
        with pytest.raises(ActionRefused) as refused:
            act(held, "2026-Q2", Action("rectification", "p", at, "x", due))
        assert refused.value.code == "due_required"


def test_a_plan_is_dated_after_the_community_s_day_not_utc_s():
    """At 16:30 UTC it is already the next day in Changsha: a plan due that day is due
    the day it is recorded, and one due the day before is overdue when a quarter closes."""
    held = close(close(estate(), "2026-Q1", tally(3, 7)), "2026-Q2", tally(3, 7))
    at = datetime(2026, 7, 4, 16, 30, tzinfo=UTC)  # 2026-07-05 00:30 in Changsha
    with pytest.raises(ActionRefused) as refused:
        act(held, "2026-Q2", Action("rectification", "p", at, "x", date(2026, 7, 5)))
    assert refused.value.code == "due_required"
    planned = act(held, "2026-Q2", Action("rectification", "p", at, "x", date(2026, 7, 6)))
    closing = datetime(2026, 7, 5, 16, 30, tzinfo=UTC)  # 07-06 in Changsha, the plan's date
    met_in_time = evaluation.closed(planned, "2026-Q3", "2026-Q3", tally(9, 1), 0, 2000, RULE,
                                    "p", closing, date(2026, 7, 6))  # fmt: skip
    assert met_in_time.quarter("2026-Q3").result.reasons == ()
    late = closing + timedelta(days=1)  # 07-07 in Changsha
    overdue = evaluation.closed(planned, "2026-Q3", "2026-Q3", tally(9, 1), 0, 2000, RULE, "p",
                                late, late.astimezone(CHANGSHA).date())  # fmt: skip
    assert overdue.quarter("2026-Q3").result.reasons == ("plan_overdue",)


def test_actions_go_on_the_latest_closed_quarter_only():
    held = close(close(estate(), "2026-Q1", tally(3, 7)), "2026-Q2", tally(3, 7))
    with pytest.raises(ActionRefused) as refused:
        act(held, "2026-Q1", Action("warning", "p", closing_of("2026-Q2"), "x"))
    assert refused.value.code == "not_latest"


def test_a_closed_quarter_is_frozen():
    held = close(estate(), "2026-Q1", tally(3, 7))
    at = closing_of("2026-Q1")
    with pytest.raises(QuarterClosed):
        close(held, "2026-Q1", tally(9, 0))
    with pytest.raises(QuarterClosed):
        evaluation.with_offline(held, "2026-Q1", "2026-Q2", tally(9, 0), "p-staff-1", at)
    with pytest.raises(QuarterClosed):
        held.open_for_ballots("2026-Q1")
    held.open_for_ballots("2026-Q2")
    assert held.quarter("2026-Q1").result.figures.online == tally(3, 7)


def test_only_a_begun_quarter_after_the_latest_closed_may_be_closed():
    held = close(estate(), "2026-Q2", tally(3, 7))
    with pytest.raises(QuarterNotDue):
        close(held, "2026-Q1", tally(3, 7))
    at = datetime(2026, 8, 1, tzinfo=UTC)
    with pytest.raises(QuarterNotDue):
        evaluation.closed(held, "2026-Q4", "2026-Q3", Tally(), 0, 10, RULE, "p", at, at.date())


def test_no_company_nothing_to_rate_or_close():
    bare = Evaluation("jingxiang", "jingxiang-e4")
    with pytest.raises(NoCompany):
        bare.open_for_ballots("2026-Q4")
    with pytest.raises(NoCompany):
        close(bare, "2026-Q4", Tally())


def test_offline_results_count_in_the_closed_quarter():
    at = closing_of("2026-Q4")  # paper ballots counted after the quarter's end
    held = evaluation.with_offline(estate(), "2026-Q4", "2027-Q1", tally(2, 8), "p-staff-1", at)
    with pytest.raises(QuarterNotDue):
        evaluation.with_offline(held, "2027-Q2", "2027-Q1", tally(2, 8), "p-staff-1", at)
    held = close(held, "2026-Q4", tally(9, 1))
    result = held.quarter("2026-Q4").result
    assert result.figures.ballots.ballots == 20
    assert result.figures.ballots.satisfaction == pytest.approx(0.55)
    assert result.level == "warning"
