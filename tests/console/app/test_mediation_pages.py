"""The mediation desk's pages in the console (services/console/{domain,app}/mediation.py and
templates/mediation/): the times offered from the shared calendar, the desk's lists, the
forms a person may use, what each form sends cases, and the pages rendered over cases'
own view of a dispute at every stage (StrictUndefined: a key the view lacks fails)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lianxin.contracts.calendars import desks
from services.cases.domain.mediation import follow_up, record_outcome
from services.cases.http.schemas import CaseSchema
from services.cases.http.views import case_view
from services.console.app.mediation import BadLocalTime, body_of, local_day
from services.console.domain.mediation import (
    appointment_slots,
    available,
    desk_board,
    session_slots,
    signatories,
)
from services.console.http.mediation_forms import DESK_FORMS
from tests.cases.domain.test_desk_sessions import NOW, dispute, hold
from tests.cases.factories import STAFF, TAXONOMY
from tests.console.app.test_case_page import KEY, rendered

DESK = desks()["jingxiang:mediation_desk"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
NEW_YEAR = datetime(2027, 1, 1, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)  # a Friday, closed


def shown(case) -> dict:
    return CaseSchema().dump(case_view(case))


def stages() -> list:
    """A dispute at every stage of the desk: parties, a session, an agreement or a
    referral, followed up, reminded."""
    heard = hold(dispute()).case
    agreed = record_outcome(
        heard, DESK, STAFF, "agreement", NOW, agreement="赔偿800元", signed_by=["王小红"],
        follow_up_after=TAXONOMY.follow_up_after,
    ).case  # fmt: skip
    referred = record_outcome(
        heard, DESK, STAFF, "referral", NOW, referred_to="department", department="住建局",
        follow_up_after=TAXONOMY.follow_up_after,
    ).case  # fmt: skip
    reminded = replace(agreed, mediation={**agreed.mediation, "reminded_at": NOW})
    visited = follow_up(agreed, STAFF, "已履行", NOW + timedelta(days=3)).case
    return [dispute(0), dispute(), heard, agreed, referred, reminded, visited]


def test_appointments_are_offered_in_the_desks_next_sessions_holidays_skipped():
    slots = appointment_slots(DESK, SUNDAY)
    friday = datetime(2026, 12, 11, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert slots[0].at == friday and all(slot.at > SUNDAY for slot in slots)
    assert all(DESK.opening_holding(s.at, s.at + timedelta(hours=1)) for s in slots)
    around_new_year = appointment_slots(DESK, NEW_YEAR - timedelta(days=2))
    assert all(slot.at.astimezone(SHANGHAI).date().isoformat() != "2027-01-01"
               for slot in around_new_year)  # fmt: skip


def test_a_session_is_recorded_at_one_held_in_the_last_30_days_latest_first():
    slots = session_slots(DESK, SUNDAY)
    assert slots[0].at == datetime(2026, 12, 4, 16, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert all(SUNDAY - timedelta(days=30) <= slot.at <= SUNDAY for slot in slots)
    assert [s.at for s in slots] == sorted((s.at for s in slots), reverse=True)


def test_the_desk_sorts_its_disputes_into_what_it_does_next():
    new, _, heard, agreed, referred, _, visited = map(shown, stages())
    appointed = {**new, "id": "LX-A", "appointment": {"starts_at": "2026-12-11T02:00:00+00:00"}}
    board = desk_board(DESK, [new, appointed, heard, agreed, referred, visited], SUNDAY)
    assert [case["id"] for case in board.waiting] == [new["id"]]
    ((opening, cases),) = board.appointments
    assert opening.opens.isoformat() == "2026-12-11T01:00:00+00:00" and cases == [appointed]
    assert board.outcomes_due == [heard]
    assert board.follow_ups_due == [agreed, referred], "visits by day, then referrals"


def test_the_forms_are_those_cases_would_allow():
    new, _, heard, agreed, _, _, visited = map(shown, stages())
    assert available("staff", new, "p-staff-1") == ["appointment", "party", "session"]
    assert "outcome" in available("grid_leader", heard, "p-g1-leader")
    assert available("grid_worker", heard, "p-g1-gw-1") == []
    assert available("grid_worker", agreed, "p-g1-gw-1") == ["follow_up"]
    assert not {"outcome", "follow_up"} & set(available("staff", visited, "p-staff-1"))
    assert available("staff", {**visited, "state": "closed"}, "p-staff-1") == []


def test_each_form_sends_cases_its_own_body():
    now = SUNDAY
    party = {**KEY, "name": "王小红", "role": "applicant", "phone": "", "consent": True}
    assert body_of("party", party, DESK, now) == {
        "name": "王小红", "role": "applicant", "consent": True,
    }  # fmt: skip
    session = {**KEY, "held_at": "x", "minutes": 60, "mediator": "p-m-1", "co_mediator": "p-m-1",
               "note": "", "party_1": True, "party_3": True}  # fmt: skip
    sent = body_of("session", session, DESK, now)
    assert sent["parties"] == ["P1", "P3"] and sent["mediators"] == ["p-m-1"]
    outcome = {**KEY, "result": "agreement", "agreement": "赔偿", "signed_by": "王小红、李建国",
               "referred_to": "", "department": ""}  # fmt: skip
    assert body_of("outcome", outcome, DESK, now)["signed_by"] == ["王小红", "李建国"]
    referral = {**outcome, "result": "referral", "referred_to": "court"}
    assert body_of("outcome", referral, DESK, now) == {
        "result": "referral", "department": "", "referred_to": "court",
    }  # fmt: skip
    visit = {**KEY, "note": "已回访", "happened_on": "2026-12-05"}
    assert body_of("follow_up", visit, DESK, now)["happened_at"] == "2026-12-05T12:00:00+08:00"
    assert local_day("2026-12-06", DESK, now) == now.isoformat(), "today before noon: now"
    assert signatories(" 王小红，李建国;赵大妈 ") == ["王小红", "李建国", "赵大妈"]


def test_a_bad_form_is_refused_on_its_field_before_anything_acts():
    assert set(DESK_FORMS["appointment"]().validate({**KEY, "starts_at": "tomorrow"})) == {
        "starts_at"
    }
    forged = {**KEY, "held_at": "2026-12-04T09:00:00+08:00", "mediator": "$where"}
    assert set(DESK_FORMS["session"]().validate(forged)) == {"mediator"}
    assert "party_11" in DESK_FORMS["session"]().validate({**KEY, "party_11": "true"})
    try:
        local_day("2026-13-40", DESK, SUNDAY)
    except BadLocalTime:
        pass
    else:
        raise AssertionError("an impossible day is refused")


def test_the_pages_render_every_stage_as_cases_shows_it():
    clock = {"at_desk": str, "desk_zone": "Asia/Shanghai", "late": lambda case: False}
    cases = [shown(case) for case in stages()]
    for case in cases:
        forms = available("staff", case, "p-staff-1")
        html = rendered(
            "mediation/dispute.html", case=case, calendar=DESK, forms=forms, done="",
            refusal=None, form_keys=dict.fromkeys(forms, "k" * 20),
            mediators=[{"person_id": "p-mediator-1", "display_name": "沈*"}],
            appointment_slots=appointment_slots(DESK, SUNDAY),
            session_slots=session_slots(DESK, SUNDAY), **clock,
        )  # fmt: skip
        assert case["number"] in html and "王小红" not in html
    board = desk_board(DESK, cases, SUNDAY)
    html = rendered("mediation/desk.html", calendar=DESK, board=board, now=SUNDAY, **clock)
    assert "desk-follow-ups-due" in html
    for action, form in (("outcome", {**KEY, "result": "agreement", "agreement": "赔偿",
                                      "signed_by": "王小红", "referred_to": "", "department": ""}),
                         ("follow_up", {**KEY, "note": "已回访", "happened_on": ""})):  # fmt: skip
        html = rendered("mediation/confirm.html", case=cases[3], calendar=DESK, action=action,
                        form=form, present=[], **clock)  # fmt: skip
        assert 'name="confirmed" value="true"' in html and f'value="{KEY["form_key"]}"' in html
