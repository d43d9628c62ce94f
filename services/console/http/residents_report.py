"""The scan-to-report page (扫码反映): a public page per community, opened from the QR code
on a poster (http/report_poster.py), for a resident with no account.

Three steps, each a page: the phone number (`GET /r/report/<community>`, a building
preselected by `?building=`), the SMS code (the answer to asking for one), and the report
form (the answer to a right code): category, building → unit, description, photos. The
report form's POST answers with a redirect to its confirmation page, which shows the
case's number. A GET never acts. The forms carry the pre-session CSRF token (the cookie
the sign-in page uses, domain/csrf.py), and the report form its own key, so that sending
it twice makes one case (app/residents_report.py). Nothing here uses a session or the
staff's key: every call goes through the residents' client (`parts.residents`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate
from werkzeug.wrappers import Request

from lianxin.clock import utc_now
from lianxin.http.reading import read_upload
from lianxin.privacy import mask_phone
from services.console.app import residents_report
from services.console.app.residents_report import (
    CommunityUnknown,
    DraftRefused,
    ReportForm,
    ReportPage,
    TooManyReports,
    Unverified,
)
from services.console.app.sign_in import Asked, Refused
from services.console.domain import csrf
from services.console.domain.hours import new_form_key
from services.console.domain.labels import LANGUAGE_COOKIE, language_of, local_time
from services.console.domain.residents_report import MAX_DESCRIPTION, Draft, SentReport
from services.console.http.case_forms import CODE, ActionForm
from services.console.http.errors import CsrfRefused, PageNotFound
from services.console.http.forms import CodeForm, PhoneForm, _text
from services.console.http.pages import Pages, page, redirect

# the largest report form: nine photos of cases' largest size, and the fields around them
MAX_REPORT_BYTES = 9 * 10 * 1024 * 1024 + 64 * 1024
ASKED = {Asked.SENT: (200, "report_code_sent"), Asked.INVALID: (400, "phone_invalid"),
         Asked.LIMITED: (429, "report_too_many_codes")}  # fmt: skip
REFUSED_STATUS = {"limited": 429, "locked": 403}
REPORT_FIELDS = ("phone", "proof", "form_key", "category", "building", "unit", "description")


def _building() -> fields.String:
    """The building a poster's QR code named, carried through the steps ("" for none)."""
    return fields.String(load_default="", validate=validate.Regexp(rf"^({CODE})?$"))


class ResidentPhoneForm(PhoneForm):
    building = _building()


class ResidentCodeForm(CodeForm):
    building = _building()


class ResidentReportForm(ActionForm):
    phone = _text(30, required=True)
    proof = fields.String(required=True, validate=validate.Regexp(r"^\d{1,12}\.[0-9a-f]{64}$"))
    category = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_.]{0,63}$"))
    building = fields.String(required=True, validate=validate.Regexp(rf"^{CODE}$"))
    unit = fields.String(load_default="", validate=validate.Regexp(rf"^({CODE})?$"))
    description = _text(MAX_DESCRIPTION, required=True)


