"""The residents' pact's pages (居民公约红黑榜): staff's `/pact` (the quarter's observations,
recording one, deciding one after the household's window), `/pact/articles` (editing an
article: a new version), `/pact/publish` (the quarter's list, previewed, then published
with a confirmation), and a unit leader's `/my/pact` (recording for a household of their
units, phone-sized). A unit leader on a staff page is refused (403); estate refuses
whatever the person may not do (another unit's household, another community's
observation: 404). A form that its schema or estate refuses shows its page again with the
field's error and nothing changed; GET never acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.wrappers import Request, Response

from lianxin.clock import utc_now
from lianxin.http.reading import read_query, read_upload
from lianxin.photos import MAX_PHOTO_BYTES
from lianxin.quarters import QUARTER, Quarter
from services.console.apis import ApiError
from services.console.app import pact
from services.console.app.desk import Desk
from services.console.domain import pact as rules
from services.console.domain.hours import new_form_key
from services.console.domain.sessions import Session
from services.console.http.cases import PHOTO_HEADERS
from services.console.http.checked_forms import read_checked
from services.console.http.errors import PageNotFound
from services.console.http.forms import Form
from services.console.http.pages import Pages, page, redirect

MAX_PHOTOS = 4  # estate's limit per observation
UPLOAD_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024
RECORDERS = frozenset({"staff", "unit_leader"})
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$")
OBSERVATION_ID = validate.Regexp(r"^PO-[0-9a-f]{16}$")
DONE = ("recorded", "decided", "edited", "published")
RECENT = 4  # the quarters the pages offer: this one and the three before
# estate's refusals the pages say in their own words (labels pact_refused_<code>)
REFUSALS = ("window_open", "already_decided", "quarter_published", "already_published",
            "quarter_not_started", "article_unchanged", "seen_in_future", "not_found")  # fmt: skip


class PageQuery(Schema):
    quarter = fields.String(validate=QUARTER)
    done = fields.String(validate=validate.OneOf(DONE))


class ObservationForm(Form):
    unit = fields.String(required=True, validate=CODE)
    room = fields.String(required=True, validate=validate.Regexp(rules.ROOM.pattern))
    article_number = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))
    seen = fields.String(required=True, validate=validate.Length(min=1, max=500))
    seen_on = fields.Date(required=True)
    seen_time = fields.Time(required=True)
    form_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{16,64}$"))


class DecisionForm(Form):
    outcome = fields.String(required=True, validate=validate.OneOf(rules.DECISIONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    quarter = fields.String(required=True, validate=QUARTER)


class ArticleForm(Form):
    estate_id = fields.String(required=True, validate=CODE)
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    title = fields.String(required=True, validate=validate.Length(min=1, max=40))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PublishForm(Form):
    quarter = fields.String(required=True, validate=QUARTER)
    confirm = fields.String(required=True, validate=validate.Equal("yes"))


class PactPages(Pages):
    # -- staff --

    @page("GET", "/pact")
    def pact_page(self, request):
        session = self.signed_in(request)
        query = read_query(request, PageQuery())
        quarter = self._pact_quarter(session, query)
        return self._pact_staff(request, session, quarter, query.get("done"))

    @page("POST", "/pact/observations", max_body_bytes=UPLOAD_BYTES)
    def pact_record(self, request):
        return self._pact_record(request, staff=True)

    @page("POST", "/pact/observations/<string:observation_id>/decision")
    def pact_decide(self, request, observation_id):
        session, body, errors = read_checked(self, request, DecisionForm())
        if not _matches(OBSERVATION_ID, observation_id):
            raise PageNotFound("No such observation.")
        quarter = body.get("quarter") or self._pact_quarter(session, {})
        if errors:
            return self._pact_staff(request, session, quarter, errors=errors, status=400)
        try:
            pact.decide(Desk.of(self.parts.services, session), observation_id, body["outcome"],
                        body["note"])  # fmt: skip
        except ApiError as refused:
            return self._pact_staff(request, session, quarter, refused=_refusal(refused),
                               status=refused.status)  # fmt: skip
        return redirect(f"/pact?quarter={quarter}&done=decided")

    @page("GET", "/pact/articles")
    def pact_articles(self, request):
        session = self.signed_in(request)
        query = read_query(request, PageQuery())
        return self._pact_articles(request, session, done=query.get("done"))

    @page("POST", "/pact/articles")
    def pact_edit_article(self, request):
        session, body, errors = read_checked(self, request, ArticleForm())
        if errors:
            return self._pact_articles(request, session, errors=errors, sent=request.form,
                                       status=400)  # fmt: skip
        try:
            pact.edit_article(Desk.of(self.parts.services, session), body)
        except ApiError as refused:
            if refused.status == 400 and refused.fields:
                return self._pact_articles(request, session, errors=refused.fields,
                                      sent=request.form, status=400)  # fmt: skip
            return self._pact_articles(request, session, refused=_refusal(refused),
                                  sent=request.form, status=refused.status)  # fmt: skip
        return redirect("/pact/articles?done=edited")

    @page("GET", "/pact/publish")
    def pact_publish_page(self, request):
        """The confirmation step: what the list would show, and what is left off."""
        session = self.signed_in(request)
        query = read_query(request, PageQuery())
        quarter = self._pact_quarter(session, query)
        return self._pact_publish(request, session, quarter, query.get("done"))

    @page("POST", "/pact/publish")
    def pact_publish(self, request):
        session, body, errors = read_checked(self, request, PublishForm())
        quarter = body.get("quarter") or self._pact_quarter(session, {})
        if errors:
            return self._pact_publish(request, session, quarter, errors=errors, status=400)
        try:
            pact.publish(Desk.of(self.parts.services, session), quarter)
        except ApiError as refused:
            return self._pact_publish(request, session, quarter, refused=_refusal(refused),
                                 status=refused.status)  # fmt: skip
        return redirect(f"/pact/publish?quarter={quarter}&done=published")

    @page("GET", "/pact/photos/<string:photo_id>/<string:variant>")
    def pact_photo(self, request, photo_id, variant):
        """An evidence photo, as estate serves it to the person (staff, its recorder)."""
        session = self.signed_in(request, roles=RECORDERS)
        if variant not in ("thumb", "full"):
            raise PageNotFound("No such photo.")
        desk = Desk.of(self.parts.services, session)
        found = desk.services.pact_photo(desk.token, photo_id, variant)
        if found is None:
            raise PageNotFound("No such photo.")
        content, kind = found
        return Response(content, status=200, mimetype=kind, headers=PHOTO_HEADERS)

    # -- a unit leader's own page --

    @page("GET", "/my/pact")
    def my_pact(self, request):
        session = self.signed_in(request, roles=RECORDERS)
        query = read_query(request, PageQuery())
        return self._pact_mine(request, session, done=query.get("done"))

    @page("POST", "/my/pact/observations", max_body_bytes=UPLOAD_BYTES)
    def my_pact_record(self, request):
        return self._pact_record(request, staff=False)

    # -- what they share --

    def _pact_record(self, request: Request, staff: bool):
        """One observation from the record form (with its photos), for staff's page or a
        unit leader's; refused fields show the form again, nothing recorded."""
        roles = None if staff else RECORDERS
        again = self._pact_staff_form if staff else self._pact_mine
        try:
            body, photos = read_upload(request, ObservationForm(), "photo")
        except ValidationError as exc:
            session = self._pact_session_for_form(request, roles)
            errors = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            return again(request, session, errors=errors, sent=request.form, status=400)
        session = self._pact_session_for_form(request, roles, body)
        desk = Desk.of(self.parts.services, session)
        zone = self.parts.zone_of(session.scope.community_id)
        try:
            pact.record(desk, body, [photo for photo in photos if photo], zone)
        except pact.AlreadyRecorded:
            pass  # this form's observation is recorded already
        except ApiError as refused:
            if refused.status == 400 and refused.fields:
                return again(request, session, errors=refused.fields, sent=request.form,
                             status=400)  # fmt: skip
            if refused.code == "not_found":
                return again(request, session, errors={"room": ["not_found"]},
                             sent=request.form, status=404)  # fmt: skip
            return again(request, session, refused=_refusal(refused), sent=request.form,
                         status=refused.status)  # fmt: skip
        return redirect("/pact?done=recorded" if staff else "/my/pact?done=recorded")

    def _pact_session_for_form(
        self, request: Request, roles, body: Mapping[str, Any] | None = None
    ):
        form = body if body is not None else request.form
        if roles is None:
            return self.signed_in(request, form)
        return self.signed_in(request, form, roles=roles)

    def _pact_quarter(self, session: Session, query: Mapping[str, Any]) -> str:
        zone = self.parts.zone_of(session.scope.community_id)
        return query.get("quarter") or str(Quarter.of(utc_now(), zone))

    def _pact_staff_form(self, request, session, **shown):
        return self._pact_staff(request, session, self._pact_quarter(session, {}), **shown)

    def _pact_staff(
        self,
        request: Request,
        session: Session,
        quarter: str,
        done: str | None = None,
        refused: str | None = None,
        errors: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        desk = Desk.of(self.parts.services, session)
        shown = pact.staff_page(desk, quarter)
        self.parts.learn_zone(session.scope.community_id, shown["timezone"])
        return self._pact_render(request, session, "pact/staff.html", shown, quarter, done, refused,
                            errors, sent, status)  # fmt: skip

    def _pact_mine(self, request, session, done=None, refused=None, errors=None, sent=None,
              status=200):  # fmt: skip
        desk = Desk.of(self.parts.services, session)
        quarter = self._pact_quarter(session, {})
        shown = pact.my_page(desk, quarter)
        return self._pact_render(request, session, "pact/my.html", shown, quarter, done, refused,
                            errors, sent, status)  # fmt: skip

    def _pact_articles(self, request, session, done=None, refused=None, errors=None, sent=None,
                  status=200):  # fmt: skip
        desk = Desk.of(self.parts.services, session)
        shown = {"pacts": desk.services.pacts(desk.token, session.scope.community_id)}
        quarter = self._pact_quarter(session, {})
        return self._pact_render(request, session, "pact/articles.html", shown, quarter, done,
                            refused, errors, sent, status)  # fmt: skip

    def _pact_publish(self, request, session, quarter, done=None, refused=None, errors=None,
                 status=200):  # fmt: skip
        shown = pact.publish_page(Desk.of(self.parts.services, session), quarter)
        return self._pact_render(request, session, "pact/publish.html", shown, quarter, done,
                            refused, errors, None, status)  # fmt: skip

    def _pact_render(self, request, session, template, shown, quarter, done, refused, errors, sent,
                status):  # fmt: skip
        zone = self.parts.zone_of(session.scope.community_id)
        now = utc_now().astimezone(zone)
        return self.render(
            request, template, session, status=status, quarter=quarter,
            quarters=[str(shown) for shown in Quarter.of(utc_now(), zone).recent(RECENT)],
            done=f"pact_done_{done}" if done else None,
            refused=f"pact_refused_{refused}" if refused else None, errors=errors or {},
            sent=sent or {}, new_key=new_form_key, today=now.date(),
            now_time=now.strftime("%H:%M"), zone_name=str(zone), **shown,
        )  # fmt: skip


def _refusal(refused: ApiError) -> str:
    """Estate's refusal as the page's words, or on to the error page as estate answered."""
    if refused.code in REFUSALS:
        return refused.code
    raise refused


def _matches(rule: validate.Regexp, value: str) -> bool:
    try:
        rule(value)
    except ValidationError:
        return False
    return True
