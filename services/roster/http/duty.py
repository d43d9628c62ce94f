"""HTTP entrypoints for duty: who is on duty, the rota check, sign-in and sign-out,
leave, covers and extra duty, and each person's week of duty and iCalendar feed."""

from __future__ import annotations

from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lianxin.access.actors import Actor, Forbidden, Unauthenticated
from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.roster.app import duty, duty_week, feeds, rota_week, views
from services.roster.http.duty_week_schemas import DutyWeekQuery, DutyWeekSchema
from services.roster.http.errors import PERSON, ROTA, http
from services.roster.http.schemas import (
    DutyAnswer,
    DutyBody,
    FeedQuery,
    FeedSchema,
    LeaveBody,
    LeaveSchema,
    NoShowsSchema,
    OnDutyQuery,
    OnDutySchema,
    OverrideBody,
    OverrideSchema,
    RotaCheckQuery,
    RotaCheckSchema,
    RotaWeekQuery,
    RotaWeekSchema,
)


def _acting(actor: Actor, person_id: str | None) -> str:
    """Volunteers act for themselves (their person token or person-bound key); staff,
    grid leaders and admin keys may name someone else."""
    if person_id is None or person_id == actor.person_id:
        if actor.person_id is None:
            raise ValidationError({"person_id": ["Name the person, or act with a person token."]})
        return actor.person_id
    actor.require_role("staff", "grid_leader")
    return person_id


def _own_or_staff(store, actor: Actor, person_id: str) -> dict:
    """The person's own feed, or staff and grid leaders for someone of their community."""
    if actor.person_id != person_id:
        actor.require_role("staff", "grid_leader")
    return views.person(store, person_id, actor)


def _rota_visible(store, rota_id: str, actor: Actor) -> None:
    rota = store.find("rotas", rota_id)
    if rota is None or not actor.sees(rota["community_id"]):
        raise duty.RotaNotFound(rota_id)