class ResidentsReportPages(Pages):
    @page("GET", "/r/report/<string:community_id>")
    def report_phone_page(self, request, community_id):
        """The first step: the number to verify. It sets the pre-session cookie its forms'
        CSRF token doubles."""
        report = self._report_page(request, community_id)
        return self.render_signed_out(
            request, "residents/report_phone.html", report=report,
            building=self._known_building(report, request.args.get("building")),
            phone="", message="report_phone_intro", failed=False,
        )  # fmt: skip

    @page("GET", "/r/report/<string:community_id>/units")
    def report_units(self, request, community_id):
        """The unit picker for the building chosen (htmx swaps it in; it reads only)."""
        report = self._report_page(request, community_id)
        building = report.places.building(request.args.get("building"))
        return self.render(request, "residents/report_units.html", building=building, unit="",
                           errors={})  # fmt: skip

    @page("POST", "/r/report/<string:community_id>/code", form=ResidentPhoneForm)
    def report_ask_code(self, request, body, community_id):
        self._checked(request, body)
        report = self._report_page(request, community_id)
        asked = residents_report.ask_for_code(
            self.parts.store, self.parts.residents, self.parts.settings.secret, community_id,
            body["phone"], request.remote_addr or "", utc_now(),
        )  # fmt: skip
        status, message = ASKED[asked]
        step = "code" if asked is Asked.SENT else "phone"
        return self.render(
            request, f"residents/report_{step}.html", status=status, report=report,
            phone=body["phone"], building=self._known_building(report, body["building"]),
            message=message,
            failed=asked is not Asked.SENT,
        )  # fmt: skip

    @page("POST", "/r/report/<string:community_id>/verify", form=ResidentCodeForm)
    def report_verify(self, request, body, community_id):
        self._checked(request, body)
        report = self._report_page(request, community_id)
        building = self._known_building(report, body["building"])
        try:
            proof = residents_report.verify(
                self.parts.store, self.parts.settings.secret, community_id, body["phone"],
                body["code"], request.remote_addr or "", utc_now(),
            )  # fmt: skip
        except Refused as refused:
            return self.render(
                request, "residents/report_code.html",
                status=REFUSED_STATUS.get(refused.outcome, 401), report=report,
                phone=body["phone"], building=building, message=f"code_{refused.outcome}",
                failed=True,
            )  # fmt: skip
        form = {"phone": body["phone"], "proof": proof, "building": building, "unit": "",
                "category": "", "description": "", "form_key": new_form_key()}  # fmt: skip
        return self._report_form(request, report, form)

    @page("POST", "/r/report/<string:community_id>", max_body_bytes=MAX_REPORT_BYTES)
    def report_send(self, request, community_id):
        """The report: refused with the fields' errors (nothing sent), or made once and
        its confirmation page shown."""
        try:
            body, photos = read_upload(request, ResidentReportForm(), "photo")
        except ValidationError as exc:
            self._checked(request, request.form)
            report = self._report_page(request, community_id)
            wrong = exc.messages if isinstance(exc.messages, dict) else {}
            if "proof" in wrong or "phone" in wrong or "form_key" in wrong:
                return self._verify_again(request, report, request.form.get("building", ""))
            errors = {name: f"report_error_{name}" for name in wrong}
            return self._report_form(request, report, request.form, errors, status=400)
        self._checked(request, body)
        report = self._report_page(request, community_id)
        form = ReportForm(body["form_key"], body["phone"], body["proof"], Draft(
            body["category"], body["building"], body["unit"], body["description"]))  # fmt: skip
        try:
            sent = residents_report.send_report(
                self.parts.store, self.parts.residents, self.parts.settings.secret, report,
                form, [photo for photo in photos if photo], request.remote_addr or "",
                utc_now(),
            )  # fmt: skip
        except Unverified:
            return self._verify_again(request, report, body["building"])
        except DraftRefused as refused:
            return self._report_form(request, report, body, refused.fields, status=400)
        except TooManyReports:
            return self._report_form(request, report, body, {}, status=429,
                                     message="report_too_many_reports")  # fmt: skip
        return redirect(_receipt_path(sent))

    @page("GET", "/r/report/<string:community_id>/sent/<string:form_key>")
    def report_sent(self, request, community_id, form_key):
        """The report's confirmation: its case number (a report still on its way shows
        that, and the page looks again in a moment)."""
        sent = residents_report.receipt(self.parts.store, community_id, form_key)
        if sent is None:
            raise PageNotFound("No such report.")
        report = self._report_page(request, community_id)
        stalled = sent.stalled(utc_now())
        zone = ZoneInfo(report.places.timezone)  # the community's, named on the page
        return self.render(
            request, "residents/report_sent.html", report=report, sent=sent, stalled=stalled,
            sent_at=local_time(sent.started_at, zone), sent_zone=str(zone),
            headers={} if sent.made or stalled else {"Refresh": "2"},
        )  # fmt: skip

    # -- what the steps share --

    def _report_page(self, request: Request, community_id: str) -> ReportPage:
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        try:
            return self.parts.report_pages.page(
                self.parts.residents, community_id, language, time.monotonic()
            )
        except CommunityUnknown:
            raise PageNotFound("No such community.") from None

    def _report_form(
        self,
        request: Request,
        report: ReportPage,
        form: Mapping[str, Any],
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        message: str = "",
    ):
        """The report form for a verified number, as sent (with its errors) or new."""
        values = {name: form.get(name, "") for name in REPORT_FIELDS}
        values["building"] = self._known_building(report, values["building"])
        return self.render(
            request, "residents/report.html", status=status, report=report, form=values,
            errors=dict(errors or {}), masked_phone=mask_phone(values["phone"]),
            building=report.places.building(values["building"]), message=message,
        )  # fmt: skip

    def _verify_again(self, request: Request, report: ReportPage, building: str):
        """The first step again: the number's proof ran out (or was not the console's)."""
        return self.render(
            request, "residents/report_phone.html", status=403, report=report, phone="",
            building=self._known_building(report, building), message="report_verify_again",
            failed=True,
        )  # fmt: skip

    @staticmethod
    def _known_building(report: ReportPage, code: str | None) -> str:
        return code if report.places.building(code) is not None else ""

    @staticmethod
    def _checked(request: Request, form: Mapping[str, Any]) -> None:
        """The form's CSRF token doubles the pre-session cookie, or it is refused (403)."""
        if not csrf.matches(request.cookies.get(csrf.SIGN_IN_COOKIE), form.get("csrf")):
            raise CsrfRefused("The form's token is missing or wrong.")


def _receipt_path(sent: SentReport) -> str:
    return f"/r/report/{sent.community_id}/sent/{sent.form_key}"
