"""The case lifecycle: the transition table over every (state, action) pair, who may do
what, and random sequences of actions. Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.cases.domain import areas, clock_actions, lifecycle
from services.cases.domain.case import (
    ACTIONS,
    DONE,
    FINAL,
    STATES,
    TRANSITIONS,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    NotAssignee,
    NotPermitted,
    Step,
    transition,
)
from services.cases.events import EMITS
from tests.cases.factories import (
    ADMIN,
    AT,
    GRID_WORKER,
    OFFER,
    OTHER_KEY,
    REPORTER,
    STAFF,
    STRANGER,
    TAXONOMY,
    VOLUNTEER,
    accepted,
    closed,
    community,
    dispatched,
    member,
    report,
    resolved,
    triaged,
)

LATER = AT + timedelta(hours=1)


def case_in(state: str, **fields) -> Case:
    return replace(triaged(), state=state, **fields)


# The table


@pytest.mark.parametrize(("state", "action"), sorted(product(STATES, ACTIONS)))
def test_every_state_and_action_moves_to_the_table_target_or_is_refused_with_the_state(
    state, action
):
    case = case_in(state)
    target = TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(InvalidTransition) as refused:
            transition(case, action, AT, STAFF)
        assert refused.value.details() == {"state": state, "action": action}
        assert state in str(refused.value) and f"'{action}'" in str(refused.value)
    else:
        moved = transition(case, action, AT, STAFF, note="why", attachments=("https://x/1.jpg",))
        assert moved.state == target
        assert moved.timeline[-1] == Step(
            AT, action, target, "p-staff-1", "api", "staff", "why", ("https://x/1.jpg",)
        )
    assert case == case_in(state)  # the case itself is never changed in place


def test_every_state_is_reachable_from_reported_and_only_three_are_final():
    reached, frontier = {"reported"}, ["reported"]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source == state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == STATES
    final = {state for state in STATES if not any(source == state for source, _ in TRANSITIONS)}
    assert final == FINAL == {"rejected", "merged", "withdrawn"}


def test_an_escalated_case_has_two_ways_out_and_a_declined_one_goes_back_to_roster():
    assert TRANSITIONS[("escalated", "assign")] == "dispatched"
    assert TRANSITIONS[("escalated", "dispatch")] == "dispatched"
    assert TRANSITIONS[("declined", "dispatch")] == "dispatched"
    assert TRANSITIONS[("dispatched", "expire")] == "triaged"


# Who may act


def test_only_the_assignee_accepts_declines_and_resolves_and_only_as_a_person():
    case = dispatched()
    for action in (
        lambda by: lifecycle.accept(case, by, LATER),
        lambda by: lifecycle.decline(case, by, "busy", LATER),
    ):
        with pytest.raises(NotAssignee):
            action(STRANGER)
        with pytest.raises(NotPermitted):
            action(REPORTER)  # a key without a person
        with pytest.raises(NotPermitted):
            action(ADMIN)  # even an admin key must name the person acting
    with pytest.raises(NotAssignee):
        lifecycle.resolve(accepted(), STRANGER, "done", 1.0, (), LATER)


def test_a_state_that_does_not_fit_is_a_409_before_the_person_is_checked():
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.resolve(dispatched(), STRANGER, "done", 1.0, (), LATER)
    assert refused.value.state == "dispatched"


@pytest.mark.parametrize(
    ("by", "allowed"),
    [(STAFF, True), (ADMIN, True), (GRID_WORKER, True), (VOLUNTEER, False), (REPORTER, False)],
    ids=["staff", "admin-key", "grid-worker", "volunteer", "reporter-key"],
)
def test_checkers_verify_and_nobody_else(by, allowed):
    if allowed:
        assert lifecycle.verify(resolved(), by, "ok", LATER).case.state == "closed"
    else:
        with pytest.raises(NotPermitted):
            lifecycle.verify(resolved(), by, "ok", LATER)


@pytest.mark.parametrize(
    ("by", "allowed"),
    [(REPORTER, True), (STAFF, True), (OTHER_KEY, False), (VOLUNTEER, False)],
    ids=["the-reporting-channel", "staff", "another-integration", "volunteer"],
)
def test_only_the_channel_that_reported_a_case_or_staff_rate_and_withdraw_it(by, allowed):
    if allowed:
        assert lifecycle.rate(closed(), by, 5, "很好", LATER).case.state == "rated"
        assert lifecycle.withdraw(triaged(), by, "自己修好了", LATER).case.state == "withdrawn"
    else:
        with pytest.raises(NotPermitted):
            lifecycle.rate(closed(), by, 5, "", LATER)
        with pytest.raises(NotPermitted):
            lifecycle.withdraw(triaged(), by, "", LATER)


def test_staff_assign_takes_an_escalated_case_out_and_roster_offers_no_longer_override_it():
    escalated = lifecycle.escalate(triaged(), "grid_leader", "no rota", STAFF, LATER).case
    assigned = lifecycle.assign(escalated, member("p-repair-3"), "严师傅", "", STAFF, LATER)
    assert assigned.case.state == "dispatched" and assigned.case.assignee == "p-repair-3"
    assert assigned.case.assignee_name == "严**"  # a display name is masked like any other
    assert [kind for kind, _ in assigned.facts] == ["case.assigned"]
    with pytest.raises(InvalidTransition):
        lifecycle.dispatch(assigned.case, OFFER, LATER)
    with pytest.raises(NotPermitted):
        lifecycle.assign(escalated, member("p-repair-3"), "严师傅", "", VOLUNTEER, LATER)


@pytest.mark.parametrize(
    "person",
    [
        None,
        member("p-repair-3", community_id="jinning"),
        member("p-repair-3", active=False),
    ],
    ids=["unknown", "of-another-community", "inactive"],
)
def test_staff_assign_only_to_an_active_person_of_the_cases_community(person):
    escalated = lifecycle.escalate(triaged(), "grid_leader", "no rota", STAFF, LATER).case
    with pytest.raises(InvalidRequest) as refused:
        lifecycle.assign(escalated, person, "严师傅", "", STAFF, LATER)
    assert refused.value.field_name == "person_id"


def test_whoever_resolved_a_case_cannot_verify_it_even_as_a_checker():
    resolver = replace(VOLUNTEER, role="grid_worker")
    accepted_case = lifecycle.accept(dispatched(), resolver, LATER).case
    case = lifecycle.resolve(accepted_case, resolver, "换了灯泡", 1.0, (), LATER).case
    with pytest.raises(NotPermitted, match="resolved"):
        lifecycle.verify(case, resolver, "ok", LATER)
    assert lifecycle.verify(case, GRID_WORKER, "ok", LATER).case.state == "closed"


def test_an_offer_expiry_only_counts_for_the_offer_the_case_holds():
    case = dispatched()
    with pytest.raises(InvalidTransition):
        lifecycle.expire(case, {**OFFER, "offer_id": "OF-OLD"}, LATER)
    expired = lifecycle.expire(case, OFFER, LATER).case
    assert (expired.state, expired.assignee, expired.offer_id) == ("triaged", None, None)
    assert (
        lifecycle.dispatch(expired, {**OFFER, "offer_id": "OF-2", "attempt": 2}, LATER).case.attempt
        == 2
    )


def test_a_decline_goes_back_to_roster_with_the_reason():
    outcome = lifecycle.decline(dispatched(), VOLUNTEER, "在外地", LATER)
    assert outcome.case.state == "declined" and outcome.case.assignee is None
    kind, payload = outcome.facts[0]
    assert kind == "case.declined"
    assert (payload["person_id"], payload["offer_id"], payload["reason"]) == (
        "p-repair-1",
        "OF-1",
        "在外地",
    )


def test_escalating_an_accepted_case_tells_the_grid_leader_and_keeps_the_assignee():
    outcome = lifecycle.escalate(accepted(), "grid_leader", "resolve time passed", STAFF, LATER)
    assert outcome.case.state == "accepted" and outcome.case.assignee == "p-repair-1"
    assert outcome.facts[0][1]["previous_state"] == "accepted"


def test_a_reopened_case_starts_its_limits_again_and_names_who_had_resolved_it():
    outcome = lifecycle.reopen(closed(), TAXONOMY, STAFF, "灯又坏了", LATER)
    case = outcome.case
    assert case.state == "reopened" and case.reopen_count == 1
    assert case.assignee is None and case.clock_start == LATER and case.resolve_by > LATER
    payload = outcome.facts[0][1]
    assert payload["person_id"] == "p-repair-1" and payload["reopen_count"] == 1
    assert [timer.payload["step"] for timer in outcome.timers] == ["warning"]  # the next one
    resolved_again = lifecycle.resolve(
        lifecycle.accept(
            lifecycle.dispatch(case, {**OFFER, "offer_id": "OF-9"}, LATER).case, VOLUNTEER, LATER
        ).case,
        VOLUNTEER,
        "再修",
        1.0,
        (),
        LATER,
    )
    assert resolved_again.facts[0][1]["first_time"] is False


def test_merging_needs_an_open_case_of_the_same_community():
    duplicate = triaged()
    original = replace(triaged(), id="LX-2", number="JX-20260306-0002")
    merged = lifecycle.merge(duplicate, original, STAFF, LATER)
    assert merged.case.merged_into == {"case_id": "LX-2", "number": "JX-20260306-0002"}
    assert merged.facts[0][1]["into_number"] == "JX-20260306-0002"
    for target in (
        replace(original, state="closed"),
        replace(original, community_id="x"),
        duplicate,
    ):
        with pytest.raises(InvalidTransition):
            lifecycle.merge(duplicate, target, STAFF, LATER)


def test_an_extension_must_reach_past_the_current_limit_and_staff_decide_it():
    case = accepted()
    with pytest.raises(InvalidRequest):
        clock_actions.request_extension(case, VOLUNTEER, case.resolve_by, "需要配件", LATER)
    with pytest.raises(NotPermitted):
        clock_actions.request_extension(
            case, STRANGER, case.resolve_by + timedelta(days=1), "x", LATER
        )
    until = case.resolve_by + timedelta(days=2)
    asked = clock_actions.request_extension(case, VOLUNTEER, until, "需要配件", LATER).case
    with pytest.raises(NotPermitted):
        clock_actions.decide_extension(asked, TAXONOMY, VOLUNTEER, True, "", LATER)
    refused = clock_actions.decide_extension(asked, TAXONOMY, STAFF, False, "", LATER)
    assert refused.case.resolve_by == case.resolve_by and refused.timers == ()
    with pytest.raises(clock_actions.ExtensionNotPending):
        clock_actions.decide_extension(refused.case, TAXONOMY, STAFF, True, "", LATER)
    approved = clock_actions.decide_extension(asked, TAXONOMY, STAFF, True, "", LATER)
    assert approved.case.resolve_by == until
    assert approved.case.clock_generation == case.clock_generation + 1
    (timer,) = approved.timers  # a new clock's chain starts at its earliest timer
    assert timer.payload["which"] == "resolve" and timer.payload["due_at"] == until.isoformat()


# Random sequences


ACTORS = st.sampled_from([VOLUNTEER, STRANGER, STAFF, REPORTER, OTHER_KEY, ADMIN, GRID_WORKER])
STEPS = st.sampled_from(
    [
        "dispatch",
        "expire",
        "escalate",
        "assign",
        "accept",
        "decline",
        "resolve",
        "verify",
        "rate",
        "reopen",
        "reject",
        "withdraw",
        "suspend",
        "resume",
        "extend",
        "decide",
    ]
)
DOMAIN_ERRORS = (
    InvalidTransition,
    NotAssignee,
    NotPermitted,
    InvalidRequest,
    clock_actions.ExtensionNotPending,
)


def run(case: Case, step: str, by: By, at):
    actions = {
        "dispatch": lambda: lifecycle.dispatch(case, {**OFFER, "offer_id": f"OF-{at.minute}"}, at),
        "expire": lambda: lifecycle.expire(case, {**OFFER, "offer_id": case.offer_id or "-"}, at),
        "escalate": lambda: lifecycle.escalate(case, lifecycle.next_level(case), "x", by, at),
        "assign": lambda: lifecycle.assign(case, member("p-repair-1"), "石师傅", "", by, at),
        "accept": lambda: lifecycle.accept(case, by, at),
        "decline": lambda: lifecycle.decline(case, by, "busy", at),
        "resolve": lambda: lifecycle.resolve(case, by, "done", 1.0, (), at),
        "verify": lambda: lifecycle.verify(case, by, "ok", at),
        "rate": lambda: lifecycle.rate(case, by, 4, "", at),
        "reopen": lambda: lifecycle.reopen(case, TAXONOMY, by, "again", at),
        "reject": lambda: lifecycle.reject(case, by, "not ours", at),
        "withdraw": lambda: lifecycle.withdraw(case, by, "fixed", at),
        "suspend": lambda: clock_actions.suspend(case, by, "water company", at),
        "resume": lambda: clock_actions.resume(case, TAXONOMY, by, "", at),
        "extend": lambda: clock_actions.request_extension(
            case, by, at + timedelta(days=9), "x", at
        ),
        "decide": lambda: clock_actions.decide_extension(case, TAXONOMY, by, True, "", at),
    }
    return actions[step]()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(STEPS, ACTORS), max_size=25))
def test_any_sequence_of_actions_keeps_the_case_consistent_and_every_event_valid(steps):
    case = triaged()
    for index, (step, by) in enumerate(steps):
        at = AT + timedelta(minutes=index + 1)
        before = case
        try:
            outcome = run(case, step, by, at)
        except DOMAIN_ERRORS:
            continue  # refused: nothing to check but that the case is unchanged (immutable)
        case = outcome.case
        assert case.state in STATES
        assert before.state not in FINAL, "a final state never moves"
        versions = [
            payload["case_version"] for kind, payload in outcome.facts if kind != "hotline.reply"
        ]
        assert versions == list(range(before.version + 1, case.version + 1))
        for kind, payload in outcome.facts:
            EMITS.new_event(kind, payload, correlation_id="c", case_id=case.id)  # validates
            if kind != "hotline.reply":
                assert payload["state"] == case.state and payload["previous_state"] == before.state
        if case.state != before.state:
            assert case.timeline[-1].state == case.state
        assert case.state != "accepted" or case.assignee is not None
        assert case.suspended_since is None or case.state not in DONE


def test_a_case_waiting_for_triage_keeps_its_suggestions_and_hand_triage_places_it():
    waiting = report("楼梯那边很奇怪", location={"grid_id": "g2"}).case
    assert waiting.state == "reported"
    assert waiting.triage == {"suggestions": ["environment.stairwell_clutter"]}
    located = areas.locate(community(), {"area_code": "e1-b5-u1"})
    outcome = lifecycle.triage_by_hand(
        waiting, TAXONOMY, "environment.stairwell_clutter", None, STAFF, AT, located
    )
    case = outcome.case
    assert (case.state, case.grid_id, case.place) == ("triaged", "g1", "井湘小区5栋1单元")
    assert case.location["area_code"] == "e1-b5-u1" and case.location["unit"] == "1单元"
    assert case.triage["suggestions"] == ["environment.stairwell_clutter"]
    (kind, payload), *_ = outcome.facts
    assert kind == "case.triaged" and payload["grid_id"] == "g1", "dispatched to its new grid"


def test_hand_triage_without_a_place_leaves_the_case_where_intake_put_it():
    waiting = report("楼梯那边很奇怪", location={"grid_id": "g2"}).case
    case = lifecycle.triage_by_hand(waiting, TAXONOMY, "facility.lighting", None, STAFF, AT).case
    assert (case.grid_id, case.location, case.place) == ("g2", waiting.location, waiting.place)


def test_staff_and_grid_workers_add_notes_in_any_state_and_a_volunteer_may_not():
    for case in (report("楼梯那边很奇怪").case, closed()):
        noted = lifecycle.add_note(case, GRID_WORKER, "已电话联系", (), AT).case
        assert noted.state == case.state and noted.timeline[-1].action == "note"
        assert noted.timeline[-1].note == "已电话联系" and noted.version == case.version
    with pytest.raises(NotPermitted):
        lifecycle.add_note(closed(), VOLUNTEER, "x", (), AT)
