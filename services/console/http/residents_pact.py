"""The resident page of the residents' pact (居民公约), for a household with no account:
`/r/pact/<community>` asks for the number, texts a code (the scan-to-report page's codes
and limits), and once the code is right shows the observations about that number's
households with an answer form each (`/r/pact/<community>/mine`); the quarter's published
list is public (`/r/pact/<community>/<quarter>`). A GET never acts; every form carries
the pre-session CSRF token (domain/csrf.py). The proven number is kept in an HttpOnly
cookie of the page's own path (app/residents_pact.py).
"""

from __future__ import annotations

import time
from typing import Any

from marshmallow import ValidationError, fields, validate
from werkzeug.wrappers import Request, Response

from lianxin.clock import utc_now
from lianxin.http.reading import read_form
from lianxin.privacy import mask_phone
from lianxin.quarters import NAME
from services.console.app import residents_pact, residents_report
from services.console.app.residents_pact import AnswerRefused, NotProven
from services.console.app.residents_report import CommunityUnknown, ReportPage
from services.console.app.sign_in import Asked, Refused
from services.console.domain import csrf
from services.console.domain.labels import LANGUAGE_COOKIE, language_of
from services.console.domain.phones import normalized
from services.console.domain.residents_report import VERIFIED_FOR
from services.console.http.cases import PHOTO_HEADERS
from services.console.http.errors import CsrfRefused, PageNotFound
from services.console.http.forms import CodeForm, Form, PhoneForm
from services.console.http.pages import Pages, cookie, page, redirect
from services.console.http.residents_report import ASKED, REFUSED_STATUS

PROOF_COOKIE = "lx_pact"
ANSWER_STATUS = {"window_closed": 409, "already_answered": 409, "not_found": 404}
NOT_INDEXED = {"X-Robots-Tag": "noindex"}


class AnswerForm(Form):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    consent = fields.String(load_default="", validate=validate.OneOf(("", "yes")))
    surname = fields.String(
        load_default="", validate=validate.Regexp(r"^([\u4e00-\u9fffA-Za-z]{1,2})?$")
    )


