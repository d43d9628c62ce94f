"""Signing in (phone, then the SMS code), signing out, and the language switch.

Signing in takes three round trips in a browser: the phone form, the code form, and the
code's POST answered with the home page itself — htmx posts the code form (`hx-boost`)
and puts `/` in the address bar (`HX-Push-Url`). Without JavaScript the form posts as
any form does and is answered by a redirect to `/`: one round trip more.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from lianxin.clock import utc_now
from services.console.app import sign_in
from services.console.app.sign_in import Asked, Refused
from services.console.domain import csrf
from services.console.domain.labels import LANGUAGE_COOKIE
from services.console.http.errors import CsrfRefused
from services.console.http.forms import CodeForm, LanguageForm, PhoneForm, SignOutForm
from services.console.http.home import HomePages
from services.console.http.pages import PERSONAL, cookie, form_token, page, redirect

ASKED_STATUS = {Asked.SENT: 200, Asked.INVALID: 400, Asked.LIMITED: 429}
ASKED_MESSAGE = {Asked.SENT: "code_sent", Asked.INVALID: "phone_invalid",
                 Asked.LIMITED: "too_many_codes"}  # fmt: skip
REFUSED_STATUS = {"limited": 429, "locked": 403}


class SignInPages(HomePages):
    @page("GET", "/sign-in", uses_database=False)
    def sign_in_page(self, request):
        """The phone form. It sets the sign-in cookie its forms' CSRF token doubles."""
        return self.render_signed_out(request, "sign_in/phone.html")

    @page("POST", "/sign-in/code", form=PhoneForm)
    def ask_for_code(self, request, body):
        self._sign_in_form(request, body)
        asked = sign_in.ask_for_code(
            self.parts.store,
            self.parts.services,
            self.parts.settings.secret,
            body["phone"],
            request.remote_addr or "",
            utc_now(),
        )
        template = "sign_in/code.html" if asked is Asked.SENT else "sign_in/phone.html"
        return self.render(
            request, template, status=ASKED_STATUS[asked], phone=body["phone"],
            message=ASKED_MESSAGE[asked], failed=asked is not Asked.SENT,
        )  # fmt: skip

    @page("POST", "/sign-in", form=CodeForm)
    def sign_in(self, request, body):
        self._sign_in_form(request, body)
        try:
            signed = sign_in.sign_in(
                self.parts.store,
                self.parts.settings.secret,
                body["phone"],
                body["code"],
                request.remote_addr or "",
                utc_now(),
            )
        except Refused as refused:
            return self.render(
                request, "sign_in/code.html", status=REFUSED_STATUS.get(refused.outcome, 401),
                phone=body["phone"], message=f"code_{refused.outcome}", failed=True,
            )  # fmt: skip
        signed_in = {"Set-Cookie": self.session_cookie(signed.session_id)}
        if request.headers.get("HX-Boosted"):
            return self.landing_view(request, signed.session, signed_in)
        return redirect(self.landing(signed.session), signed_in)

    @page("POST", "/sign-out", form=SignOutForm)
    def sign_out(self, request, body):
        session = self.signed_in(request, body, roles=PERSONAL)
        sign_in.sign_out(self.parts.store, session)
        self.parts.services.forget(session.id_digest)
        return redirect("/sign-in", {"Set-Cookie": self.cleared_session_cookie()})

    @page("POST", "/language", form=LanguageForm, uses_database=False)
    def switch_language(self, request, body):
        """The language cookie (a preference of this browser; nothing is stored)."""
        if not csrf.matches(form_token(request, self.session_of(request)), body["csrf"]):
            raise CsrfRefused("The form's token is missing or wrong.")
        secure = self.parts.settings.secure_cookies
        choice = cookie(LANGUAGE_COOKIE, body["lang"], secure, 365 * 86400, http_only=False)
        return redirect(body["next"], {"Set-Cookie": choice})

    def _sign_in_form(self, request: Request, body) -> None:
        if not csrf.matches(request.cookies.get(csrf.SIGN_IN_COOKIE), body["csrf"]):
            raise CsrfRefused("The form's token is missing or wrong.")
