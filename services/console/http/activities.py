"""Volunteer activities (志愿活动). Staff: the community's activities with the publish form
(/activities) and an activity's page with its sign-ups and attendance. A volunteer: the
upcoming activities of their community (/my/activities) with sign-up, withdrawal and
check-in, each a POST for the session's own person.

A form refused (by its schema or by roster) shows its page again with the field's error
and nothing changed; roster's refusal of a volunteer's action (full, started, outside the
activity's window) shows the list again saying why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from lianxin.clock import utc_now
from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import activities
from services.console.app.desk import Desk
from services.console.domain.activities import ACTIONS, BASES, KINDS
from services.console.domain.hours import new_form_key
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.errors import PageNotFound
from services.console.http.forms import Form
from services.console.http.my_duty import FORM_KEY
from services.console.http.pages import PERSONAL, Pages, page, redirect

PLACE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ACTIVITY_ID = re.compile(r"^A-[0-9a-f]{16}$")
MAX_PLACES = 20
MINUTES = r"^(\d{1,4})?$"
# roster's refusals of a volunteer's action, said in the page's words (my_activities_refused_*)
REFUSALS = ("activity_full", "activity_closed", "outside_window", "not_signed_up", "not_found")
DONE = tuple(ACTIONS)


class PublishForm(Form):
    request_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{16,43}$"))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    places = fields.String(validate=validate.Regexp(PLACE.pattern))  # the first; all below
    starts_at = fields.String(required=True, validate=validate.Length(max=16))
    ends_at = fields.String(required=True, validate=validate.Length(max=16))
    capacity = fields.Integer(required=True, validate=validate.Range(1, 500))
    basis = fields.String(required=True, validate=validate.OneOf(BASES))
    fixed_minutes = fields.String(load_default="", validate=validate.Regexp(MINUTES))
    cap_minutes = fields.String(load_default="", validate=validate.Regexp(MINUTES))


class ActionForm(Form):
    form_key = fields.String(required=True, validate=FORM_KEY)


class DoneQuery(Schema):
    done = fields.String(validate=validate.OneOf(DONE))


class PublishedQuery(Schema):
    done = fields.String(validate=validate.OneOf(("published",)))


def chosen_places(request) -> tuple[list[str], list[str]]:
    """Every place ticked (a form sends one `places` per box), or the field's error."""
    found = request.form.getlist("places")
    if not found:
        return [], ["Choose at least one place."]
    if len(found) > MAX_PLACES or not all(PLACE.match(code) for code in found):
        return [], [f"At most {MAX_PLACES} places of the list."]
    return found, []


class ActivityPages(Pages):
    @page("GET", "/activities")
    def activities_list(self, request):
        session = self.signed_in(request)
        done = read_query(request, PublishedQuery()).get("done")
        return self._list(request, session, done=done)

    @page("POST", "/activities")
    def publish_activity(self, request):
        """Publish once per form (its key is roster's Idempotency-Key)."""
        session, body, errors = read_checked(self, request, PublishForm())
        places, place_errors = chosen_places(request)
        if place_errors:
            errors = {**errors, "places": place_errors}
        if errors:
            return self._list(request, session, form=request.form, errors=errors)
        zone = self.parts.zone_of(session.scope.community_id)
        try:
            made = activities.publish(
                Desk.of(self.parts.services, session), {**body, "places": places}, zone
            )
        except activities.FormRefused as refused:
            return self._list(request, session, form=request.form, errors=refused.fields)
        return redirect(f"/activities/{made['activity_id']}?done=published")

    @page("GET", "/activities/<string:activity_id>")
    def activity_page(self, request, activity_id):
        session = self.signed_in(request)
        done = read_query(request, PublishedQuery()).get("done")
        found = activities.activity(Desk.of(self.parts.services, session), activity_id)
        self.parts.learn_zone(session.scope.community_id, found["timezone"])
        return self.render(
            request, "activities/activity.html", session, activity=found,
            done="activities_done_published" if done else None,
        )  # fmt: skip

    @page("GET", "/my/activities")
    def my_activities(self, request):
        session = self.signed_in(request, roles=PERSONAL)
        done = read_query(request, DoneQuery()).get("done")
        return self._mine(request, session, done=done)

    @page("POST", "/my/activities/<string:activity_id>/<string:action>")
    def on_activity(self, request, activity_id, action):
        """Sign up, withdraw or check in, for the session's own person only."""
        if action not in ACTIONS or not ACTIVITY_ID.match(activity_id):
            raise PageNotFound(f"No {action} here.")
        session, body, errors = read_checked(self, request, ActionForm(), roles=PERSONAL)
        if errors:
            return self._mine(request, session, refused="my_activities_refused_form", status=400)
        desk = Desk.of(self.parts.services, session)
        try:
            activities.act(desk, self.parts.store, activity_id, action, body["form_key"],
                           utc_now())  # fmt: skip
        except ApiError as refused:
            if refused.code not in REFUSALS:
                raise
            return self._mine(request, session, status=refused.status,
                              refused=f"my_activities_refused_{refused.code}")  # fmt: skip
        return redirect(f"/my/activities?done={action}")

    def _list(
        self,
        request,
        session: Session,
        done: str | None = None,
        form: Mapping[str, Any] | None = None,
        errors: Mapping[str, Any] | None = None,
    ):
        desk = Desk.of(self.parts.services, session)
        found = activities.listing(desk, upcoming=False)
        if found:
            self.parts.learn_zone(session.scope.community_id, found[0]["timezone"])
        return self.render(
            request, "activities/list.html", session, status=400 if errors else 200,
            activities=found, places=activities.places(desk),
            kinds=KINDS, bases=BASES, form=form or {}, errors=errors or {},
            chosen=(form.getlist("places") if form else []), request_key=new_form_key(),
            done="activities_done_published" if done else None,
        )  # fmt: skip

    def _mine(
        self,
        request,
        session: Session,
        done: str | None = None,
        refused: str | None = None,
        status: int = 200,
    ):
        desk = Desk.of(self.parts.services, session)
        shown = activities.my_activities(desk, utc_now())
        if shown:
            self.parts.learn_zone(session.scope.community_id, shown[0][0]["timezone"])
        return self.render(
            request, "activities/mine.html", session, status=status, shown=shown,
            refused=refused, done=f"my_activities_done_{done}" if done else None,
            new_key=new_form_key,
        )  # fmt: skip