class ResidentsPactPages(Pages):
    @page("GET", "/r/pact/<string:community_id>")
    def pact_phone_page(self, request, community_id):
        report = self._pact_community(request, community_id)
        return self.render_signed_out(
            request, "residents/pact_phone.html", report=report, phone="",
            message="pact_phone_intro", failed=False,
        )  # fmt: skip

    @page("POST", "/r/pact/<string:community_id>/code", form=PhoneForm)
    def pact_ask_code(self, request, body, community_id):
        self._pact_checked(request, body)
        report = self._pact_community(request, community_id)
        asked = residents_report.ask_for_code(
            self.parts.store, self.parts.residents, self.parts.settings.secret, community_id,
            body["phone"], request.remote_addr or "", utc_now(),
        )  # fmt: skip
        status, message = ASKED[asked]
        step = "code" if asked is Asked.SENT else "phone"
        return self.render(
            request, f"residents/pact_{step}.html", status=status, report=report,
            phone=body["phone"], message=message, failed=asked is not Asked.SENT,
        )  # fmt: skip

    @page("POST", "/r/pact/<string:community_id>/verify", form=CodeForm)
    def pact_verify(self, request, body, community_id):
        self._pact_checked(request, body)
        report = self._pact_community(request, community_id)
        try:
            proof = residents_report.verify(
                self.parts.store, self.parts.settings.secret, community_id, body["phone"],
                body["code"], request.remote_addr or "", utc_now(),
            )  # fmt: skip
        except Refused as refused:
            return self.render(
                request, "residents/pact_code.html",
                status=REFUSED_STATUS.get(refused.outcome, 401), report=report,
                phone=body["phone"], message=f"code_{refused.outcome}", failed=True,
            )  # fmt: skip
        phone = normalized(body["phone"]) or body["phone"]
        value = residents_pact.proven_cookie(phone, proof)
        kept = cookie(PROOF_COOKIE, value, self.parts.settings.secure_cookies,
                      int(VERIFIED_FOR.total_seconds()))  # fmt: skip
        kept = kept.replace("Path=/", f"Path=/r/pact/{community_id}")
        return redirect(f"/r/pact/{community_id}/mine", {"Set-Cookie": kept})

    @page("GET", "/r/pact/<string:community_id>/mine")
    def pact_mine(self, request, community_id):
        return self._resident_mine(request, community_id, request.args.get("done") == "answered")

    @page("POST", "/r/pact/<string:community_id>/observations/<string:observation_id>/answer")
    def pact_answer(self, request, community_id, observation_id):
        try:  # the body is read (and kept) by read_form first: request.form parses that copy
            form, wrong = read_form(request, AnswerForm()), {}
        except ValidationError as exc:
            form, wrong = {}, exc.messages if isinstance(exc.messages, dict) else {"_": ["?"]}
        self._pact_checked(request, request.form)
        phone = self._pact_proven(request, community_id)
        if phone is None:
            return self._pact_verify_again(request, community_id)
        if wrong:
            return self._resident_mine(request, community_id, errors=wrong,
                                       answering=observation_id, status=400)  # fmt: skip
        try:
            residents_pact.answer(self.parts.residents, community_id, phone, observation_id,
                                  form)  # fmt: skip
        except AnswerRefused as refused:
            return self._resident_mine(
                request, community_id, refused=f"pact_refused_{refused.code}",
                answering=observation_id, status=ANSWER_STATUS[refused.code],
            )  # fmt: skip
        return redirect(f"/r/pact/{community_id}/mine?done=answered")

    @page("GET", "/r/pact/<string:community_id>/photos/<string:photo_id>/<string:variant>")
    def pact_resident_photo(self, request, community_id, photo_id, variant):
        phone = self._pact_proven(request, community_id)
        if phone is None or variant not in ("thumb", "full"):
            raise PageNotFound("No such photo.")
        found = self.parts.residents.resident_pact_photo(community_id, phone, photo_id, variant)
        if found is None:
            raise PageNotFound("No such photo.")
        content, kind = found
        return Response(content, status=200, mimetype=kind,
                        headers={**PHOTO_HEADERS, **NOT_INDEXED})  # fmt: skip

    @page("GET", "/r/pact/<string:community_id>/<string:quarter>")
    def pact_list_page(self, request, community_id, quarter):
        """The quarter's published list: public, nothing personal on it."""
        if not NAME.fullmatch(quarter):
            raise PageNotFound("No such quarter.")
        report = self._pact_community(request, community_id)
        found = self.parts.residents.pact_list(community_id, quarter)
        if found is None:
            raise PageNotFound("This quarter's list is not published.")
        return self.render(request, "residents/pact_list.html", report=report, listed=found,
                           quarter=quarter)  # fmt: skip

    # -- what the steps share --

    def _resident_mine(self, request: Request, community_id: str, done: bool = False,
              refused: str | None = None, errors: dict[str, Any] | None = None,
              answering: str | None = None, status: int = 200):  # fmt: skip
        report = self._pact_community(request, community_id)
        phone = self._pact_proven(request, community_id)
        if phone is None:
            return self._pact_verify_again(request, community_id)
        found = residents_pact.observations(self.parts.residents, community_id, phone)
        return self.render(
            request, "residents/pact_mine.html", status=status, report=report,
            households=found["households"], observations=found["observations"],
            timezone=found["timezone"], now=utc_now(), done=done, refused=refused,
            errors=errors or {}, answering=answering,
            masked_phone=mask_phone(phone),
            csrf_token=request.cookies.get(csrf.SIGN_IN_COOKIE, ""),
            headers=NOT_INDEXED,
        )  # fmt: skip

    def _pact_proven(self, request: Request, community_id: str) -> str | None:
        try:
            return residents_pact.proven_phone(
                self.parts.settings.secret, request.cookies.get(PROOF_COOKIE), community_id,
                utc_now(),
            )  # fmt: skip
        except NotProven:
            return None

    def _pact_verify_again(self, request: Request, community_id: str):
        report = self._pact_community(request, community_id)
        return self.render(
            request, "residents/pact_phone.html", status=403, report=report, phone="",
            message="report_verify_again", failed=True,
        )  # fmt: skip

    def _pact_community(self, request: Request, community_id: str) -> ReportPage:
        """The community's page as the scan-to-report page reads it (its name, zone and
        places, kept a minute); an unknown community is not found."""
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        try:
            return self.parts.report_pages.page(
                self.parts.residents, community_id, language, time.monotonic()
            )
        except CommunityUnknown:
            raise PageNotFound("No such community.") from None

    @staticmethod
    def _pact_checked(request: Request, form) -> None:
        if not csrf.matches(request.cookies.get(csrf.SIGN_IN_COOKIE), form.get("csrf")):
            raise CsrfRefused("The form's token is missing or wrong.")
