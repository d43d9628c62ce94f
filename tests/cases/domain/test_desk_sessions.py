"""A dispute's sessions at the desk: held inside the desk's hours, never on a holiday,
never still to come; the parties present by their ids, the mediators active people of
the community; the note on the case alone, and no name in the event. Plain Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lianxin.access.person_access import PersonAccess
from lianxin.contracts.cases import CASES
from services.cases.domain.appointments import NoDesk
from services.cases.domain.case import InvalidRequest, InvalidTransition, NotPermitted
from services.cases.domain.desk_sessions import MAX_SESSIONS, record_session
from services.cases.domain.parties import add_party
from services.cases.http.views import case_view
from services.cases.store import from_document, to_document
from tests.cases.factories import STAFF, TAXONOMY, VOLUNTEER, report

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_10 = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
NOW = FRIDAY_10 + timedelta(hours=2)  # the desk's morning session is over
PEOPLE = {
    "p-mediator-1": PersonAccess("p-mediator-1", "jingxiang", ("volunteer",), True, 1),
    "p-gone": PersonAccess("p-gone", "jingxiang", ("volunteer",), False, 1),
    "p-elsewhere": PersonAccess("p-elsewhere", "elsewhere", ("staff",), True, 1),
}


def dispute(parties: int = 2):
    """A Monday's dispute with its parties recorded."""
    case = report("邻居吵架，楼上漏水到我家", at=FRIDAY_10 - timedelta(days=4)).case
    desk = TAXONOMY.desk(case.community_id, case.team)
    for name in ("王小红", "李建国")[:parties]:
        case = add_party(case, desk, STAFF, name, "applicant", None, True, case.reported_at).case
    return case


def hold(case, by=STAFF, held_at=FRIDAY_10, minutes=60, parties=("P1", "P2"), **given):
    desk = TAXONOMY.desk(case.community_id, case.team)
    mediators = given.pop("mediators", ("p-mediator-1",))
    note = given.pop("note", "双方同意先修漏水点 13807310001")
    now = given.pop("now", NOW)
    return record_session(
        case, desk, by, held_at, minutes, parties, mediators, note, PEOPLE.get, now
    )


def test_a_session_keeps_who_came_and_its_note_and_tells_only_how_many():
    outcome = hold(dispute())
    (session,) = outcome.case.sessions
    assert session["id"] == "S1" and session["held_at"] == FRIDAY_10
    assert session["ends_at"] == FRIDAY_10 + timedelta(hours=1)
    assert session["parties"] == ["P1", "P2"] and session["mediators"] == ["p-mediator-1"]
    step = outcome.case.timeline[-1]
    assert step.action == "session" and "(Asia/Shanghai)" in step.note
    assert "13807310001" not in step.note, "the note stays in the session"
    ((kind, payload),) = outcome.facts
    assert kind == "case.mediation_session"
    assert (payload["parties_present"], payload["mediators_present"]) == (2, 1)
    assert "王小红" not in str(payload) and "漏水" not in str(payload)
    CASES.new_event(kind, payload, correlation_id="test", case_id=outcome.case.id)
    second = hold(
        outcome.case, held_at=FRIDAY_10 + timedelta(hours=4), now=NOW + timedelta(hours=5)
    )
    assert [s["id"] for s in second.case.sessions] == ["S1", "S2"]


def test_the_api_masks_the_note_and_withholds_sessions_without_the_details():
    case = hold(dispute()).case
    assert "138****0001" in case_view(case)["sessions"][0]["note"]
    assert case_view(case, details=False)["sessions"] == []
    assert from_document(to_document(case)).sessions == case.sessions


@pytest.mark.parametrize(
    "held_at, now",
    [
        (FRIDAY_10 - timedelta(hours=2), NOW),  # 08:00: before the desk opens
        (FRIDAY_10 + timedelta(hours=2, minutes=30), NOW + timedelta(hours=1)),  # 12:30–13:30
        (FRIDAY_10 + timedelta(hours=1), FRIDAY_10 + timedelta(minutes=30)),  # still to come
        (FRIDAY_10 - timedelta(days=1), NOW),  # a Thursday: no session
        (FRIDAY_10 - timedelta(days=35), NOW),  # too long ago
    ],
)
def test_a_time_outside_the_desks_sessions_or_to_come_is_a_field_error(held_at, now):
    with pytest.raises(InvalidRequest) as refused:
        hold(dispute(), held_at=held_at, now=now)
    assert list(refused.value.details()["fields"]) == ["held_at"]


def test_a_holiday_holds_no_session():
    new_year = datetime(2027, 1, 1, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Friday
    case = report("邻居吵架", at=new_year - timedelta(days=3)).case
    desk = TAXONOMY.desk(case.community_id, case.team)
    case = add_party(case, desk, STAFF, "王小红", "applicant", None, True, case.reported_at).case
    with pytest.raises(InvalidRequest, match="not on holidays"):
        hold(case, held_at=new_year, parties=("P1",), now=new_year + timedelta(hours=3))


@pytest.mark.parametrize(
    "given, field",
    [
        ({"parties": ("P1", "P9")}, "parties"),  # no such party on the case
        ({"parties": ()}, "parties"),
        ({"mediators": ()}, "mediators"),
        ({"mediators": ("p-gone",)}, "mediators"),  # no longer active
        ({"mediators": ("p-elsewhere",)}, "mediators"),  # another community's
        ({"mediators": ("p-nobody",)}, "mediators"),
    ],
)
def test_who_came_must_be_the_cases_parties_and_the_communitys_people(given, field):
    before = dispute()
    with pytest.raises(InvalidRequest) as refused:
        hold(before, **given)
    assert list(refused.value.details()["fields"]) == [field]


def test_only_those_who_may_record_a_desks_work_and_only_while_it_is_worked_on():
    with pytest.raises(NotPermitted):
        hold(dispute(), by=VOLUNTEER)
    with pytest.raises(InvalidTransition):
        hold(replace(dispute(), state="closed"))
    with pytest.raises(NoDesk):
        hold(report("5栋楼道灯坏了", at=FRIDAY_10).case)


def test_a_dispute_holds_at_most_so_many_sessions():
    full = replace(dispute(), sessions=tuple({"id": f"S{n}"} for n in range(MAX_SESSIONS)))
    with pytest.raises(InvalidRequest):
        hold(full)
