"""The residents' evaluation of the property company (物业考评): a public page per community,
`/r/property/<community>`, for a resident with no account.

Three steps, each a page, as on the scan-to-report page (http/residents_report.py): the
phone number, the SMS code (the same codes, limits and pre-session CSRF cookie), then the
ballot for the number's household — overall satisfaction and four aspects, each 满意 /
基本满意 / 不满意, and a comment. The ballot's POST answers with a redirect to its
thank-you page; a second ballot of the household (from this number or another), one sent
after staff closed the quarter, or one for a number on no household is refused in words.
A GET never acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.wrappers import Request

from lianxin.clock import utc_now
from lianxin.http.reading import read_form, read_query
from lianxin.privacy import mask_phone
from lianxin.quarters import QUARTER
from services.console.app import residents_property, residents_report
from services.console.app.residents_property import BallotRefused, NotOnRegister, VoteForm
from services.console.app.residents_report import ReportPage, Unverified
from services.console.app.sign_in import Refused
from services.console.domain.labels import local_time
from services.console.domain.property import ANSWERS, ASPECTS
from services.console.http.forms import CodeForm, Form, PhoneForm, _text
from services.console.http.pages import Pages, page, redirect
from services.console.http.residents_report import ASKED, REFUSED_STATUS, ResidentsReportPages

ANSWER = validate.OneOf(ANSWERS)
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# the estate service's refusals the ballot page says in its own words (labels vote_refused_*)
REFUSALS = ("already_voted", "quarter_closed", "no_company")


def _answer() -> fields.String:
    return fields.String(required=True, validate=ANSWER)


class BallotForm(Form):
    """The ballot: the proven number, the household, an answer to every question (the
    aspects named as the estate service names them, lianxin.contracts.estate)."""

    phone = _text(30, required=True)
    proof = fields.String(required=True, validate=validate.Regexp(r"^\d{1,12}\.[0-9a-f]{64}$"))
    household_id = fields.String(required=True, validate=SLUG)
    overall = _answer()
    cleaning = _answer()
    security = _answer()
    repairs = _answer()
    green_space = _answer()
    comment = _text(500)


class ThanksQuery(Schema):
    quarter = fields.String(required=True, validate=QUARTER)


class ResidentsPropertyPages(Pages):
    @page("GET", "/r/property/<string:community_id>")
    def property_phone_page(self, request, community_id):
        """The first step: the number to verify; it sets the pre-session cookie."""
        report = self._ballot_community(request, community_id)
        return self.render_signed_out(
            request,
            "residents/property_phone.html",
            report=report,
            phone="",
            message="vote_phone_intro",
            failed=False,
        )

    @page("POST", "/r/property/<string:community_id>/code", form=PhoneForm)
    def property_ask_code(self, request, body, community_id):
        ResidentsReportPages._checked(request, body)
        report = self._ballot_community(request, community_id)
        asked = residents_report.ask_for_code(
            self.parts.store,
            self.parts.residents,
            self.parts.settings.secret,
            community_id,
            body["phone"],
            request.remote_addr or "",
            utc_now(),
        )
        status, message = ASKED[asked]
        step = "code" if status == 200 else "phone"
        return self.render(
            request,
            f"residents/property_{step}.html",
            status=status,
            report=report,
            phone=body["phone"],
            message=message,
            failed=status != 200,
        )

    @page("POST", "/r/property/<string:community_id>/verify", form=CodeForm)
    def property_verify(self, request, body, community_id):
        ResidentsReportPages._checked(request, body)
        report = self._ballot_community(request, community_id)
        try:
            proof = residents_report.verify(
                self.parts.store,
                self.parts.settings.secret,
                community_id,
                body["phone"],
                body["code"],
                request.remote_addr or "",
                utc_now(),
            )
        except Refused as refused:
            return self.render(
                request,
                "residents/property_code.html",
                status=REFUSED_STATUS.get(refused.outcome, 401),
                report=report,
                phone=body["phone"],
                message=f"code_{refused.outcome}",
                failed=True,
            )
        return self._ballot_page(request, report, {"phone": body["phone"], "proof": proof})

    @page("POST", "/r/property/<string:community_id>")
    def property_vote(self, request, community_id):
        """The ballot: refused with the fields' errors (nothing cast), refused in words, or
        cast once and thanked for."""
        try:
            body = read_form(request, BallotForm())
        except ValidationError as exc:
            ResidentsReportPages._checked(request, request.form)
            report = self._ballot_community(request, community_id)
            wrong = exc.messages if isinstance(exc.messages, dict) else {}
            if "proof" in wrong or "phone" in wrong:
                return self._ballot_verify_again(request, report)
            return self._ballot_page(request, report, request.form, errors=wrong, status=400)
        ResidentsReportPages._checked(request, body)
        report = self._ballot_community(request, community_id)
        form = VoteForm(
            body["phone"],
            body["proof"],
            body["household_id"],
            body["overall"],
            {aspect: body[aspect] for aspect in ASPECTS},
            body["comment"],
        )
        try:
            cast = residents_property.cast(
                self.parts.residents, self.parts.settings.secret, community_id, form, utc_now()
            )
        except Unverified:
            return self._ballot_verify_again(request, report)
        except NotOnRegister:
            return self._ballot_not_on_register(request, report)
        except BallotRefused as refused:
            if refused.code in REFUSALS:
                return self._ballot_page(request, report, body, status=409, refused=refused)
            return self._ballot_page(request, report, body, errors=refused.fields, status=400)
        query = urlencode({"quarter": cast["quarter"]})
        return redirect(f"/r/property/{community_id}/thanks?{query}")

    @page("GET", "/r/property/<string:community_id>/thanks")
    def property_thanks(self, request, community_id):
        report = self._ballot_community(request, community_id)
        query = read_query(request, ThanksQuery())
        return self.render(
            request, "residents/property_thanks.html", report=report, quarter=query["quarter"]
        )

    # -- what the steps share --

    def _ballot_community(self, request: Request, community_id: str) -> ReportPage:
        """The community's name and places, as the scan-to-report page reads them (its
        minute-long copy, its 404 for a community cases does not know)."""
        return ResidentsReportPages._report_page(self, request, community_id)

    def _ballot_page(
        self,
        request: Request,
        report: ReportPage,
        form: Mapping[str, Any],
        errors: Mapping[str, Any] | None = None,
        status: int = 200,
        refused: BallotRefused | None = None,
    ):
        """The ballot for the proven number's households (as sent, with its errors), or
        the page saying the number is on no household."""
        community = report.places.community_id
        try:
            voter = residents_property.households(self.parts.residents, community, form["phone"])
        except NotOnRegister:
            return self._ballot_not_on_register(request, report)
        zone = ZoneInfo(report.places.timezone)
        voted_at = refused.voted_at if refused else None
        return self.render(
            request,
            "residents/property_vote.html",
            status=status,
            report=report,
            voter=voter,
            form=dict(form),
            errors=dict(errors or {}),
            masked_phone=mask_phone(form["phone"]),
            answers=ANSWERS,
            aspects=ASPECTS,
            refused=refused.code if refused else None,
            voted_at=local_time(voted_at, zone) if voted_at else "",
            zone_name=str(zone),
            local=lambda at: local_time(at, zone),
        )

    def _ballot_not_on_register(self, request: Request, report: ReportPage):
        return self.render(
            request,
            "residents/property_phone.html",
            status=404,
            report=report,
            phone="",
            message="vote_not_on_register",
            failed=True,
        )

    def _ballot_verify_again(self, request: Request, report: ReportPage):
        return self.render(
            request,
            "residents/property_phone.html",
            status=403,
            report=report,
            phone="",
            message="report_verify_again",
            failed=True,
        )
