"""A desk that keeps hours (the Red Sail mediation desk: Fridays 09:00–12:00 and 14:00–
17:00, `around_the_clock: false`): a dispute nobody of it is on duty for waits for the
desk's next shift instead of climbing the escalation chain, and is offered when it opens.
On the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lianxin.bus.deadlines import Deadline, is_deadline
from services.roster.app import dispatch
from tests.roster.app.case_events import by_type, case_event

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZONE).astimezone(UTC)
FRIDAY_OPENS = datetime(2026, 3, 6, 9, 0, tzinfo=ZONE).astimezone(UTC)
MEDIATORS = {f"p-mediator-{n}" for n in range(1, 7)}


def dispute(case_id: str, version: int = 2, **payload):
    desk = {"category": "dispute.neighbour", "team": "mediation_desk"}
    return case_event("case.triaged", case_id, version, **{**desk, **payload})


def drained(memory_backend) -> tuple[list[dict], list[dict]]:
    """What the store published since the last call: the events, and the deadlines."""
    messages = memory_backend.published.take()
    return [m for m in messages if not is_deadline(m)], [m for m in messages if is_deadline(m)]


def shift_start(message: dict) -> Deadline:
    return Deadline(
        message["kind"],
        message["aggregate_id"],
        datetime.fromisoformat(message["due_at"]),
        message["payload"],
    )


def test_a_monday_dispute_waits_for_fridays_session_and_is_offered_when_it_opens(
    store, community, memory_backend
):
    dispatch.on_case_event(store, dispute("LX-D1"), MONDAY)
    events, deadlines = drained(memory_backend)
    assert by_type(events, "escalation.required") == [] and by_type(events, "offer.made") == []
    (waiting,) = [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]
    assert datetime.fromisoformat(waiting["due_at"]) == FRIDAY_OPENS
    waits = store.dispatches.get("LX-D1")
    assert waits.state == "offered" and waits.awaits_shift == FRIDAY_OPENS

    dispatch.on_shift_start(store, shift_start(waiting), FRIDAY_OPENS)
    dispatch.on_shift_start(store, shift_start(waiting), FRIDAY_OPENS)  # redelivered
    events, _ = drained(memory_backend)
    (made,) = by_type(events, "offer.made")
    assert made["payload"]["person_id"] in MEDIATORS
    assert made["payload"]["team"] == "mediation_desk"
    assert store.dispatches.get("LX-D1").awaits_shift is None


def test_a_shift_start_of_an_older_round_or_after_the_chain_changes_nothing(
    store, community, memory_backend
):
    dispatch.on_case_event(store, dispute("LX-D2"), MONDAY)
    _, deadlines = drained(memory_backend)
    (waiting,) = [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]
    older = Deadline(dispatch.SHIFT_START, "LX-D2", FRIDAY_OPENS, {"round": 0})
    dispatch.on_shift_start(store, older, FRIDAY_OPENS)
    taken = case_event("case.assigned", "LX-D2", 3, person_id="p-staff-1")  # staff took it
    dispatch.on_case_event(store, taken, MONDAY)
    drained(memory_backend)
    dispatch.on_shift_start(store, shift_start(waiting), FRIDAY_OPENS)
    events, _ = drained(memory_backend)
    assert by_type(events, "offer.made") == []


def test_a_round_the_clock_team_with_nobody_on_duty_still_escalates_at_once(
    store, community, memory_backend
):
    """Grid 9 has no rota at all: the chain runs as before, nothing waits."""
    dispatch.on_case_event(store, dispute("LX-D3", grid_id="jingxiang-g9"), MONDAY)
    events, deadlines = drained(memory_backend)
    assert by_type(events, "escalation.required")
    assert not [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]


def test_the_repair_crew_on_a_monday_is_offered_at_once(store, community, memory_backend):
    dispatch.on_case_event(store, case_event("case.triaged", "LX-D4", 2), MONDAY)
    events, deadlines = drained(memory_backend)
    assert by_type(events, "offer.made")
    assert not [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]


def test_a_holiday_cancels_the_desks_session_so_the_dispute_waits_for_the_next_held_one(
    store, community, memory_backend
):
    """Fridays 25 September (中秋) and 2 October (国庆) 2026 are holidays in the shared
    calendar (lianxin/contracts/calendars.yaml): a Monday's dispute waits for 9 October."""
    monday = datetime(2026, 9, 21, 10, 0, tzinfo=ZONE).astimezone(UTC)
    held = datetime(2026, 10, 9, 9, 0, tzinfo=ZONE).astimezone(UTC)
    dispatch.on_case_event(store, dispute("LX-H1"), monday)
    events, deadlines = drained(memory_backend)
    (waiting,) = [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]
    assert datetime.fromisoformat(waiting["due_at"]) == held
    assert store.dispatches.get("LX-H1").awaits_shift == held
    assert by_type(events, "escalation.required") == []


def test_on_a_holiday_the_mediators_on_the_rota_are_not_offered_the_dispute(
    store, community, memory_backend
):
    holiday_session = datetime(2026, 10, 2, 10, 0, tzinfo=ZONE).astimezone(UTC)  # 国庆, Friday
    dispatch.on_case_event(store, dispute("LX-H2"), holiday_session)
    events, deadlines = drained(memory_backend)
    assert by_type(events, "offer.made") == []
    (waiting,) = [d for d in deadlines if d["kind"] == dispatch.SHIFT_START]
    assert datetime.fromisoformat(waiting["due_at"]).astimezone(ZONE).date().isoformat() == (
        "2026-10-09"
    )