class DutyHttp:
    @http(
        "GET",
        "/v1/on-duty",
        summary="Who is on duty for a grid and team (now, or at `at`)",
        query=OnDutyQuery,
        responses={200: OnDutySchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def on_duty(self, request, actor, query):
        grid = self.parts.store.definition("areas", query["grid_id"])
        if grid is None or not actor.sees(grid.get("community_id") or ""):
            raise views.NotFound(f"No grid {query['grid_id']}.")
        at = query.get("at") or utc_now()
        people = duty.who_is_on_duty(self.parts.store, query["grid_id"], query["team"], at)
        return 200, OnDutySchema().dump({**query, "at": at, "on_duty": people})

    @http(
        "GET",
        "/v1/rota-check",
        summary="Gaps in duty and uneven load over the coming days",
        query=RotaCheckQuery,
        responses={200: RotaCheckSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def rota_check(self, request, actor, query):
        start = query.get("start") or utc_now()
        found = views.rota_check(
            self.parts.store, query["community_id"], start, query["days"], actor
        )
        return 200, RotaCheckSchema().dump(found)

    @http(
        "GET",
        "/v1/rota-week",
        summary="A grid's and team's week of duty: shifts, who is on duty, gaps and overlaps "
        "(as rota-check), overrides, leave and no-shows",
        query=RotaWeekQuery,
        responses={200: RotaWeekSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def rota_week(self, request, actor, query):
        found = rota_week.rota_week(
            self.parts.store, query["grid_id"], query.get("team"), query.get("week"), utc_now(),
            actor,
        )  # fmt: skip
        return 200, RotaWeekSchema().dump(found)

    @http(
        "POST",
        "/v1/duty/check-in",
        summary="Sign in (签到): on duty until signing out",
        body=DutyBody,
        responses={200: DutyAnswer},
        raises=(*ROTA, Forbidden),
        scope="act",
    )
    def check_in(self, request, actor, body):
        person_id = _acting(actor, body.get("person_id"))
        _rota_visible(self.parts.store, body["rota_id"], actor)
        signed = duty.check_in(self.parts.store, body["rota_id"], person_id, utc_now())
        return 200, DutyAnswer().dump({**body, "person_id": person_id, "overrides": [signed]})

    @http(
        "POST",
        "/v1/duty/check-out",
        summary="Sign out (签退): off duty from now",
        body=DutyBody,
        responses={200: DutyAnswer},
        raises=(*ROTA, Forbidden),
        scope="act",
    )
    def check_out(self, request, actor, body):
        person_id = _acting(actor, body.get("person_id"))
        _rota_visible(self.parts.store, body["rota_id"], actor)
        changed = duty.check_out(self.parts.store, body["rota_id"], person_id, utc_now())
        return 200, DutyAnswer().dump({**body, "person_id": person_id, "overrides": changed})

    @http(
        "POST",
        "/v1/people/<string:person_id>/leave",
        summary="Record leave (请假)",
        body=LeaveBody,
        responses={201: LeaveSchema},
        raises=(*PERSON, Forbidden, LeaseBusy),
        scope="act",
    )
    def add_leave(self, request, actor, person_id, body):
        actor.require_role("staff", "grid_leader")
        views.person(self.parts.store, person_id, actor)
        entry = duty.add_leave(
            self.parts.store,
            person_id,
            body["start"],
            body["end"],
            body["reason"],
            actor.person_id or actor.key_name,
            utc_now(),
        )
        return 201, LeaveSchema().dump(entry)

    @http(
        "DELETE",
        "/v1/people/<string:person_id>/leave/<string:leave_id>",
        summary="Cancel leave",
        responses={204: None},
        raises=(*PERSON, duty.OverrideNotFound, Forbidden, LeaseBusy),
        scope="act",
    )
    def remove_leave(self, request, actor, person_id, leave_id):
        actor.require_role("staff", "grid_leader")
        views.person(self.parts.store, person_id, actor)
        duty.remove_leave(self.parts.store, person_id, leave_id, utc_now())
        return Response(status=204)

    @http(
        "POST",
        "/v1/rotas/<string:rota_id>/overrides",
        summary="A cover (one person takes another's duty) or extra duty",
        body=OverrideBody,
        responses={201: OverrideSchema},
        raises=(*ROTA, Forbidden),
        scope="act",
    )
    def add_override(self, request, actor, rota_id, body):
        actor.require_role("staff", "grid_leader")
        _rota_visible(self.parts.store, rota_id, actor)
        override = duty.add_override(
            self.parts.store,
            rota_id,
            body["kind"],
            body["person_id"],
            body["start"],
            body["end"],
            body.get("replaces"),
            body["note"],
            utc_now(),
        )
        return 201, OverrideSchema().dump(override)

    @http(
        "DELETE",
        "/v1/rotas/<string:rota_id>/overrides/<string:override_id>",
        summary="Withdraw a cover or extra duty",
        responses={204: None},
        raises=(*ROTA, duty.OverrideNotFound, Forbidden),
        scope="act",
    )
    def remove_override(self, request, actor, rota_id, override_id):
        actor.require_role("staff", "grid_leader")
        _rota_visible(self.parts.store, rota_id, actor)
        duty.remove_override(self.parts.store, rota_id, override_id, utc_now())
        return Response(status=204)

    @http(
        "GET",
        "/v1/people/<string:person_id>/no-shows",
        summary="A person's recorded no-shows (shifts that needed a sign-in), latest first",
        responses={200: NoShowsSchema},
        raises=PERSON,
        scope="read",
    )
    def no_shows(self, request, actor, person_id):
        views.person(self.parts.store, person_id, actor)
        found = self.parts.store.no_shows_of(person_id)
        return 200, NoShowsSchema().dump({"person_id": person_id, "no_shows": found})

    @http(
        "GET",
        "/v1/people/<string:person_id>/duty-week",
        summary="A person's week of duty across every rota they are on, whichever grids it "
        "serves, and where they stand in each now (a volunteer's token: their own only)",
        query=DutyWeekQuery,
        responses={200: DutyWeekSchema},
        raises=PERSON,
        scope="read",
    )
    def duty_week(self, request, actor, person_id, query):
        found = duty_week.duty_week(
            self.parts.store, person_id, query.get("week"), utc_now(), actor
        )
        return 200, DutyWeekSchema().dump(found)

    @http(
        "GET",
        "/v1/people/<string:person_id>/rota-feed",
        summary="The URL of the person's iCalendar feed (their own, or staff)",
        responses={200: FeedSchema},
        raises=(*PERSON, Forbidden),
        scope="read",
    )
    def rota_feed(self, request, actor, person_id):
        person = _own_or_staff(self.parts.store, actor, person_id)
        return 200, {"url": self._feed_url(request, person_id, person.get("feed_version", 0))}

    @http(
        "POST",
        "/v1/people/<string:person_id>/rota-feed/reset",
        summary="A new URL for the person's iCalendar feed; every older URL stops working",
        responses={200: FeedSchema},
        raises=(*PERSON, Forbidden, LeaseBusy),
        scope="act",
    )
    def reset_rota_feed(self, request, actor, person_id):
        _own_or_staff(self.parts.store, actor, person_id)
        version = duty.reset_feed(self.parts.store, person_id)
        return 200, {"url": self._feed_url(request, person_id, version)}

    def _feed_url(self, request, person_id: str, version: int) -> str:
        token = self.feeds.issue(person_id, version)
        return f"{request.host_url.rstrip('/')}/v1/people/{person_id}/rota.ics?token={token}"

    @http(
        "GET",
        "/v1/people/<string:person_id>/rota.ics",
        summary="A person's duty as iCalendar (text/calendar); the token is the feed URL's",
        query=FeedQuery,
        responses={200: None},
        raises=(Unauthenticated,),
    )
    def rota_ics(self, request, person_id, query):
        person = self.parts.store.find("people", person_id)
        if person is None or not person.get("active", True):
            raise Unauthenticated("The feed token is not valid.")
        self.feeds.verify(query["token"], person_id, person.get("feed_version", 0))
        body = feeds.calendar(self.parts.store, person, utc_now())
        return Response(body, status=200, mimetype="text/calendar")

    # -- dispatch and the ledger -------------------------------------------------------------
