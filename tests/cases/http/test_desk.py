"""The mediation desk's actions as declared (http/desk.py): the same route shape as every
action on a case, mixed into the service."""

from __future__ import annotations

from services.cases.http.desk import DESK_ACTIONS, DeskHttp
from services.cases.http.schemas import AppointmentSchema, CaseSchema
from services.cases.service import CasesService


def test_the_appointment_is_a_post_on_the_cases_path_with_an_idempotency_key_and_an_act_key():
    (declared,) = DESK_ACTIONS
    (route,) = getattr(DeskHttp, declared.method).nameko_entrypoints
    assert route.method == "POST" and route.url == "/v1/cases/<string:case_id>/appointment"
    assert route.body is AppointmentSchema and route.scope == "act"
    assert route.responses == {200: CaseSchema}
    assert "Idempotency-Key" in [header["name"] for header in route.headers]
    assert issubclass(CasesService, DeskHttp)


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
