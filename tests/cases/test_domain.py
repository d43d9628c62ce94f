"""The case lifecycle and triage rules: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from services.cases import domain
from services.cases.domain import (
    ACTIONS,
    STATES,
    TRANSITIONS,
    Case,
    InvalidTransition,
    NotAssignee,
    UnknownCategory,
)
from services.cases.schemas import EVENTS
from services.cases.store import TAXONOMY_FILE, load_taxonomy

REPO = Path(__file__).parents[2]
SAMPLE_COMMUNITY = REPO / "services" / "roster" / "data" / "sample_community.yaml"
TAXONOMY = load_taxonomy()
AT = datetime(2026, 3, 6, 1, 30, tzinfo=UTC)
INTAKE = {
    "description": "3栋2单元楼道灯坏了，晚上看不见",
    "community_id": "jingxiang",
    "channel": "hotline",
    "location": {"grid_id": "jingxiang-g1", "building": "3", "unit": "2"},
    "reporter": {"name": "张三", "phone": "13807310001"},
}
OFFER = {"offer_id": "OF-1", "person_id": "p-repair-1", "display_name": "石*"}


def case_in(state: str, **fields) -> Case:
    return Case(
        id="C-1",
        state=state,
        community_id="jingxiang",
        grid_id="jingxiang-g1",
        description="楼道灯坏了",
        channel="app",
        reported_at=AT,
        **fields,
    )


def reported(**intake) -> domain.Change:
    return domain.report("C-1", {**INTAKE, **intake}, TAXONOMY, AT)


def dispatched() -> Case:
    return domain.dispatch(reported().case, OFFER, AT + timedelta(minutes=1)).case


def accepted() -> Case:
    return domain.accept(dispatched(), "p-repair-1", AT + timedelta(minutes=5)).case


# The transition table


@pytest.mark.parametrize(("state", "action"), sorted(product(STATES, ACTIONS)))
def test_every_state_and_action_either_moves_to_the_table_target_or_is_refused(state, action):
    case = case_in(state)
    target = TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(InvalidTransition) as refused:
            domain.transition(case, action, AT, by="someone")
        assert refused.value.state == state
        assert refused.value.details() == {"state": state, "action": action}
        assert state in str(refused.value)
    else:
        moved = domain.transition(case, action, AT, by="someone", note="why")
        assert moved.state == target
        assert moved.timeline[-1] == domain.Step(AT, action, target, "someone", "why")
    assert case == case_in(state)


def test_every_state_is_reachable_from_reported():
    reached, frontier = {"reported"}, ["reported"]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source == state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == STATES


def test_only_rejected_merged_and_rated_are_final():
    final = {state for state in STATES if not any(source == state for source, _ in TRANSITIONS)}
    assert final == {"rejected", "merged", "rated"}


# Triage at report time


def test_a_report_is_triaged_at_once_with_two_facts():
    change = reported()
    assert change.case.state == "triaged"
    assert [step.action for step in change.case.timeline] == ["report", "triage"]
    assert change.case.timeline[0].by == "hotline"
    assert [kind for kind, _ in change.facts] == ["case.reported", "case.triaged"]
    reported_fact, triaged_fact = (payload for _, payload in change.facts)
    assert reported_fact["channel"] == "hotline"
    assert reported_fact["reported_at"] == AT
    assert triaged_fact["location"] == INTAKE["location"]
    assert triaged_fact["grid_id"] == "jingxiang-g1"


def test_the_reporters_category_wins_over_keywords():
    case = reported(description="楼道灯坏了", category="parking.fire_lane").case
    assert case.category == "parking.fire_lane"
    assert case.team == "red_vests"
    assert case.priority == "urgent"


def test_an_unknown_category_hint_is_refused():
    with pytest.raises(UnknownCategory) as refused:
        reported(category="facility.teleporter")
    assert refused.value.code == "facility.teleporter"
    assert "category" in refused.value.details()["fields"]


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("3栋楼道灯坏了，晚上看不见", "facility.lighting"),
        ("厨房水管漏水", "facility.household_repair"),
        ("小区绿地被人种菜了", "environment.green_space_encroachment"),
        ("有人在楼上高空抛物，很危险", "civility.thrown_objects"),
        ("楼下有人推销保健品", "security.fraud_sales"),
        ("隔壁独居老人好几天没出门", "care.elderly_alone"),
        ("The dog next door runs about off its lead", "civility.pets"),
        ("STAIRWELL full of old furniture", "environment.stairwell_clutter"),
        ("An abandoned car has sat here for months", "parking.zombie_car"),
    ],
)
def test_a_report_without_category_is_classified_by_keyword(description, category):
    case = reported(description=description).case
    assert case.category == category
    assert case.team == TAXONOMY.categories[category].team


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("消防通道被车堵了", "parking.fire_lane"),
        ("楼道堆物堵塞消防通道", "environment.stairwell_clutter"),
    ],
    ids=["fire_lane_blocked_by_car", "stairwell_clutter_blocking_fire_lane"],
)
def test_a_blocked_fire_lane_is_not_mistaken_for_a_blocked_drain(description, category):
    assert reported(description=description).case.category == category


def test_a_report_matching_no_keyword_falls_back_to_the_grid_workers():
    case = reported(description="电梯有异响").case
    assert case.category == TAXONOMY.fallback == "general.other"
    assert case.team == "grid_workers"


def test_deadlines_follow_the_category():
    case = reported(category="parking.fire_lane").case
    assert case.accept_by == AT + timedelta(minutes=10)
    assert case.resolve_by == AT + timedelta(hours=2)


@given(
    code=st.sampled_from(sorted(TAXONOMY.categories)),
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)
def test_deadlines_are_the_taxonomy_minutes_and_hours_after_the_report(code, at):
    raw = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))["categories"][code]
    case = domain.report("C-1", {**INTAKE, "category": code}, TAXONOMY, at).case
    assert case.accept_by - at == timedelta(minutes=raw["accept_within_minutes"])
    assert case.resolve_by - at == timedelta(hours=raw["resolve_within_hours"])
    assert case.accept_by < case.resolve_by


# The taxonomy is consistent with the people who staff it


def test_every_category_is_handled_by_a_team_the_community_staffs():
    teams = yaml.safe_load(SAMPLE_COMMUNITY.read_text(encoding="utf-8"))["teams"]
    unstaffed = {
        code: category.team
        for code, category in TAXONOMY.categories.items()
        if category.team not in teams
    }
    assert unstaffed == {}


def test_the_fallback_is_a_category_and_every_other_category_has_keywords():
    assert TAXONOMY.fallback in TAXONOMY.categories
    without = {code for code, cat in TAXONOMY.categories.items() if not cat.keywords}
    assert without == {TAXONOMY.fallback}


# Dispatch, accept, resolve, escalate


def test_dispatch_offers_the_case_and_says_to_whom():
    case = reported().case
    change = domain.dispatch(case, OFFER, AT)
    assert change.case.state == "dispatched"
    assert (change.case.assignee, change.case.offer_id) == ("p-repair-1", "OF-1")
    [(kind, payload)] = change.facts
    assert kind == "case.dispatched"
    assert payload["person_id"] == "p-repair-1"
    assert payload["display_name"] == "石*"
    assert payload["offer_id"] == "OF-1"
    assert payload["accept_by"] == case.accept_by
    assert payload["team"] == "repair_crew"


def test_the_assignee_accepts():
    change = domain.accept(dispatched(), "p-repair-1", AT)
    assert change.case.state == "accepted"
    assert change.facts == (
        ("case.accepted", {**domain._about(change.case), "person_id": "p-repair-1"}),
    )


def test_someone_else_cannot_accept():
    case = dispatched()
    with pytest.raises(NotAssignee):
        domain.accept(case, "p-intruder", AT)


def test_accepting_a_case_not_offered_is_an_invalid_transition_not_a_wrong_person():
    with pytest.raises(InvalidTransition) as refused:
        domain.accept(reported().case, "p-repair-1", AT)
    assert refused.value.state == "triaged"


def test_the_assignee_resolves_and_earns_hours():
    change = domain.resolve(accepted(), "p-repair-1", "换了灯泡", 1.5, AT + timedelta(hours=1))
    assert change.case.state == "resolved"
    assert change.case.resolution == "换了灯泡"
    assert change.case.volunteer_hours == 1.5
    [(kind, payload)] = change.facts
    assert kind == "case.resolved"
    assert payload["person_id"] == "p-repair-1"
    assert payload["volunteer_hours"] == 1.5


def test_someone_else_cannot_resolve():
    case = accepted()
    with pytest.raises(NotAssignee):
        domain.resolve(case, "p-intruder", "done", 1.0, AT)


@pytest.mark.parametrize(
    ("after_deadline", "on_time"),
    [
        (-timedelta(hours=1), True),
        (timedelta(0), True),
        (timedelta(seconds=1), False),
        (timedelta(days=2), False),
    ],
)
def test_resolved_on_time_means_by_the_resolve_deadline(after_deadline, on_time):
    case = accepted()
    at = case.resolve_by + after_deadline
    [(_, payload)] = domain.resolve(case, "p-repair-1", "done", 1.0, at).facts
    assert payload["on_time"] is on_time


def test_escalation_records_level_and_reason():
    change = domain.escalate(dispatched(), "grid_leader", "nobody on duty", AT)
    assert change.case.state == "escalated"
    assert change.case.timeline[-1].note == "grid_leader: nobody on duty"
    [(kind, payload)] = change.facts
    assert kind == "case.escalated"
    assert (payload["level"], payload["reason"]) == ("grid_leader", "nobody on duty")


def test_every_fact_satisfies_its_event_schema():
    first = reported()
    offered = domain.dispatch(first.case, OFFER, AT)
    taken = domain.accept(offered.case, "p-repair-1", AT)
    done = domain.resolve(taken.case, "p-repair-1", "done", 1.0, AT)
    escalated = domain.escalate(first.case, "grid_leader", "nobody on duty", AT)
    for change in (first, offered, taken, done, escalated):
        for kind, payload in change.facts:
            event = EVENTS.new_event(kind, payload, correlation_id="corr-1", case_id="C-1")
            assert EVENTS.read(event.to_message()).type == kind  # raises if off-schema


# Random sequences of actions


def perform(case: Case, action: str, at: datetime) -> Case:
    """Use the domain's own function where there is one, the bare transition otherwise."""
    if action == "dispatch":
        return domain.dispatch(case, OFFER, at).case
    if action == "accept":
        return domain.accept(case, OFFER["person_id"], at).case
    if action == "resolve":
        return domain.resolve(case, OFFER["person_id"], "done", 1.0, at).case
    if action == "escalate":
        return domain.escalate(case, "grid_leader", "timeout", at).case
    return domain.transition(case, action, at, by="staff")


@given(st.lists(st.sampled_from(sorted(ACTIONS)), max_size=40))
def test_any_sequence_of_actions_stays_inside_the_lifecycle(actions):
    case = reported().case
    for minute, action in enumerate(actions, start=1):
        before = case
        try:
            case = perform(case, action, AT + timedelta(minutes=minute))
        except InvalidTransition as refused:
            assert (before.state, action) not in TRANSITIONS
            assert refused.state == before.state
            continue
        assert case.state == TRANSITIONS[(before.state, action)]
        assert case.state in STATES
        assert case.timeline[: len(before.timeline)] == before.timeline
        assert len(case.timeline) == len(before.timeline) + 1
        assert case.timeline[-1].state == case.state
