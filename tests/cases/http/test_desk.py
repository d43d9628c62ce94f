"""The mediation desk's actions as declared (http/desk.py): the same route shape as every
action on a case, mixed into the service."""

from __future__ import annotations

from services.cases.http.actions import CASE_ACTIONS
from services.cases.http.desk import DESK_ACTIONS, DeskHttp
from services.cases.http.schemas import (
    AppointmentSchema,
    CaseSchema,
    FollowUpSchema,
    MediationOutcomeSchema,
    PartySchema,
    SessionSchema,
)
from services.cases.service import CasesService


def test_each_desk_action_is_a_post_on_the_cases_path_with_an_idempotency_key_and_an_act_key():
    bodies = {
        "appointment": AppointmentSchema,
        "outcome": MediationOutcomeSchema,
        "outcome/follow-up": FollowUpSchema,
        "parties": PartySchema,
        "sessions": SessionSchema,
    }
    assert {action.path for action in DESK_ACTIONS} == set(bodies)
    for action in DESK_ACTIONS:
        (route,) = getattr(DeskHttp, action.method).nameko_entrypoints
        assert route.method == "POST"
        assert route.url == f"/v1/cases/<string:case_id>/{action.path}"
        assert route.body is bodies[action.path] and route.scope == "act"
        assert route.responses == {200: CaseSchema}
        assert "Idempotency-Key" in [header["name"] for header in route.headers]
    assert issubclass(CasesService, DeskHttp)
    desk_paths = {action.path for action in DESK_ACTIONS}
    assert not desk_paths & {action.path for action in CASE_ACTIONS}, "two actions, one path"


def test_an_appointment_body_is_checked_before_any_rule():
    schema = AppointmentSchema()
    assert schema.validate({}) == {"starts_at": ["Missing data for required field."]}
    too_long = {"starts_at": "2026-12-11T10:00:00+08:00", "minutes": 600}
    assert set(schema.validate(too_long)) == {"minutes"}
    naive = {"starts_at": "2026-12-11T10:00:00"}
    assert set(schema.validate(naive)) == {"starts_at"}  # a time without its zone is refused
    unknown = {"starts_at": "2026-12-11T10:00:00+08:00", "parties": ["王某"]}
    assert set(schema.validate(unknown)) == {"parties"}
    loaded = schema.load({"starts_at": "2026-12-11T10:00:00+08:00"})
    assert loaded["minutes"] == 60 and loaded["venue"] == ""


def test_an_outcome_body_is_checked_before_any_rule():
    schema = MediationOutcomeSchema()
    assert set(schema.validate({})) == {"result"}
    assert set(schema.validate({"result": "settled"})) == {"result"}
    eleven = {"result": "agreement", "agreement": "x", "signed_by": ["王某"] * 11}
    assert set(schema.validate(eleven)) == {"signed_by"}
    assert set(schema.validate({"result": "referral", "referred_to": "police"})) == {"referred_to"}


def test_a_session_body_names_who_came_by_id_and_keeps_its_note_short():
    schema = SessionSchema()
    assert set(schema.validate({})) == {"held_at", "parties", "mediators"}
    body = {"held_at": "2026-12-11T10:00:00+08:00", "parties": ["P1"], "mediators": ["p-m-1"]}
    assert schema.validate(body) == {}
    assert set(schema.validate({**body, "parties": ["王小红"]})) == {"parties"}
    assert set(schema.validate({**body, "mediators": ["$where"]})) == {"mediators"}
    assert set(schema.validate({**body, "note": "x" * 501})) == {"note"}
    assert set(schema.validate({**body, "held_at": "2026-12-11T10:00:00"})) == {"held_at"}
