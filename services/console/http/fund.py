"""The estate fund's staff pages (物业基金): the community's statements with the year's rates
(`/fund`), a household's statement (`/fund/h/<household>`: its payments, recording one
with a confirm step, reversing one, eligibility for paying in hours), and the CSV.

Staff only (estate refuses anyone else too). A GET only reads. A form refused by its
schema or by estate shows its page again with the field's error (in the page's language)
and nothing changed; a payment's confirmation carries the form's key, estate's
Idempotency-Key, so posting it twice records one payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from lianxin.contracts.estate import PAYMENT_METHODS
from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import fund
from services.console.app.desk import Desk
from services.console.domain.fund import FORMATS, AmountRefused, fen_of
from services.console.domain.hours import new_form_key
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.forms import Form
from services.console.http.pages import SECURITY_HEADERS, Pages, page, redirect

STAFF = frozenset({"staff"})
HOUSEHOLD = r"^[a-z0-9][a-z0-9_-]{0,63}$"
AMOUNT = validate.Regexp(r"^\s*\d{1,6}(\.\d{1,2})?\s*$")
YEAR = validate.Range(2000, 2100)
DONE = ("paid", "reversed", "approved", "revoked", "rates")
# estate's refusals the pages say in their own words (labels fund_refused_<code>)
REFUSALS = ("receipt_used", "already_eligible", "not_eligible", "fund_year_not_set",
            "not_reversible", "idempotency_key_reused")  # fmt: skip


class FundQuery(Schema):
    year = fields.Integer(validate=YEAR)
    after = fields.String(validate=validate.Regexp(HOUSEHOLD))
    done = fields.String(validate=validate.OneOf(DONE))


class RatesForm(Form):
    year = fields.Integer(required=True, validate=YEAR)
    dues_rate = fields.String(required=True, validate=AMOUNT)
    hour_rate = fields.String(required=True, validate=AMOUNT)
    floor = fields.String(required=True, validate=AMOUNT)
    ceiling = fields.String(required=True, validate=AMOUNT)
    start_month = fields.Integer(required=True, validate=validate.Range(1, 12))


class PaymentForm(Form):
    year = fields.Integer(required=True, validate=YEAR)
    amount = fields.String(required=True, validate=AMOUNT)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    receipt = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_/-]{0,39}$")
    )
    form_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{16,64}$"))
    confirmed = fields.String(load_default="", validate=validate.OneOf(("", "yes")))


class ReasonForm(Form):
    year = fields.Integer(required=True, validate=YEAR)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class EligibilityForm(ReasonForm):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "revoke")))


def _label_errors(errors: Mapping[str, Any]) -> dict[str, str]:
    """A refused form's fields, each with the label that says what to type."""
    return {name: f"fund_error_{name}" for name in errors}


