"""Care rounds (邻里守望): a carer's rounds with a tick form for each (`/my/care`, every
signed-in person: each sees only their own, as roster answers their token), and the
register staff keep (`/care`: staff add a plan and end one; grid leaders and workers read
their grids'). A form that its schema or roster refuses shows its page again with the
field's error and nothing changed; a tick sent twice is one tick (roster keeps one per
round, and a round's case is named by the round)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

from lianxin.clock import utc_now
from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import care
from services.console.app.desk import Desk
from services.console.domain.care import CADENCES, NEEDS, OUTCOMES, ROUND_KINDS, RoundNotOpen
from services.console.domain.hours import new_form_key
from services.console.domain.sessions import Session
from services.console.http.checked_forms import field_errors, read_checked
from services.console.http.forms import Form
from services.console.http.pages import PERSONAL, Pages, page, redirect

PLAN_ID = validate.Regexp(r"^CP-[0-9a-f]{16}$")
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FORM_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{16,64}$")
DONE = ("well", "needs_help", "registered", "ended")
# roster's refusals of a tick the page says in its own words (labels care_refused_<code>)
REFUSALS = ("already_ticked", "round_not_open", "plan_ended", "not_found")


class DoneQuery(Schema):
    done = fields.String(validate=validate.OneOf(DONE))
    case = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9\-]{1,40}$"))


class TickForm(Form):
    plan_id = fields.String(required=True, validate=PLAN_ID)
    day = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PlanForm(Form):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(load_default="", validate=validate.Regexp(r"^(\+?\d{5,20})?$"))
    need = fields.String(required=True, validate=validate.OneOf(NEEDS))
    kind = fields.String(required=True, validate=validate.OneOf(ROUND_KINDS))
    cadence = fields.String(required=True, validate=validate.OneOf(CADENCES))
    area_code = fields.String(required=True, validate=CODE)
    carer_id = fields.String(required=True, validate=CODE)
    starts_on = fields.Date(required=True)
    at = fields.Time(required=True)
    consent = fields.String(required=True, validate=validate.Equal("yes"))
    form_key = fields.String(required=True, validate=FORM_KEY)


class EndForm(Form):
    pass


class CarePages(Pages):
    @page("GET", "/my/care")
    def my_care(self, request):
        session = self.signed_in(request, roles=PERSONAL)
        query = read_query(request, DoneQuery())
        return self._my_care(request, session, done=query.get("done"), case=query.get("case"))

    @page("POST", "/my/care/tick")
    def tick_round(self, request):
        session, body, errors = read_checked(self, request, TickForm(), roles=PERSONAL)
        if errors:
            return self._my_care(request, session, errors=errors, sent=request.form, status=400)
        desk = Desk.of(self.parts.services, session)
        try:
            case_id = care.tick(desk, body["plan_id"], body["day"], body["outcome"], body["note"])
        except RoundNotOpen:
            return self._my_care(request, session, refused="care_refused_round_not_open",
                                 status=409)  # fmt: skip
        except ApiError as refused:
            if refused.code in REFUSALS:
                return self._my_care(request, session, refused=f"care_refused_{refused.code}",
                                     status=refused.status)  # fmt: skip
            errors = field_errors(refused)
            return self._my_care(request, session, errors=errors, sent=request.form, status=400)
        done = {"done": body["outcome"], **({"case": case_id} if case_id else {})}
        return redirect(f"/my/care?{urlencode(done)}")

    @page("GET", "/care")
    def care_register(self, request):
        session = self.signed_in(request)
        query = read_query(request, DoneQuery())
        return self._register(request, session, done=query.get("done"))

    @page("POST", "/care/plans")
    def add_plan(self, request):
        session, body, errors = read_checked(self, request, PlanForm())
        if errors:
            return self._register(request, session, errors=errors, sent=request.form, status=400)
        desk = Desk.of(self.parts.services, session)
        zone = self.parts.zone_of(session.scope.community_id)
        try:
            care.register(desk, body, body["form_key"], zone)
        except ApiError as refused:
            errors = field_errors(refused)
            return self._register(request, session, errors=errors, sent=request.form, status=400)
        return redirect("/care?done=registered")

    @page("POST", "/care/plans/<string:plan_id>/end")
    def end_plan(self, request, plan_id):
        session, _, _ = read_checked(self, request, EndForm())
        desk = Desk.of(self.parts.services, session)
        care.end(desk, plan_id)  # roster: staff only, their community's plan (else 403/404)
        return redirect("/care?done=ended")

    def _my_care(
        self,
        request,
        session: Session,
        done: str | None = None,
        case: str | None = None,
        refused: str | None = None,
        errors: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        shown = care.my_rounds(Desk.of(self.parts.services, session))
        if shown["timezone"] is None:
            shown["timezone"] = str(self.parts.zone_of(session.scope.community_id))
        return self.render(
            request, "care/my.html", session, status=status, refused=refused,
            done=f"care_done_{done}" if done else None, case=case, errors=errors or {},
            sent=sent or {}, **shown,
        )  # fmt: skip

    def _register(
        self,
        request,
        session: Session,
        done: str | None = None,
        errors: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        shown = care.register_page(Desk.of(self.parts.services, session), self.parts.store.member)
        community = session.scope.community_id
        if shown["plans"]:
            self.parts.learn_zone(community, shown["plans"][0]["timezone"])
        return self.render(
            request, "care/register.html", session, status=status,
            done=f"care_done_{done}" if done else None, errors=errors or {}, sent=sent or {},
            new_key=new_form_key, zone_name=str(self.parts.zone_of(community)),
            today=utc_now().astimezone(self.parts.zone_of(community)).date(),
            **shown,
        )  # fmt: skip
