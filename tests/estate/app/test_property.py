"""The property company's evaluation as estate's use cases run it, on the in-memory twin
with Jingxiang's sample register: one ballot per household from any of its numbers,
paper ballots entered once and corrected, complaints counted once from case events,
closing a quarter (frozen, told once, not twice), the actions, and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lianxin.access.actors import Actor, Forbidden
from lianxin.contracts.cases import CASES
from services.estate.app import property_ballots, property_complaints, property_evaluation, register
from services.estate.app.property_ballots import NotOnRegister
from services.estate.app.register import HouseholdNotFound
from services.estate.domain.households import COLUMNS, rows_from_csv
from services.estate.domain.property_ballots import (
    ASPECTS,
    AlreadyVoted,
    Ballot,
    OfflineAlreadyEntered,
    Tally,
)
from services.estate.domain.property_evaluation import NoCompany, QuarterClosed
from services.estate.domain.property_verdict import ActionRefused
from tests.estate.conftest import staff, volunteer

NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # Q4 in Changsha
LATER = NOW + timedelta(days=1)
ESTATE = "jingxiang-e1"
# household jingxiang-b01-u3-303 of the sample register has two numbers
HOUSEHOLD, FIRST_PHONE, SECOND_PHONE = "jingxiang-b01-u3-303", "13807310385", "13907311413"
RESIDENTS = Actor(
    "k-residents",
    "console-residents",
    frozenset({"report", "verify", "resident"}),
    frozenset({"*"}),
    channels=frozenset({"scan"}),
)


def ballot(answer: str = "dissatisfied") -> Ballot:
    return Ballot.of(answer, dict.fromkeys(ASPECTS, answer), "楼道灯坏了一个月 13807310385")


# a few households of the sample register (importing all 493 costs 3 s a test in memory)
REGISTER = [  # household, estate, numbers
    ("jingxiang-b01-u3-303", "jingxiang-e1", "13807310385;13907311413"),
    ("jingxiang-b02-u1-303", "jingxiang-e1", "13807310364;13907311412"),
    ("jingxiang-b02-u3-103", "jingxiang-e1", "13807310413"),
    ("jingxiang-b03-u1-101", "jingxiang-e1", "13807310999"),
    ("jingxiang-b17-u1-101", "jingxiang-e2", "13807310888"),
]


@pytest.fixture
def sample(parts):
    lines = [
        f"{household},jingxiang,{estate},{household[:13]},{household[:16]},{household[-3:]},80.00,"
        f"{phones}"
        for household, estate, phones in REGISTER
    ]
    rows = rows_from_csv("households.csv", "\n".join([",".join(COLUMNS), *lines]))
    assert register.import_register(parts.store, rows, parts.digest, None, dry_run=False).applied


@pytest.fixture
def under_contract(parts, sample):
    property_evaluation.set_company(
        parts.property,
        "jingxiang",
        ESTATE,
        "金盾物业",
        date(2025, 1, 1),
        date(2028, 1, 1),
        staff(),
        NOW,
    )
    return parts


def cast(parts, phone: str, household: str = HOUSEHOLD, at: datetime = NOW, answer="dissatisfied"):
    return property_ballots.cast(
        parts.property,
        parts.property_rules,
        parts.digest,
        "jingxiang",
        phone,
        household,
        ballot(answer),
        RESIDENTS,
        at,
    )


def estate_now(parts, at: datetime = LATER):
    return property_evaluation.estate_evaluation(
        parts.property, parts.property_rules, "jingxiang", ESTATE, staff(), at
    )


def test_a_household_votes_once_whichever_of_its_numbers_votes(under_contract):
    parts = under_contract
    first = cast(parts, FIRST_PHONE)
    assert (first.estate_id, first.quarter, first.household_id) == (ESTATE, "2026-Q4", HOUSEHOLD)
    with pytest.raises(AlreadyVoted) as refused:
        cast(parts, SECOND_PHONE, at=LATER)
    assert refused.value.at == NOW
    with pytest.raises(AlreadyVoted):
        cast(parts, FIRST_PHONE, at=LATER)  # the same number again: no change of vote
    (live,) = estate_now(parts).open
    assert live.figures.online.ballots == 1
    voters = property_ballots.voter(
        parts.property,
        parts.property_rules,
        parts.digest,
        "jingxiang",
        SECOND_PHONE,
        RESIDENTS,
        LATER,
    )
    assert [(v.household.household_id, v.voted_at) for v in voters] == [(HOUSEHOLD, NOW)]


def test_a_number_on_no_household_and_a_household_not_its_own_cast_nothing(under_contract):
    parts = under_contract
    with pytest.raises(NotOnRegister):
        cast(parts, "13800000000")
    with pytest.raises(NotOnRegister):
        cast(parts, FIRST_PHONE, household="jingxiang-b02-u1-303")  # a neighbour's household
    with pytest.raises(NotOnRegister):
        property_ballots.voter(
            parts.property,
            parts.property_rules,
            parts.digest,
            "jingxiang",
            "13800000000",
            RESIDENTS,
            NOW,
        )
    assert parts.property.quarter_ballots("jingxiang", ESTATE, "2026-Q4") == []


def test_only_the_residents_key_casts_a_ballot(under_contract):
    parts = under_contract
    with pytest.raises(Forbidden):
        property_ballots.cast(
            parts.property,
            parts.property_rules,
            parts.digest,
            "jingxiang",
            FIRST_PHONE,
            HOUSEHOLD,
            ballot(),
            staff(),
            NOW,
        )
    with_a_person = Actor(
        "k-residents",
        "console-residents",
        frozenset({"resident"}),
        frozenset({"*"}),
        person_id="p-staff-1",
        role="staff",
    )
    with pytest.raises(Forbidden):
        property_ballots.cast(
            parts.property,
            parts.property_rules,
            parts.digest,
            "jingxiang",
            FIRST_PHONE,
            HOUSEHOLD,
            ballot(),
            with_a_person,
            NOW,
        )
    elsewhere = Actor("k-r", "other", frozenset({"resident"}), frozenset({"other"}))
    with pytest.raises(NotOnRegister):
        property_ballots.cast(
            parts.property,
            parts.property_rules,
            parts.digest,
            "jingxiang",
            FIRST_PHONE,
            HOUSEHOLD,
            ballot(),
            elsewhere,
            NOW,
        )


def test_an_estate_without_a_company_takes_no_ballot(parts, sample):
    with pytest.raises(NoCompany):
        cast(parts, FIRST_PHONE)


def triaged(
    case_id: str, estate: str | None = ESTATE, property_complaint: bool = True, at: datetime = NOW
):
    """A case.triaged event as cases emits it."""
    payload = {
        "case_id": case_id,
        "number": "LX-1",
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "category": "dispute.property_management",
        "team": "mediation_desk",
        "priority": "normal",
        "channel": "app",
        "state": "triaged",
        "previous_state": "reported",
        "case_version": 2,
        "overdue": False,
        "place": "1栋",
        "category_label": {"zh": "物业纠纷", "en": "Property"},
        "assignee": None,
        "private": True,
        "location": {
            "estate_code": estate,
            "estate": "井湘小区一区",
            "building": None,
            "unit": None,
            "address": None,
            "lat": None,
            "lon": None,
        },
        "description": "物业不修电梯",
        "accept_by": NOW,
        "resolve_by": NOW,
        "triage": {"keywords": []},
        "property_complaint": property_complaint,
    }
    return CASES.new_event("case.triaged", payload, correlation_id="c", case_id=case_id, at=at)


def test_a_property_complaint_counts_once_against_its_estate_even_replayed(under_contract):
    parts, rules = under_contract, under_contract.property_rules
    event = triaged("LX-c1")
    assert property_complaints.on_case_triaged(parts.property, rules, event)
    assert not property_complaints.on_case_triaged(parts.property, rules, event)  # redelivered
    again = triaged("LX-c1")  # triaged again (another event, the same case)
    assert not property_complaints.on_case_triaged(parts.property, rules, again)
    assert not property_complaints.on_case_triaged(parts.property, rules, triaged("LX-c2", None))
    not_one = triaged("LX-c3", property_complaint=False)
    assert not property_complaints.on_case_triaged(parts.property, rules, not_one)
    assert parts.property.complaints_in("jingxiang", ESTATE, "2026-Q4") == 1


def test_paper_ballots_are_entered_once_for_an_open_quarter_and_corrected(under_contract):
    parts, rules = under_contract, under_contract.property_rules
    paper = Tally.of_ballots([ballot("satisfied")] * 30)
    property_evaluation.paper_ballots(
        parts.property, rules, "jingxiang", ESTATE, "2026-Q4", paper, staff(), NOW
    )
    fewer = Tally.of_ballots([ballot("satisfied")] * 3)
    second = staff("jingxiang", "p-staff-2")
    property_evaluation.paper_ballots(
        parts.property, rules, "jingxiang", ESTATE, "2026-Q4", fewer, second, NOW, "数错了"
    )
    with pytest.raises(OfflineAlreadyEntered):  # a second entry is refused: correct it
        property_evaluation.paper_ballots(
            parts.property, rules, "jingxiang", ESTATE, "2026-Q4", fewer, second, NOW
        )
    (live,) = estate_now(parts).open
    assert live.figures.offline.ballots == 3
    entries = parts.property.evaluation("jingxiang", ESTATE).quarter("2026-Q4").offline
    assert [(e.reverses, e.by) for e in entries] == [
        (None, "p-staff-1"),
        (1, "p-staff-2"),
        (None, "p-staff-2"),
    ]


def test_closing_a_quarter_below_the_threshold_freezes_it_warns_and_tells_once(
    under_contract, memory_backend
):
    parts, rules = under_contract, under_contract.property_rules
    phones = ["13807310364", "13807310413", FIRST_PHONE]  # three households of jingxiang-e1
    for phone in phones:
        (voter,) = property_ballots.voter(
            parts.property, rules, parts.digest, "jingxiang", phone, RESIDENTS, NOW
        )
        cast(parts, phone, household=voter.household.household_id)
    paper = Tally.of_ballots([ballot("dissatisfied")] * 6 + [ballot("satisfied")] * 3)
    property_evaluation.paper_ballots(
        parts.property, rules, "jingxiang", ESTATE, "2026-Q4", paper, staff(), NOW
    )
    property_complaints.on_case_triaged(parts.property, rules, triaged("LX-c1"))
    done = property_evaluation.close_quarter(
        parts.property, rules, "jingxiang", ESTATE, "2026-Q4", staff(), LATER
    )
    result = done.quarter("2026-Q4").result
    assert (result.figures.ballots.ballots, result.figures.complaints) == (12, 1)
    assert result.figures.households == 4  # of the estate, on the register
    assert (result.level, result.reasons) == ("warning", ("satisfaction_low", "complaints_high"))
    with pytest.raises(QuarterClosed):
        property_evaluation.close_quarter(
            parts.property, rules, "jingxiang", ESTATE, "2026-Q4", staff(), LATER
        )
    with pytest.raises(QuarterClosed):
        cast(parts, "13907311412", household="jingxiang-b02-u1-303", at=LATER)
    events = memory_backend.published.events
    closed = [e for e in events if e["type"] == "property.quarter_closed"]
    assert len(closed) == 1
    payload = closed[0]["payload"]
    assert (payload["level"], payload["ballots"], payload["satisfaction"]) == ("warning", 12, 0.25)
    assert "13807310385" not in str(payload) and HOUSEHOLD not in str(payload)
    warned = property_evaluation.record_action(
        parts.property,
        rules,
        "jingxiang",
        ESTATE,
        "2026-Q4",
        "warning",
        "约谈物业经理，要求整改保洁",
        None,
        staff(),
        LATER,
    )
    assert [a.kind for a in warned.quarter("2026-Q4").actions] == ["warning"]
    with pytest.raises(ActionRefused):
        property_evaluation.record_action(
            parts.property, rules, "jingxiang", ESTATE, "2026-Q4", "warning", "again", None,
            staff(), LATER,
        )  # fmt: skip


def test_a_plan_recorded_after_16_utc_is_dated_after_the_community_s_day(under_contract):
    """2027-03-31 16:30 UTC is 1 April in Changsha: a plan due on 1 April is due the day it
    is recorded (the UTC date, 31 March, took it)."""
    parts, rules = under_contract, under_contract.property_rules
    first_quarter = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
    for case_id, at, quarter in (("LX-q4", NOW, "2026-Q4"), ("LX-q1", first_quarter, "2027-Q1")):
        property_complaints.on_case_triaged(parts.property, rules, triaged(case_id, at=at))
        closed = property_evaluation.close_quarter(
            parts.property, rules, "jingxiang", ESTATE, quarter, staff(), at + timedelta(days=1)
        )  # one complaint for four households: over the rate, below in a row
    assert closed.quarter("2027-Q1").result.level == "rectification"
    at = datetime(2027, 3, 31, 16, 30, tzinfo=UTC)

    def plan(due: date):
        return property_evaluation.record_action(
            parts.property, rules, "jingxiang", ESTATE, "2027-Q1", "rectification", "保洁每日两次",
            due, staff(), at,
        )  # fmt: skip

    with pytest.raises(ActionRefused) as refused:
        plan(date(2027, 4, 1))
    assert refused.value.code == "due_required"
    assert plan(date(2027, 4, 2)).standing.plan.due == date(2027, 4, 2)


def test_another_community_s_staff_and_a_volunteer_are_refused(under_contract):
    parts, rules = under_contract, under_contract.property_rules
    with pytest.raises(HouseholdNotFound):
        property_evaluation.estate_evaluation(
            parts.property, rules, "jingxiang", ESTATE, staff("other"), NOW
        )
    with pytest.raises(HouseholdNotFound):
        property_evaluation.close_quarter(
            parts.property, rules, "jingxiang", ESTATE, "2026-Q4", staff("other"), NOW
        )
    with pytest.raises(Forbidden):
        property_evaluation.close_quarter(
            parts.property, rules, "jingxiang", ESTATE, "2026-Q4", volunteer(), NOW
        )
    with pytest.raises(Forbidden):
        property_evaluation.evaluations(parts.property, rules, "jingxiang", volunteer(), NOW)
    assert parts.property.evaluation("jingxiang", ESTATE).quarter("2026-Q4").result is None


def test_the_last_quarter_stays_open_until_staff_close_it(under_contract):
    parts = under_contract
    cast(parts, FIRST_PHONE)
    next_quarter = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    shown = estate_now(parts, next_quarter)
    assert [live.quarter for live in shown.open] == ["2026-Q4", "2027-Q1"]
    assert shown.open[0].figures.online.ballots == 1
    assert cast(parts, FIRST_PHONE, at=next_quarter).quarter == "2027-Q1"  # a new quarter's vote


def test_staff_set_their_community_s_thresholds_and_a_closed_quarter_keeps_those_it_was_judged_by(
    under_contract,
):
    parts, rules = under_contract, under_contract.property_rules
    values = {"min_satisfaction": 0.9, "max_complaints_per_100": 50.0, "min_ballots": 1}
    with pytest.raises(Forbidden):
        property_evaluation.set_thresholds(
            parts.property, rules, "jingxiang", values, volunteer(), NOW
        )
    with pytest.raises(HouseholdNotFound):
        property_evaluation.set_thresholds(
            parts.property, rules, "jingxiang", values, staff("other"), NOW
        )
    assert property_evaluation.thresholds(parts.property, rules, "jingxiang") == rules.thresholds
    property_evaluation.set_thresholds(parts.property, rules, "jingxiang", values, staff(), NOW)
    cast(parts, FIRST_PHONE, answer="basically_satisfied")  # 100 % content
    done = property_evaluation.close_quarter(
        parts.property, rules, "jingxiang", ESTATE, "2026-Q4", staff(), LATER
    )
    result = done.quarter("2026-Q4").result
    assert result.thresholds.min_satisfaction == 0.9 and result.level == "none"
    strict = {**values, "min_satisfaction": 1.0}
    property_evaluation.set_thresholds(parts.property, rules, "jingxiang", strict, staff(), LATER)
    kept = parts.property.evaluation("jingxiang", ESTATE).quarter("2026-Q4").result
    assert kept.thresholds.min_satisfaction == 0.9  # judged by the thresholds of its close
