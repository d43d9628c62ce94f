"""A person's own duty and hours (我的值班, 我的时长): their week of shifts with sign-in and
sign-out, their calendar feed with its reset, their hours ledger and their household's
balance. Every signed-in person may open them (PERSONAL); each reads and acts for the
session's own person only: no page takes a person's id from the request.

Each form carries its CSRF token and a key made when the page was rendered: the same form
sent twice acts once (app/my_duty.py). Resetting the feed asks to confirm first: the
first POST shows what will happen, the second (with `confirm`) does it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from lianxin.clock import utc_now
from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import my_duty, my_hours
from services.console.app.desk import Desk
from services.console.domain.hours import new_form_key
from services.console.domain.my_duty import NotOnDuty
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.errors import PageNotFound
from services.console.http.forms import Form
from services.console.http.pages import PERSONAL, SECURITY_HEADERS, Pages, page, redirect

DONE = ("check_in", "check_out", "feed_reset")
FORM_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{16,64}$")
# roster's refusals the page says in its own words (labels my_duty_refused_<code>)
REFUSALS = ("not_in_team", "not_found")


class DutyQuery(Schema):
    week = fields.Date()
    done = fields.String(validate=validate.OneOf(DONE))


class FeedQuery(Schema):
    token = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{1,300}$"))


class DutyForm(Form):
    rota_id = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
    )
    form_key = fields.String(required=True, validate=FORM_KEY)


class FeedResetForm(Form):
    form_key = fields.String(required=True, validate=FORM_KEY)
    confirm = fields.String(load_default="", validate=validate.OneOf(("", "yes")))


class MyDutyPages(Pages):
    @page("GET", "/my/duty")
    def my_duty(self, request):
        session = self.signed_in(request, roles=PERSONAL)
        query = read_query(request, DutyQuery())
        return self._duty(request, session, query.get("week"), done=query.get("done"))

    @page("POST", "/my/duty/check-in")
    def check_in(self, request):
        return self._act(request, "check_in")

    @page("POST", "/my/duty/check-out")
    def check_out(self, request):
        return self._act(request, "check_out")

    @page("POST", "/my/duty/feed/reset")
    def reset_feed(self, request):
        """First the page that says what a reset does; with `confirm`, the reset."""
        session, body, errors = read_checked(self, request, FeedResetForm(), roles=PERSONAL)
        if errors:
            return self._duty(request, session, None, refused="my_duty_refused_form", status=400)
        if not body["confirm"]:
            return self.render(request, "my/feed_reset.html", session, form_key=body["form_key"])
        desk = Desk.of(self.parts.services, session)
        my_duty.reset_feed(desk, self.parts.store, body["form_key"], utc_now())
        return redirect("/my/duty?done=feed_reset")

    @page("GET", "/feeds/<string:person_id>/rota.ics")
    def rota_calendar(self, request, person_id):
        """The calendar feed for phones' calendar apps, which cannot sign in: roster's, for
        the token its feed URL carries (roster checks it names this person and the feed's
        current version). Anything roster does not take is 404, and nothing else is said."""
        token = read_query(request, FeedQuery())["token"]
        calendar = self.parts.services.rota_calendar(person_id, token)
        if calendar is None:
            raise PageNotFound("No such feed.")
        headers = {**SECURITY_HEADERS, "Content-Disposition": 'inline; filename="rota.ics"'}
        return Response(calendar, status=200, headers=headers, mimetype="text/calendar")

    @page("GET", "/my/hours")
    def my_hours(self, request):
        session = self.signed_in(request, roles=PERSONAL)
        shown = my_hours.hours_page(Desk.of(self.parts.services, session))
        return self.render(request, "my/hours.html", session, **shown)

    def _act(self, request, action: str):
        """Sign in or out; a refusal (off duty, not in the rota's team) shows the week
        again saying why, and nothing changed."""
        session, body, errors = read_checked(self, request, DutyForm(), roles=PERSONAL)
        if errors:
            return self._duty(request, session, None, refused="my_duty_refused_form", status=400)
        desk = Desk.of(self.parts.services, session)
        try:
            my_duty.act_on_duty(desk, self.parts.store, action, body["rota_id"],
                                body["form_key"], utc_now())  # fmt: skip
        except NotOnDuty:
            return self._duty(request, session, None, refused="my_duty_refused_off_duty",
                              status=409)  # fmt: skip
        except ApiError as refused:
            if refused.code not in REFUSALS:
                raise
            return self._duty(request, session, None, status=refused.status,
                              refused=f"my_duty_refused_{refused.code}")  # fmt: skip
        return redirect(f"/my/duty?{urlencode({'done': action})}")

    def _duty(
        self,
        request,
        session: Session,
        week,
        done: str | None = None,
        refused: str | None = None,
        status: int = 200,
    ):
        community = session.scope.community_id
        now = utc_now()
        zone = self.parts.zone_of(community)
        day = week or now.astimezone(zone).date()
        desk = Desk.of(self.parts.services, session)
        shown = my_duty.duty_page(desk, day, now, self.parts.settings.public_url)
        self.parts.learn_zone(community, shown["timezone"])
        return self.render(
            request, "my/duty.html", session, status=status, refused=refused,
            done=f"my_duty_done_{done}" if done else None, new_key=new_form_key,
            **shown,
        )  # fmt: skip

