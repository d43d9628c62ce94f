"""Notices (通知). Staff and grid people: the list with each notice's counts per channel
(/notices), compose (/notices/new) → preview (POST /notices/new: how many each channel
reaches, nothing sent) → send (POST /notices, the preview's key as notify's
Idempotency-Key), and a notice's page (/notices/<id>) with its counts and who read it,
names masked. A resident: the reading page of their SMS's link (/r/notice/<token>),
public and phone-sized, whose GET only shows (a link scanner's fetch counts nothing) and
whose button POSTs the read, counted once.

A form refused (by its schema or by notify) shows the compose form again with the field's
error and nothing sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate
from werkzeug.wrappers import Request

from lianxin.http.reading import read_form
from services.console.app import notices
from services.console.app.desk import Desk
from services.console.domain.hours import new_form_key
from services.console.domain.labels import LANGUAGE_COOKIE, language_of
from services.console.domain.notices import AUDIENCE_KINDS, CHANNELS
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.errors import PageNotFound
from services.console.http.forms import Form
from services.console.http.pages import Pages, page, redirect
from services.console.http.residents_progress import (
    FORM_COOKIE_SECONDS,
    NOT_INDEXED,
    require_form_token,
)

AUDIENCE = re.compile(rf"^({'|'.join(AUDIENCE_KINDS)}):[a-z0-9][a-z0-9_-]{{0,63}}$")
NOTICE_ID = re.compile(r"^NT-[0-9A-F]{16}$")
REQUEST_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{16,43}$")
READING = "/r/notice/<string:token>"


class ComposeForm(Form):
    audience = fields.String(required=True, validate=validate.Regexp(AUDIENCE.pattern))
    title = fields.String(required=True, validate=validate.Length(min=1, max=60))
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    urgent = fields.String(load_default="", validate=validate.OneOf(("", "yes")))
    channels = fields.String(validate=validate.OneOf(CHANNELS))  # the first; all below
    step = fields.String(load_default="preview", validate=validate.OneOf(("preview", "edit")))
    request_key = fields.String(load_default="", validate=validate.Regexp(r"^[\w\-]{0,43}$"))


class SendForm(ComposeForm):
    request_key = fields.String(required=True, validate=REQUEST_KEY)


class ReadForm(Form):
    pass


def chosen_channels(request: Request) -> tuple[list[str], list[str]]:
    """Every channel ticked (one `channels` per box), or the field's error."""
    found = request.form.getlist("channels")
    if not found or not set(found) <= set(CHANNELS):
        return [], ["Choose at least one channel."]
    return [channel for channel in CHANNELS if channel in found], []


class NoticePages(Pages):
    @page("GET", "/notices")
    def notices_list(self, request):
        session = self.signed_in(request)
        desk = Desk.of(self.parts.services, session)
        return self.render(request, "notices/list.html", session, notices=notices.listing(desk))

    @page("GET", "/notices/new")
    def notice_compose(self, request):
        session = self.signed_in(request)
        return self._compose(request, session)

    @page("POST", "/notices/new")
    def notice_preview(self, request):
        """The preview: how many each channel reaches. Sends nothing."""
        session, body, errors = read_checked(self, request, ComposeForm())
        channels, channel_errors = chosen_channels(request)
        if channel_errors:
            errors = {**errors, "channels": channel_errors}
        if errors or body.get("step") == "edit":
            return self._compose(request, session, form=request.form, errors=errors)
        desk = Desk.of(self.parts.services, session)
        try:
            reach = notices.preview(desk, body, channels)
        except notices.FormRefused as refused:
            return self._compose(request, session, form=request.form, errors=refused.fields)
        return self.render(
            request, "notices/preview.html", session, form=body, channels=channels,
            reach=reach, request_key=new_form_key(),
        )  # fmt: skip

    @page("POST", "/notices")
    def notice_send(self, request):
        """Send once per confirmation (its key is notify's Idempotency-Key)."""
        session, body, errors = read_checked(self, request, SendForm())
        channels, channel_errors = chosen_channels(request)
        if channel_errors:
            errors = {**errors, "channels": channel_errors}
        if errors:
            return self._compose(request, session, form=request.form, errors=errors)
        try:
            sent = notices.send(Desk.of(self.parts.services, session), body, channels)
        except notices.FormRefused as refused:
            return self._compose(request, session, form=request.form, errors=refused.fields)
        return redirect(f"/notices/{sent['id']}?done=sent")

    @page("GET", "/notices/<string:notice_id>")
    def notice_page(self, request, notice_id):
        session = self.signed_in(request)
        if not NOTICE_ID.match(notice_id):
            raise PageNotFound(f"No notice {notice_id}.")
        found = notices.notice(Desk.of(self.parts.services, session), notice_id)
        return self.render(
            request, "notices/notice.html", session, notice=found,
            done=request.args.get("done") == "sent",
        )  # fmt: skip

    @page("GET", READING)
    def notice_reading(self, request, token):
        shown = notices.reading_page(self.parts.services, token)
        return self._reading(request, token, shown, thanked=request.args.get("done") == "read")

    @page("POST", READING)
    def notice_read(self, request, token):
        """The resident's 我已阅读: counted once by notify, then the page again."""
        try:
            form = read_form(request, ReadForm())
        except ValidationError:
            form = request.form
        require_form_token(request, form)
        notices.read(self.parts.services, token)
        return redirect(f"/r/notice/{token}?done=read")

    def _reading(self, request: Request, token: str, shown: Mapping[str, Any], thanked: bool):
        """The page sets the cookie its form's CSRF token doubles (no session here)."""
        return self.render_signed_out(
            request, "residents/notice.html", 200, NOT_INDEXED, FORM_COOKIE_SECONDS,
            token=token, notice=shown, thanked=thanked and shown["read_at"] is not None,
        )  # fmt: skip

    def _compose(
        self,
        request: Request,
        session: Session,
        form: Mapping[str, Any] | None = None,
        errors: Mapping[str, Any] | None = None,
    ):
        desk = Desk.of(self.parts.services, session)
        words = self.parts.labels.text
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        outside = words("notices_outside_grids", language)  # notify's refusal, in words
        shown = {
            name: [outside if said == "outside_own_grids" else said for said in saying]
            for name, saying in (errors or {}).items()
        }
        chosen = form.getlist("channels") if form is not None else list(CHANNELS)
        return self.render(
            request, "notices/new.html", session, status=400 if errors else 200,
            choices=notices.choices(desk), form=form or {}, errors=shown, chosen=chosen,
            channels=CHANNELS,
        )  # fmt: skip
