"""The assignee's case page and its actions, twice over: for a signed-in person
(`/my/cases/<id>`) and for whoever opens the signed link a message carried (`/v/<token>`,
lianxin.access.case_pages), which needs no password and reaches that one case only.

A GET only reads. An action is two POSTs: the first reads the form (and for resolve
uploads its photos to cases, loose until named) and answers a page that says what will
happen; the second, `confirmed`, acts with the form's own key, so a double submit acts
once; it is answered by a redirect to the case's page (303). Bad input, or cases'
refusal, answers the case's page again with the refusal beside its field: nothing
changed. The link's pages start no session (their one cookie is the sign-in page's
double-submit token, for the language switch): the case's forms carry a token made from
the link itself (domain/my_cases.py `link_form_token`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from werkzeug.wrappers import Request, Response

from lianxin.clock import utc_now
from lianxin.http.reading import read_upload
from services.console.apis import ApiError, ApiUnavailable
from services.console.app import my_cases
from services.console.app.desk import Desk
from services.console.app.my_cases import Holder, LinkRefused
from services.console.domain import csrf
from services.console.domain.case_actions import Refusal, refusal_of
from services.console.domain.my_cases import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    BadTime,
    link_form_token,
    until_from_local,
)
from services.console.domain.sessions import Session
from services.console.domain.timeline import said
from services.console.http.cases import PHOTO_HEADERS, _messages
from services.console.http.errors import CsrfRefused, PageNotFound
from services.console.http.my_case_forms import ASSIGNEE_FORMS
from services.console.http.pages import PERSONAL, Pages, page, redirect

UPLOAD_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024  # nine photos and the form
LINK_REFUSED_STATUS = {"invalid": 404, "expired": 410, "revoked": 403}


@dataclass(frozen=True)
class Acting:
    """Who posts on a case page and where its forms go: the person's holder, the page's
    path (`/my/cases/<id>` or `/v/<token>`), the session (None through a link) and the
    token each form must carry."""

    holder: Holder
    path: str
    case_id: str
    session: Session | None
    form_token: str

    def check(self, form: Any) -> None:
        if not csrf.matches(self.form_token, form.get("csrf")):
            raise CsrfRefused("The form's token is missing or wrong.")


class MyCasePages(Pages):
    # -- signed in ---------------------------------------------------------------------------

    @page("GET", "/my/cases/<string:case_id>")
    def my_case(self, request, case_id):
        return self.assignee_page(request, self._signed_in_acting(request, case_id))

    @page("POST", "/my/cases/<string:case_id>/resolve", max_body_bytes=UPLOAD_BYTES)
    def my_case_resolve(self, request, case_id):
        return self.assignee_action(request, self._signed_in_acting(request, case_id), "resolve")

    @page("POST", "/my/cases/<string:case_id>/<string:action>")
    def my_case_action(self, request, case_id, action):
        return self.assignee_action(request, self._signed_in_acting(request, case_id), action)

    @page("GET", "/my/cases/<string:case_id>/photos/<string:photo_id>")
    def my_case_photo(self, request, case_id, photo_id):
        return _photo(self._signed_in_acting(request, case_id), photo_id, thumbnail=False)

    @page("GET", "/my/cases/<string:case_id>/photos/<string:photo_id>/thumbnail")
    def my_case_thumbnail(self, request, case_id, photo_id):
        return _photo(self._signed_in_acting(request, case_id), photo_id, thumbnail=True)

    def _signed_in_acting(self, request: Request, case_id: str) -> Acting:
        session = self.signed_in(request, roles=PERSONAL)
        holder = Holder.of_desk(Desk.of(self.parts.services, session))
        return Acting(holder, f"/my/cases/{case_id}", case_id, session, session.csrf)

    # -- through a message's link ------------------------------------------------------------

    @page("GET", "/v/<string:token>")
    def linked_case(self, request, token):
        return self._through_link(
            request, token, lambda acting: self.assignee_page(request, acting)
        )

    @page("POST", "/v/<string:token>/resolve", max_body_bytes=UPLOAD_BYTES)
    def linked_resolve(self, request, token):
        return self._through_link(
            request, token, lambda acting: self.assignee_action(request, acting, "resolve")
        )

    @page("POST", "/v/<string:token>/<string:action>")
    def linked_action(self, request, token, action):
        return self._through_link(
            request, token, lambda acting: self.assignee_action(request, acting, action)
        )

    @page("GET", "/v/<string:token>/photos/<string:photo_id>")
    def linked_photo(self, request, token, photo_id):
        return self._through_link(request, token, lambda acting: _photo(acting, photo_id, False))

    @page("GET", "/v/<string:token>/photos/<string:photo_id>/thumbnail")
    def linked_thumbnail(self, request, token, photo_id):
        return self._through_link(request, token, lambda acting: _photo(acting, photo_id, True))

    def _through_link(self, request: Request, token: str, answer) -> Any:
        """What the link's page answers while the link stands; a page that says why it
        opens nothing otherwise (altered or never issued, expired, the person's access
        changed since)."""
        try:
            link, access, role = my_cases.opened_link(
                self.parts.case_pages, self.access_replica.person, token, utc_now()
            )
        except LinkRefused as refused:
            status = LINK_REFUSED_STATUS[refused.reason]
            return self.render(request, "my/link_refused.html", None, status, reason=refused.reason)
        holder = my_cases.link_holder(self.parts.services, token, access, role)
        form_token = link_form_token(self.parts.settings.secret, token)
        return answer(Acting(holder, f"/v/{token}", link.case_id, None, form_token))

    # -- the page and its actions, either way ------------------------------------------------

    def assignee_page(
        self,
        request: Request,
        acting: Acting,
        refusal: Refusal | None = None,
        status: int = 200,
    ) -> tuple[int, Any, str]:
        """The case as it stands, with what was just done or refused."""
        shown = my_cases.case_page(acting.holder, acting.case_id)
        done = request.args.get("done", "") if refusal is None else ""
        return self.assignee_render(
            request,
            acting,
            "my/case.html",
            status,
            refusal=refusal,
            done=done if done in ASSIGNEE_FORMS else None,
            said=said,
            max_photos=MAX_PHOTOS,
            **shown,
        )

    def assignee_render(
        self, request: Request, acting: Acting, template: str, status: int = 200, **context
    ) -> tuple[int, Any, str]:
        """One of the assignee's pages: its forms carry the acting token; through a link,
        the language switch works as on the sign-in page (its double-submit cookie, which
        opens nothing)."""
        via_link = acting.session is None
        shown = {"action_token": acting.form_token, "base": acting.path, "via_link": via_link}
        if via_link:
            return self.render_signed_out(request, template, status, **shown, **context)
        return self.render(request, template, acting.session, status, **shown, **context)

    def assignee_action(self, request: Request, acting: Acting, action: str) -> Any:
        """One of the assignee's actions: first what it will do, then, confirmed, done."""
        form = ASSIGNEE_FORMS.get(action)
        if form is None:
            raise PageNotFound(f"No action {action}.")
        try:
            body, contents = read_upload(request, form(), "photo")
        except ValidationError as invalid:
            acting.check(request.form)  # a forged form: 403 before anything is said
            refusal = Refusal(action, "invalid_request", fields=_messages(invalid))
            return self.assignee_page(request, acting, refusal, 400)
        acting.check(body)
        zone = self.parts.zone_of(acting.holder.community_id)
        try:
            until = until_from_local(body["until"], zone) if action == "extension" else None
        except BadTime:
            refusal = Refusal(action, "invalid_request", fields={"until": [body["until"]]})
            return self.assignee_page(request, acting, refusal, 400)
        try:
            if not body["confirmed"]:
                return self._confirmation(request, acting, action, body, contents, until)
            my_cases.act(acting.holder, acting.case_id, action, body, zone)
        except ApiUnavailable:
            raise
        except ApiError as refused:
            named = {_FIELD.get(name, name): texts for name, texts in refused.fields.items()}
            refusal = refusal_of(action, refused.status, refused.code, refused.state, named)
            return self.assignee_page(request, acting, refusal, refused.status)
        if action == "decline":  # the case is no longer theirs: its page would be 404
            return self.assignee_render(request, acting, "my/declined.html")
        return redirect(f"{acting.path}?done={action}")

    def _confirmation(self, request, acting: Acting, action: str, body, contents, until):
        """The confirm step: the case, what the action will do, and the form that does it
        (the photos already uploaded, named by id)."""
        if action == "resolve":
            uploaded = my_cases.upload_after_photos(acting.holder, acting.case_id, contents)
            body = {**body, "photos": " ".join([*body["photos"].split(), *uploaded])}
        case = acting.holder.case(acting.case_id)
        return self.assignee_render(
            request,
            acting,
            "my/confirm.html",
            case=case,
            action=action,
            form=body,
            until=until,
        )


# a field cases names → the form's field that says it (the rest keep their names)
_FIELD = {"attachments": "photo"}


def _photo(acting: Acting, photo_id: str, thumbnail: bool) -> Response:
    """A photo of the person's case through the console, never kept by a shared cache."""
    content, kind = my_cases.photo(acting.holder, acting.case_id, photo_id, thumbnail)
    return Response(content, status=200, mimetype=kind, headers=PHOTO_HEADERS)
