"""HTTP entrypoints of care rounds (邻里守望): the register (staff keep it), a plan with its
open rounds, a carer's rounds, and ticking a round off (its carer only). Another
community's plan, or one the asker may not see, is 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.http.idempotency import IDEMPOTENCY_HEADER, idempotency_key
from lianxin.privacy import mask_name, mask_phone
from lianxin.store.lease import LeaseBusy
from services.roster.app import care
from services.roster.domain import care as rules
from services.roster.domain.care import CarePlan, Round
from services.roster.http.care_schemas import (
    CarerBody,
    CarerRoundsSchema,
    EndBody,
    PlanBody,
    PlanSchema,
    RegisterQuery,
    RegisterSchema,
    TickBody,
    TickSchema,
)
from services.roster.http.errors import http

PLAN = (rules.PlanNotFound, Forbidden, LeaseBusy)
TICK = (rules.AlreadyTicked, rules.RoundNotOpen, rules.NotTheCarer, rules.PlanEnded, *PLAN)
KEY_HEADER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "maxLength": 100},
    "description": "names the request: a retry finds the plan it made (200)",
}


def shown(plan: CarePlan, rounds: list[Round] | None = None) -> dict[str, Any]:
    """A plan as every answer shows it: the resident's name and number masked."""
    return {
        **plan.__dict__,
        "display_name": mask_name(plan.name),
        "phone": mask_phone(plan.phone) if plan.phone else "",
        "timezone": plan.zone,
        "case_category": rules.CASE_CATEGORIES[plan.need],
        "rounds": [{**r.__dict__, "id": r.id} for r in rounds or ()],
    }


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"day": ["A date like 2026-12-06."]}) from None


class CareHttp:
    @http(
        "POST",
        "/v1/care/plans",
        summary="Put a resident who agreed to be looked after on the care register (staff)",
        body=PlanBody,
        responses={201: PlanSchema, 200: PlanSchema},
        headers=[KEY_HEADER],
        raises=(care.PlanKeyReused, *PLAN),
        scope="act",
    )
    def register_plan(self, request, actor, body):
        plan_id = care.plan_id_for(actor, idempotency_key(request))
        plan, created = care.register(self.parts.store, body, actor, plan_id, utc_now())
        return (201 if created else 200), PlanSchema().dump(shown(plan))

    @http(
        "GET",
        "/v1/care/plans",
        summary="The care register: a community's plans the asker may see (staff: all; grid "
        "workers and leaders: their grids'; a carer: their own)",
        query=RegisterQuery,
        responses={200: RegisterSchema},
        raises=(rules.PlanNotFound,),
        scope="read",
    )
    def care_register(self, request, actor, query):
        plans = care.register_of(self.parts.store, query["community_id"], actor)
        answer = {"community_id": query["community_id"], "plans": [shown(p) for p in plans]}
        return 200, RegisterSchema().dump(answer)

    @http(
        "GET",
        "/v1/care/plans/<string:plan_id>",
        summary="A care plan and its open rounds",
        responses={200: PlanSchema},
        raises=(rules.PlanNotFound,),
        scope="read",
    )
    def care_plan(self, request, actor, plan_id):
        plan = care.plan_of(self.parts.store, plan_id, actor)
        rounds = care.rounds_of(self.parts.store, plan, utc_now())
        return 200, PlanSchema().dump(shown(plan, rounds))

    @http(
        "POST",
        "/v1/care/plans/<string:plan_id>/carer",
        summary="Give a plan another carer (staff)",
        body=CarerBody,
        responses={200: PlanSchema},
        raises=PLAN,
        scope="act",
    )
    def care_carer(self, request, actor, plan_id, body):
        plan = care.change_carer(self.parts.store, plan_id, body["carer_id"], actor, utc_now())
        return 200, PlanSchema().dump(shown(plan))

    @http(
        "POST",
        "/v1/care/plans/<string:plan_id>/end",
        summary="End a plan: no round is due after now (staff)",
        body=EndBody,
        responses={200: PlanSchema},
        raises=PLAN,
        scope="act",
    )
    def care_end(self, request, actor, plan_id, body):
        plan = care.end(self.parts.store, plan_id, actor, utc_now())
        return 200, PlanSchema().dump(shown(plan))

    @http(
        "POST",
        "/v1/care/plans/<string:plan_id>/rounds/<string:day>/tick",
        summary="Tick a round off (its carer only): well, or needs help with the case it "
        "opened; the same tick again answers the stored one (200)",
        body=TickBody,
        responses={201: TickSchema, 200: TickSchema},
        raises=TICK,
        scope="act",
    )
    def care_tick(self, request, actor, plan_id, day, body):
        tick, created = care.tick(self.parts.store, plan_id, _day(day), body, actor, utc_now())
        return (201 if created else 200), TickSchema().dump(tick)

    @http(
        "GET",
        "/v1/people/<string:person_id>/care-rounds",
        summary="A carer's plans in effect and their open rounds (a carer: their own)",
        responses={200: CarerRoundsSchema},
        raises=(Forbidden,),
        scope="read",
    )
    def carer_rounds(self, request, actor, person_id):
        found = care.carer_rounds(self.parts.store, person_id, actor, utc_now())
        plans = [shown(plan, rounds) for plan, rounds in found]
        return 200, CarerRoundsSchema().dump({"person_id": person_id, "plans": plans})