class FundPages(Pages):
    @page("GET", "/fund")
    def fund_overview(self, request):
        session = self.signed_in(request, roles=STAFF)
        query = read_query(request, FundQuery())
        return self._overview(request, session, query.get("year"), query.get("after"),
                              done=query.get("done"))  # fmt: skip

    @page("POST", "/fund/rates")
    def fund_rates(self, request):
        session, body, errors = read_checked(self, request, RatesForm(), roles=STAFF)
        year = body.get("year")
        if not errors:
            try:
                fund.set_year(Desk.of(self.parts.services, session), body)
            except AmountRefused as refused:
                errors = {str(refused): ["refused"]}
            except ApiError as refused:
                errors = self._refused_fields(refused)
        if errors:
            return self._overview(request, session, year, None, errors=_label_errors(errors),
                                  sent=request.form, status=400)  # fmt: skip
        return redirect(f"/fund?{urlencode({'year': year, 'done': 'rates'})}")

    @page("GET", "/fund/export.csv")
    def fund_csv(self, request):
        session = self.signed_in(request, roles=STAFF)
        query = read_query(request, FundQuery())
        desk = Desk.of(self.parts.services, session)
        year = query.get("year") or fund.overview(desk, None, None)["year"]
        download = desk.services.fund_csv(desk.token, session.scope.community_id, year)
        return Response(
            download.content,
            mimetype="text/csv",
            headers={**SECURITY_HEADERS, "Content-Disposition": download.disposition},
        )

    @page("GET", "/fund/h/<string:household_id>")
    def fund_household(self, request, household_id):
        session = self.signed_in(request, roles=STAFF)
        query = read_query(request, FundQuery())
        return self._household(request, session, household_id, query.get("year"),
                               done=query.get("done"))  # fmt: skip

    @page("POST", "/fund/h/<string:household_id>/payments")
    def fund_pay(self, request, household_id):
        """First the confirmation (what will be recorded); confirmed, the payment, once."""
        session, body, errors = read_checked(self, request, PaymentForm(), roles=STAFF)
        if not errors:
            try:
                fen = fen_of(body["amount"])
            except AmountRefused:
                errors = {"amount": ["refused"]}
        if errors:
            return self._household(request, session, household_id, body.get("year"),
                                   errors=_label_errors(errors), sent=request.form,
                                   status=400)  # fmt: skip
        desk = Desk.of(self.parts.services, session)
        if not body["confirmed"]:
            shown = fund.household(desk, household_id, body["year"])
            return self.render(request, "fund/confirm.html", session, form=body,
                               household=shown, fen=fen, **FORMATS)  # fmt: skip
        try:
            fund.record_payment(desk, household_id, body, body["form_key"])
        except ApiError as refused:
            return self._refusal(request, session, household_id, body["year"], refused,
                                 request.form)  # fmt: skip
        return self._done(household_id, body["year"], "paid")

    @page("POST", "/fund/h/<string:household_id>/payments/<string:payment_id>/reverse")
    def fund_reverse(self, request, household_id, payment_id):
        session, body, errors = read_checked(self, request, ReasonForm(), roles=STAFF)
        if errors:
            return self._household(request, session, household_id, body.get("year"),
                                   errors=_label_errors(errors), status=400)  # fmt: skip
        desk = Desk.of(self.parts.services, session)
        try:
            fund.reverse_payment(desk, payment_id, body["reason"])
        except ApiError as refused:
            return self._refusal(request, session, household_id, body["year"], refused)
        return self._done(household_id, body["year"], "reversed")

    @page("POST", "/fund/h/<string:household_id>/eligibility")
    def fund_eligibility(self, request, household_id):
        session, body, errors = read_checked(self, request, EligibilityForm(), roles=STAFF)
        if errors:
            return self._household(request, session, household_id, body.get("year"),
                                   errors=_label_errors(errors), status=400)  # fmt: skip
        approve = body["decision"] == "approve"
        desk = Desk.of(self.parts.services, session)
        try:
            fund.decide(desk, household_id, body["year"], approve, body["reason"])
        except ApiError as refused:
            return self._refusal(request, session, household_id, body["year"], refused)
        return self._done(household_id, body["year"], "approved" if approve else "revoked")

    # -- what the pages share --

    @staticmethod
    def _done(household_id: str, year: int, done: str) -> Response:
        return redirect(f"/fund/h/{household_id}?{urlencode({'year': year, 'done': done})}")

    def _refusal(self, request, session: Session, household_id: str, year: int,
                 refused: ApiError, sent: Mapping[str, Any] | None = None):  # fmt: skip
        """Estate's refusal on the household's page: in the page's words where it has
        them, a 400's fields under the form; anything else (404, 403) as its error page."""
        if refused.code in REFUSALS:
            label = f"fund_refused_{refused.code}"
            return self._household(request, session, household_id, year, sent=sent,
                                   refused=label, status=refused.status)  # fmt: skip
        errors = _label_errors(self._refused_fields(refused))
        return self._household(request, session, household_id, year, errors=errors, sent=sent,
                               status=400)  # fmt: skip

    @staticmethod
    def _refused_fields(refused: ApiError) -> Mapping[str, Any]:
        """Estate's 400 names its fields; any other refusal goes on to the error page."""
        if refused.status != 400 or not refused.fields:
            raise refused
        return refused.fields

    def _overview(
        self,
        request,
        session: Session,
        year: int | None,
        after: str | None,
        done: str | None = None,
        errors: Mapping[str, str] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        shown = fund.overview(Desk.of(self.parts.services, session), year, after)
        self.parts.learn_zone(session.scope.community_id, shown["settings"]["timezone"])
        return self.render(
            request, "fund/overview.html", session, status=status, errors=errors or {},
            sent=sent or {}, done=f"fund_done_{done}" if done else None, **shown, **FORMATS,
        )  # fmt: skip

    def _household(
        self,
        request,
        session: Session,
        household_id: str,
        year: int | None,
        done: str | None = None,
        refused: str | None = None,
        errors: Mapping[str, str] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        desk = Desk.of(self.parts.services, session)
        year = year or fund.overview(desk, None, None)["year"]
        shown = fund.household(desk, household_id, year)
        return self.render(
            request, "fund/household.html", session, status=status, household=shown,
            year=year, errors=errors or {}, sent=sent or {}, refused=refused,
            done=f"fund_done_{done}" if done else None, new_key=new_form_key,
            methods=PAYMENT_METHODS, **FORMATS,
        )  # fmt: skip
