"""A resident's estate fund statement (物业基金): a public page per community
(`/r/fund/<community>`), for a resident with no account, sized for a phone.

Two steps, as the scan-to-report page's: the number (`GET`), then the SMS code; a right
code answers with the statements of the households the number is on — only theirs, asked
with the residents' key (scope `resident`). A number on no household, or a community with
no fund year yet, is told the same one sentence: nothing says whether a number or a
household exists. Codes are limited as the report page's are (the same store and limits),
and every form carries the pre-session CSRF token. A GET never acts.
"""

from __future__ import annotations

import time

from werkzeug.wrappers import Request

from lianxin.clock import utc_now
from services.console.app import fund, residents_report
from services.console.app.residents_report import CommunityUnknown
from services.console.app.sign_in import Asked, Refused
from services.console.domain import csrf
from services.console.domain.fund import FORMATS
from services.console.domain.labels import LANGUAGE_COOKIE, language_of
from services.console.domain.phones import normalized
from services.console.http.errors import CsrfRefused, PageNotFound
from services.console.http.forms import CodeForm, PhoneForm
from services.console.http.pages import Pages, page
from services.console.http.residents_report import ASKED, REFUSED_STATUS


class ResidentFundPages(Pages):
    @page("GET", "/r/fund/<string:community_id>")
    def fund_phone_page(self, request, community_id):
        """The first step: the number to prove; it sets the pre-session CSRF cookie."""
        name = self._community_name(request, community_id)
        return self.render_signed_out(
            request, "residents/fund_phone.html", community_id=community_id,
            community_name=name, phone="", message="fund_resident_intro", failed=False,
        )  # fmt: skip

    @page("POST", "/r/fund/<string:community_id>/code", form=PhoneForm)
    def fund_ask_code(self, request, body, community_id):
        _checked(request, body)
        name = self._community_name(request, community_id)
        asked = residents_report.ask_for_code(
            self.parts.store, self.parts.residents, self.parts.settings.secret, community_id,
            body["phone"], request.remote_addr or "", utc_now(),
        )  # fmt: skip
        status, message = ASKED[asked]
        step = "code" if asked is Asked.SENT else "phone"
        return self.render(
            request, f"residents/fund_{step}.html", status=status, community_id=community_id,
            community_name=name, phone=body["phone"], message=message,
            failed=asked is not Asked.SENT,
        )  # fmt: skip

    @page("POST", "/r/fund/<string:community_id>/verify", form=CodeForm)
    def fund_verify(self, request, body, community_id):
        """A right code: the statements of the number's households (or the one sentence)."""
        _checked(request, body)
        name = self._community_name(request, community_id)
        try:
            residents_report.verify(
                self.parts.store, self.parts.settings.secret, community_id, body["phone"],
                body["code"], request.remote_addr or "", utc_now(),
            )  # fmt: skip
        except Refused as refused:
            status = REFUSED_STATUS.get(refused.outcome, 401)
            return self.render(
                request, "residents/fund_code.html", status=status, community_id=community_id,
                community_name=name, phone=body["phone"], message=f"code_{refused.outcome}",
                failed=True,
            )  # fmt: skip
        phone = normalized(body["phone"]) or ""
        households = fund.resident_statements(self.parts.residents, community_id, phone)
        return self.render(
            request, "residents/fund_statement.html", community_id=community_id,
            community_name=name, households=households, **FORMATS,
        )  # fmt: skip

    def _community_name(self, request: Request, community_id: str) -> str:
        """The community's name, as the report page reads it (a minute in this process);
        an unknown community is 404."""
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        try:
            report = self.parts.report_pages.page(
                self.parts.residents, community_id, language, time.monotonic()
            )
        except CommunityUnknown:
            raise PageNotFound("No such community.") from None
        return report.places.name


def _checked(request: Request, form) -> None:
    """The form's CSRF token doubles the pre-session cookie, or it is refused (403)."""
    if not csrf.matches(request.cookies.get(csrf.SIGN_IN_COOKIE), form.get("csrf")):
        raise CsrfRefused("The form's token is missing or wrong.")
