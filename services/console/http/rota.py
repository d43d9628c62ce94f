"""The rota week page (排班) and its forms: leave, and covers or extra duty, entered and
withdrawn. A form that roster or its own schema refuses shows the week again with the
field's error, and nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

from lianxin.clock import utc_now
from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import rota
from services.console.app.desk import Desk
from services.console.domain.rota import OVERRIDE_KINDS
from services.console.domain.sessions import Session
from services.console.http.checked_forms import field_errors, read_checked
from services.console.http.forms import Form
from services.console.http.pages import Pages, page, redirect

SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_.:\-]{0,99}$")
LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


class WeekQuery(Schema):
    grid = fields.String(validate=SLUG)
    team = fields.String(validate=SLUG)
    week = fields.Date()
    done = fields.String(
        validate=validate.OneOf(("leave", "leave_removed", "cover", "cover_removed"))
    )


class WeekForm(Form):
    """Which week a form was sent from: the page shows it again after the change."""

    grid_id = fields.String(required=True, validate=SLUG)
    team = fields.String(required=True, validate=SLUG)
    week = fields.Date(required=True)


class WindowForm(WeekForm):
    """Someone's leave or duty from a local time to another (in the community's zone)."""

    person_id = fields.String(required=True, validate=SLUG)
    start = fields.NaiveDateTime(required=True, format=LOCAL_TIME)
    end = fields.NaiveDateTime(required=True, format=LOCAL_TIME)


class LeaveForm(WindowForm):
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class RemoveLeaveForm(WeekForm):
    person_id = fields.String(required=True, validate=SLUG)
    leave_id = fields.String(required=True, validate=SLUG)


class OverrideForm(WindowForm):
    rota_id = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=validate.OneOf(OVERRIDE_KINDS))
    replaces = fields.String(
        load_default="", validate=validate.Regexp(r"^([a-z0-9][a-z0-9_.\-]{0,99})?$")
    )
    note = fields.String(load_default="", validate=validate.Length(max=200))


class RemoveOverrideForm(WeekForm):
    rota_id = fields.String(required=True, validate=SLUG)
    override_id = fields.String(required=True, validate=SLUG)


Change = Callable[[Desk, Mapping[str, Any], Mapping[str, Any]], None]


class RotaPages(Pages):
    @page("GET", "/rota")
    def rota_week(self, request):
        session = self.signed_in(request)
        query = read_query(request, WeekQuery())
        chosen = {
            "grid_id": query.get("grid"),
            "team": query.get("team"),
            "week": query.get("week"),
        }
        return self._week(request, session, chosen, done=query.get("done"))

    @page("POST", "/rota/leave")
    def add_leave(self, request):
        return self._change(request, LeaveForm, "leave", rota.add_leave)

    @page("POST", "/rota/leave/remove")
    def remove_leave(self, request):
        return self._change(request, RemoveLeaveForm, "leave_removed", rota.remove_leave)

    @page("POST", "/rota/cover")
    def add_cover(self, request):
        return self._change(request, OverrideForm, "cover", rota.add_override)

    @page("POST", "/rota/cover/remove")
    def remove_cover(self, request):
        return self._change(request, RemoveOverrideForm, "cover_removed", rota.remove_override)

    def _change(self, request, form: type[Schema], name: str, change: Change):
        """Check the CSRF token first, then the form, then let roster decide; a refusal with
        field errors shows the week again with them, anything else as an error page."""
        session, body, errors = read_checked(self, request, form())
        if errors:
            sent = {"grid_id": request.form.get("grid_id"), "team": request.form.get("team")}
            return self._week(request, session, sent, failed=name, errors=errors)
        desk = Desk.of(self.parts.services, session)
        try:
            change(desk, rota.week(desk, body["grid_id"], body["team"], body["week"]), body)
        except ApiError as refused:
            return self._week(request, session, body, failed=name, errors=field_errors(refused))
        chosen = {"grid": body["grid_id"], "team": body["team"], "week": body["week"], "done": name}
        return redirect(f"/rota?{urlencode(chosen)}")

    def _week(
        self,
        request,
        session: Session,
        chosen: Mapping[str, Any],
        done: str | None = None,
        failed: str | None = None,
        errors: Mapping[str, Any] | None = None,
    ):
        desk = Desk.of(self.parts.services, session)
        community = session.scope.community_id
        day = chosen.get("week") or utc_now().astimezone(self.parts.zone_of(community)).date()
        shown, zone = rota.week_page(desk, chosen.get("grid_id"), chosen.get("team"), day)
        self.parts.learn_zone(community, str(zone))
        return self.render(
            request, "rota/week.html", session, status=400 if failed else 200,
            done=f"done_rota_{done}" if done else None, failed=failed, errors=errors or {},
            **shown,
        )  # fmt: skip
