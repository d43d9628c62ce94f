"""The triage queue (待分类), a case's page, and the staff actions on it as forms.

An action's form is read by its own schema; bad input, or cases' refusal of the action
(409 with the case's state, 403, 400 with field errors, 422 for a form key used for
another action), answers the case's page again with the refusal said in the page's
language and, where it names one, beside the field: nothing changed, and the status is
cases' own. A done action answers a redirect to the case's page (303), so a reload
does not post again; a form posted twice carries the same key and acts once.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from werkzeug.wrappers import Response

from lianxin.http.reading import read_form
from services.console.apis import ApiError, ApiUnavailable
from services.console.app import cases
from services.console.app.desk import Desk
from services.console.domain.case_actions import Refusal, refusal_of
from services.console.domain.sessions import Session
from services.console.domain.timeline import said, said_reason
from services.console.http.case_forms import ACTION_FORMS
from services.console.http.errors import PageNotFound
from services.console.http.pages import SECURITY_HEADERS, Pages, page, redirect

DONE = {action: f"done_{action}" for action in ACTION_FORMS}
PHOTO_HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": "default-src 'none'; sandbox"}


class CasePages(Pages):
    @page("GET", "/triage")
    def triage_queue(self, request):
        session = self.signed_in(request)
        queue = cases.triage_queue(Desk.of(self.parts.services, session))
        return self.render(request, "cases/triage.html", session, **queue)

    @page("GET", "/cases/<string:case_id>/photos/<string:photo_id>")
    def case_photo(self, request, case_id, photo_id):
        return self._photo(request, case_id, photo_id, thumbnail=False)

    @page("GET", "/cases/<string:case_id>/photos/<string:photo_id>/thumbnail")
    def case_photo_thumbnail(self, request, case_id, photo_id):
        return self._photo(request, case_id, photo_id, thumbnail=True)

    def _photo(self, request, case_id: str, photo_id: str, thumbnail: bool) -> Response:
        """A photo of a case the person may see, through the console (the page's images
        come only from the console itself), never kept by a shared cache."""
        session = self.signed_in(request)
        desk = Desk.of(self.parts.services, session)
        content, kind = cases.photo(desk, case_id, photo_id, thumbnail)
        return Response(content, status=200, mimetype=kind, headers=PHOTO_HEADERS)

    @page("GET", "/cases/<string:case_id>")
    def case_page(self, request, case_id):
        session = self.signed_in(request)
        done = DONE.get(request.args.get("done", ""))
        return self.case_answer(request, session, case_id, done=done)

    @page("POST", "/cases/<string:case_id>/<string:action>")
    def act(self, request, case_id, action):
        """One staff action: its form read by its own schema (an unknown action is 404)."""
        form = ACTION_FORMS.get(action)
        if form is None:
            raise PageNotFound(f"No action {action}.")
        try:
            body = read_form(request, form())
        except ValidationError as invalid:
            session = self.signed_in(request, request.form)  # a forged form: 403 first
            refusal = Refusal(action, "invalid_request", fields=_messages(invalid))
            return self.case_answer(request, session, case_id, refusal, 400)
        session = self.signed_in(request, body)
        try:
            cases.act(Desk.of(self.parts.services, session), case_id, action, body)
        except ApiUnavailable:
            raise
        except ApiError as refused:
            refusal = refusal_of(
                action, refused.status, refused.code, refused.state, refused.fields
            )
            return self.case_answer(request, session, case_id, refusal, refused.status)
        return redirect(f"/cases/{case_id}?done={action}")

    def case_answer(
        self,
        request,
        session: Session,
        case_id: str,
        refusal: Refusal | None = None,
        status: int = 200,
        done: str | None = None,
    ) -> tuple[int, Any, str]:
        """The case's page as it stands now, with what was refused, if anything."""
        shown = cases.case_page(Desk.of(self.parts.services, session), case_id)
        return self.render(
            request,
            "cases/case.html",
            session,
            status,
            done=done,
            refusal=refusal,
            said=said,
            said_reason=said_reason,
            **shown,
        )


def _messages(invalid: ValidationError) -> dict[str, list[str]]:
    messages = invalid.messages if isinstance(invalid.messages, dict) else {"": invalid.messages}
    return {str(name): [str(text) for text in texts] for name, texts in messages.items()}
