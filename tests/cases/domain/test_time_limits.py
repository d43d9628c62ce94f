"""Time limits: accept-by and resolve-by, the early warning, the breach that escalates
once, and the clock that stops while a case is suspended. Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from services.cases.domain import clock_actions, lifecycle, time_limits
from services.cases.domain.time_limits import Timing
from services.cases.domain.triage import Limit
from tests.cases.factories import AT, OFFER, STAFF, TAXONOMY, accepted, dispatched, triaged

LIMIT = Limit(timedelta(minutes=30), timedelta(hours=24))


def test_limits_come_from_the_category_and_an_earlier_hotline_deadline_wins():
    assert time_limits.limits(AT, LIMIT, None) == Timing(
        AT + timedelta(minutes=30), AT + timedelta(hours=24), AT
    )
    deadline = AT + timedelta(hours=4)
    assert time_limits.limits(AT, LIMIT, deadline) == Timing(
        AT + timedelta(minutes=30), deadline, AT
    )
    soon = AT + timedelta(minutes=10)
    # never accept after resolve-by
    assert time_limits.limits(AT, LIMIT, soon) == Timing(soon, soon, AT)
    later = time_limits.limits(AT, LIMIT, AT + timedelta(days=5))
    assert later.resolve_by == AT + timedelta(hours=24)


def test_a_case_has_its_warnings_and_limits_to_come_but_one_timer_set_at_a_time():
    outcome = lifecycle.triage_by_hand(
        replace(triaged(), state="reported"), TAXONOMY, "facility.lighting", None, STAFF, AT
    )
    case = outcome.case
    share = TAXONOMY.warning_share
    pending = time_limits.timers(
        state=case.state,
        accept_by=case.accept_by,
        resolve_by=case.resolve_by,
        clock_start=case.clock_start,
        generation=case.clock_generation,
        overdue=(),
        warned=(),
        share=share,
    )
    assert [(timer.payload["step"], timer.payload["which"], timer.due_at) for timer in pending] == [
        ("warning", "accept", AT + (case.accept_by - AT) * share),
        ("limit", "accept", case.accept_by),
        ("warning", "resolve", AT + (case.resolve_by - AT) * share),
        ("limit", "resolve", case.resolve_by),
    ]
    assert outcome.timers == (pending[0],)  # a chain: each timer sets the next
    assert {timer.kind for timer in pending} == {"case.time"}  # one queue


def test_each_timer_that_fires_sets_the_next_until_none_is_left():
    case = dispatched()
    share = TAXONOMY.warning_share
    (timer,) = time_limits.clock(case, share)
    seen = []
    while timer is not None:
        seen.append((timer.payload["step"], timer.payload["which"]))
        outcome = clock_actions.fired(case, timer.payload, timer.due_at, share)
        case = outcome.case
        timer = outcome.timers[0] if outcome.timers else None
    assert seen == [
        ("warning", "accept"),
        ("limit", "accept"),
        ("warning", "resolve"),
        ("limit", "resolve"),
    ]
    assert case.overdue == ("accept", "resolve") and case.state == "escalated"


def test_a_timer_of_an_older_clock_does_nothing_and_sets_nothing():
    case = dispatched()
    (timer,) = time_limits.clock(case, TAXONOMY.warning_share)
    newer = replace(case, clock_generation=case.clock_generation + 1)
    assert clock_actions.fired(newer, timer.payload, timer.due_at, TAXONOMY.warning_share) is None


def payload(case, which, generation=None):
    return {
        "which": which,
        "generation": case.clock_generation if generation is None else generation,
    }


def test_a_breached_accept_limit_marks_the_case_overdue_and_escalates_it_once():
    case = dispatched()
    first = clock_actions.time_limit(case, payload(case, "accept"), case.accept_by)
    assert [kind for kind, _ in first.facts] == ["case.overdue", "case.escalated"]
    assert first.case.state == "escalated" and first.case.overdue == ("accept",)
    assert first.case.escalation["level"] == "grid_leader"
    assert [payload["overdue"] for _, payload in first.facts] == [True, True]  # in `about`
    assert clock_actions.time_limit(first.case, payload(case, "accept"), case.accept_by) is None
    later = clock_actions.time_limit(first.case, payload(case, "resolve"), case.resolve_by)
    assert [kind for kind, _ in later.facts] == ["case.overdue"]  # the timer escalates once
    assert later.case.overdue == ("accept", "resolve")


def test_a_limit_that_no_longer_applies_does_nothing():
    case = accepted()
    assert clock_actions.time_limit(case, payload(case, "accept"), case.accept_by) is None
    assert clock_actions.time_limit(case, payload(case, "resolve", 0), case.resolve_by) is None
    assert (
        clock_actions.time_warning(case, payload(case, "resolve") | {"share": 0.8}, AT) is not None
    )


def test_a_fired_timer_does_what_its_step_says():
    case = dispatched()
    warning = payload(case, "accept") | {"step": "warning", "share": 0.8}
    warning = clock_actions.fired(case, warning, AT, 0.8)
    limit = clock_actions.fired(case, payload(case, "accept") | {"step": "limit"}, AT, 0.8)
    assert warning.facts[0][0] == "case.warning" and limit.facts[0][0] == "case.overdue"


def test_a_warning_is_given_once():
    case = dispatched()
    warned = clock_actions.time_warning(case, payload(case, "accept") | {"share": 0.8}, AT)
    assert warned.facts[0][0] == "case.warning" and warned.facts[0][1]["share"] == 0.8
    assert (
        clock_actions.time_warning(warned.case, payload(case, "accept") | {"share": 0.8}, AT)
        is None
    )


def test_suspension_stops_the_clock_and_resumption_moves_the_limits_on_by_the_pause():
    case = accepted()
    suspended = clock_actions.suspend(case, STAFF, "等自来水公司", AT + timedelta(hours=1)).case
    assert (
        clock_actions.time_limit(suspended, payload(suspended, "resolve"), case.resolve_by) is None
    )
    back = AT + timedelta(hours=4)
    resumed = clock_actions.resume(suspended, TAXONOMY, STAFF, "", back)
    assert resumed.case.resolve_by == case.resolve_by + timedelta(hours=3)
    assert resumed.case.suspended_since is None
    assert [kind for kind, _ in resumed.facts] == ["case.resumed"]
    assert [timer.payload["generation"] for timer in resumed.timers] == [
        resumed.case.clock_generation
    ]
    stale = payload(case, "resolve")
    assert clock_actions.time_limit(resumed.case, stale, resumed.case.resolve_by) is None


def test_the_timer_escalates_an_accepted_case_without_taking_it_from_its_assignee():
    case = accepted()
    breached = clock_actions.time_limit(case, payload(case, "resolve"), case.resolve_by)
    assert breached.case.state == "accepted" and breached.case.assignee == OFFER["person_id"]
    assert [kind for kind, _ in breached.facts] == ["case.overdue", "case.escalated"]
