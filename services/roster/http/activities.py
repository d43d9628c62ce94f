"""HTTP entrypoints of volunteer activities (志愿活动): staff publish; volunteers sign up,
withdraw and check in, each for themselves (their person token)."""

from __future__ import annotations

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.http.idempotency import idempotency_key, names_its_request
from lianxin.store.lease import LeaseBusy
from services.roster.app import activities, views
from services.roster.domain import activities as activity_rules
from services.roster.domain.activities import HoursRule
from services.roster.http.activity_schemas import (
    ActivitiesSchema,
    ActivityBody,
    ActivityListQuery,
    ActivitySchema,
)
from services.roster.http.errors import http
from services.roster.http.schemas import EntrySchema

ACTIVITY = (activities.ActivityNotFound, LeaseBusy)
class ActivitiesHttp:
    @http(
        "POST",
        "/v1/activities",
        summary="Publish a volunteer activity (staff)",
        body=ActivityBody,
        headers=names_its_request("a retry publishes the same activity"),
        responses={201: ActivitySchema},
        raises=(
            views.NotFound,
            activities.UnknownPlace,
            activities.ActivityKeyReused,
            Forbidden,
            LeaseBusy,
        ),
        scope="act",
    )
    def publish_activity(self, request, actor, body):
        actor.require_role("staff")
        rule = HoursRule(**body.pop("hours_rule"))
        draft = activities.Draft(**{**body, "places": tuple(body["places"]), "rule": rule})
        request_id = f"{actor.key_id}:{idempotency_key(request)}"
        made = activities.publish(self.parts.store, draft, actor, request_id, utc_now())
        return 201, ActivitySchema().dump(activities.shown(self.parts.store, made, actor))

    @http(
        "GET",
        "/v1/activities",
        summary="A community's activities, soonest first",
        query=ActivityListQuery,
        responses={200: ActivitiesSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def list_activities(self, request, actor, query):
        store = self.parts.store
        since = utc_now() if query["upcoming"] else None
        found = activities.listing(store, query["community_id"], actor, since)
        shown = [activities.shown(store, activity, actor) for activity in found]
        return 200, ActivitiesSchema().dump(
            {"community_id": query["community_id"], "activities": shown}
        )

    @http(
        "GET",
        "/v1/activities/<string:activity_id>",
        summary="An activity with its sign-ups and attendance",
        responses={200: ActivitySchema},
        raises=(activities.ActivityNotFound,),
        scope="read",
    )
    def get_activity(self, request, actor, activity_id):
        found = activities.activity(self.parts.store, activity_id, actor)
        return 200, ActivitySchema().dump(activities.shown(self.parts.store, found, actor))

    @http(
        "POST",
        "/v1/activities/<string:activity_id>/signup",
        summary="Sign up for an activity (the person of the token, before it starts)",
        responses={200: ActivitySchema},
        raises=(*ACTIVITY, activity_rules.ActivityFull, activity_rules.ActivityClosed),
        scope="act",
    )
    def sign_up_for_activity(self, request, actor, activity_id):
        signed = activities.sign_up(self.parts.store, activity_id, actor, utc_now())
        return 200, ActivitySchema().dump(activities.shown(self.parts.store, signed, actor))

    @http(
        "POST",
        "/v1/activities/<string:activity_id>/withdraw",
        summary="Give one's place back (before the activity starts)",
        responses={200: ActivitySchema},
        raises=(*ACTIVITY, activity_rules.ActivityClosed),
        scope="act",
    )
    def withdraw_from_activity(self, request, actor, activity_id):
        kept = activities.withdraw(self.parts.store, activity_id, actor, utc_now())
        return 200, ActivitySchema().dump(activities.shown(self.parts.store, kept, actor))

    @http(
        "POST",
        "/v1/activities/<string:activity_id>/check-in",
        summary="Check in (the person of the token, once, while the activity runs); "
        "answers the ledger line it credits",
        responses={200: EntrySchema},
        raises=(*ACTIVITY, activity_rules.NotSignedUp, activity_rules.OutsideWindow),
        scope="act",
    )
    def check_in_to_activity(self, request, actor, activity_id):
        entry = activities.check_in(self.parts.store, activity_id, actor, utc_now())
        return 200, EntrySchema().dump(entry)
