"""An appointment at the mediation desk: inside one of its sessions, set by staff, a grid
leader or the member who took the dispute, on the case's timeline and in its event.
Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lianxin.contracts.cases import CASES
from services.cases.domain import lifecycle
from services.cases.domain.appointments import NoDesk, set_appointment
from services.cases.domain.case import By, InvalidRequest, InvalidTransition, NotPermitted
from tests.cases.factories import GRID_WORKER, STAFF, TAXONOMY, VOLUNTEER, report

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZONE).astimezone(UTC)
FRIDAY_10 = datetime(2026, 12, 11, 10, 0, tzinfo=ZONE).astimezone(UTC)
LEADER = By("p-g1-leader", "api", person_id="p-g1-leader", role="grid_leader", key_id="k-staff")
MEDIATOR = By("p-mediator-1", "api", person_id="p-mediator-1", role="volunteer", key_id="k-app")


def dispute():
    return report("邻居吵架，楼上漏水到我家", at=MONDAY).case


def set_(case, by=STAFF, starts_at=FRIDAY_10, minutes=60, venue="红帆驿站 13807310001"):
    desk = TAXONOMY.desk(case.community_id, case.team)
    return set_appointment(case, desk, by, starts_at, minutes, venue, MONDAY)


def test_staff_set_an_appointment_in_a_session_on_the_timeline_and_in_its_event():
    case = dispute()
    outcome = set_(case)
    after = outcome.case
    assert after.appointment["starts_at"] == FRIDAY_10
    assert after.appointment["ends_at"] == FRIDAY_10 + timedelta(hours=1)
    assert after.state == case.state and after.version == case.version + 1
    step = after.timeline[-1]
    assert step.action == "appointment" and step.by == STAFF.name
    assert step.note.startswith("2026-12-11 10:00–11:00 (Asia/Shanghai) 红帆驿站")
    ((kind, payload),) = outcome.facts
    assert kind == "case.appointment_set" and payload["private"] is True
    assert payload["venue"] == "红帆驿站 138****0001"  # a phone number in it is masked
    assert payload["place"] == case.masked_place  # the about block's, the case's own
    assert payload["previous_starts_at"] is None
    # what the producer's contract guarantees (it refuses to emit anything less)
    CASES.new_event(kind, payload, correlation_id="test", case_id=case.id)


def test_a_new_appointment_moves_the_one_before():
    first = set_(dispute()).case
    later = FRIDAY_10 + timedelta(days=7)
    ((_, payload),) = set_(first, starts_at=later).facts
    assert payload["previous_starts_at"] == FRIDAY_10 and payload["starts_at"] == later


@pytest.mark.parametrize(
    "starts_at, minutes",
    [
        (datetime(2026, 12, 11, 11, 30, tzinfo=ZONE), 60),  # runs into lunch
        (datetime(2026, 12, 11, 8, 0, tzinfo=ZONE), 30),  # before the desk opens
        (datetime(2026, 12, 10, 10, 0, tzinfo=ZONE), 60),  # a Thursday
        (datetime(2027, 1, 1, 10, 0, tzinfo=ZONE), 60),  # New Year's Day, a Friday
        (datetime(2026, 12, 4, 10, 0, tzinfo=ZONE), 60),  # last Friday: gone
        (datetime(2027, 12, 10, 10, 0, tzinfo=ZONE), 60),  # a Friday session a year ahead
        (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), 240),  # no arithmetic past the calendar
    ],
)
def test_a_time_outside_the_desks_sessions_is_a_field_error_and_changes_nothing(starts_at, minutes):
    case = dispute()
    with pytest.raises(InvalidRequest) as refused:
        set_(case, starts_at=starts_at.astimezone(UTC), minutes=minutes)
    assert list(refused.value.details()["fields"]) == ["starts_at"]
    assert case.appointment is None


def test_the_refusal_says_when_the_desk_sits():
    with pytest.raises(InvalidRequest, match=r"FR 09:00–12:00, FR 14:00–17:00 \(Asia/Shanghai\)"):
        set_(dispute(), starts_at=FRIDAY_10 - timedelta(days=1))


@pytest.mark.parametrize("by", [VOLUNTEER, MEDIATOR, GRID_WORKER])
def test_a_volunteer_or_grid_worker_not_holding_the_case_may_not_set_it(by):
    with pytest.raises(NotPermitted):
        set_(dispute(), by=by)


def test_a_grid_leader_and_the_member_who_accepted_it_may():
    assert set_(dispute(), by=LEADER).case.appointment["by"] == LEADER.name
    offered = lifecycle.dispatch(
        dispute(),
        {"offer_id": "OF-9", "person_id": MEDIATOR.person_id, "display_name": "沈*", "attempt": 1},
        MONDAY,
    ).case
    with pytest.raises(NotPermitted):  # offered is not taken
        set_(offered, by=MEDIATOR)
    taken = lifecycle.accept(offered, MEDIATOR, MONDAY).case
    assert set_(taken, by=MEDIATOR).case.appointment["by"] == MEDIATOR.name


def test_a_case_of_a_team_without_desk_hours_takes_no_appointment():
    light = report("5栋楼道灯坏了", at=MONDAY).case
    with pytest.raises(NoDesk):
        set_(light)


@pytest.mark.parametrize("state", ["reported", "resolved", "closed", "withdrawn", "merged"])
def test_a_case_not_being_worked_on_takes_no_appointment(state):
    with pytest.raises(InvalidTransition):
        set_(replace(dispute(), state=state))
