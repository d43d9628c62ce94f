"""HTTP entrypoints of the estate fund: the year's rates, payments and reversals,
eligibility for paying in hours, statements (JSON and CSV) and a resident's own statement.
Another community's household or payment is 404."""

from __future__ import annotations

from typing import Any

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.http.idempotency import idempotency_key, names_its_request
from lianxin.http.openapi import CSV
from lianxin.http.responses import csv_response
from lianxin.spreadsheets import to_csv
from lianxin.store.lease import LeaseBusy
from services.estate.app import fund, register
from services.estate.app.fund import HouseholdYear
from services.estate.domain import fund as rules
from services.estate.domain.fund import FundSettings
from services.estate.http.errors import http
from services.estate.http.fund_schemas import (
    DecisionBody,
    EligibilitySchema,
    HouseholdYearSchema,
    PaymentBody,
    PaymentSchema,
    ReasonBody,
    ResidentBody,
    ResidentStatementsSchema,
    SettingsSchema,
    StatementsQuery,
    StatementsSchema,
    YearBody,
    YearQuery,
)
from services.estate.store import LISTING_LIMIT

HOUSEHOLD = (register.HouseholdNotFound, Forbidden)
YEAR = (rules.FundYearNotSet, *HOUSEHOLD)
CSV_COLUMNS = (
    "household_id", "year", "floor_area_m2", "dues_fen", "paid_fen", "credited_minutes",
    "eligible_minutes", "converted_fen", "balance_fen", "eligible_now",
)  # fmt: skip


def shown_settings(community_id: str, settings: FundSettings, year: int) -> dict[str, Any]:
    years = {str(y): rates.__dict__ for y, rates in sorted(settings.years.items())}
    return {**settings.__dict__, "community_id": community_id, "current_year": year, "years": years}


def shown_year(found: HouseholdYear) -> dict[str, Any]:
    return {
        "statement": found.statement.__dict__,
        "building": found.household.building,
        "unit": found.household.unit,
        "room": found.household.room,
        "payments": [payment.__dict__ for payment in found.payments],
        "windows": [window.__dict__ for window in found.eligibility.windows],
    }


def csv_row(statement: rules.Statement) -> dict[str, Any]:
    return {
        **statement.__dict__,
        "floor_area_m2": statement.floor_area_centi_m2 / 100,
        "eligible_now": "yes" if statement.eligible_now else "no",
    }


class FundHttp:
    @http(
        "PUT",
        "/v1/fund/settings/<string:community_id>",
        summary="Set a fund year's rates: dues (fen per m² a year, held between a floor and a "
        "ceiling, 300–800 yuan by default) and an hour's worth in fen; optionally the "
        "community's zone and the month its fund year starts (staff)",
        body=YearBody,
        responses={200: SettingsSchema},
        raises=(*HOUSEHOLD, LeaseBusy),
        scope="act",
    )
    def set_fund_year(self, request, actor, community_id, body):
        settings = fund.set_year(self.parts.store, community_id, body["year"], body, actor)
        current = settings.year_of(utc_now())
        return 200, SettingsSchema().dump(shown_settings(community_id, settings, current))

    @http(
        "GET",
        "/v1/fund/settings/<string:community_id>",
        summary="A community's fund: its zone, the month its year starts, each year's rates",
        responses={200: SettingsSchema},
        raises=HOUSEHOLD,
        scope="read",
    )
    def fund_settings(self, request, actor, community_id):
        register.require_register(actor, community_id)
        settings = fund.settings_of(self.parts.store, community_id)
        current = settings.year_of(utc_now())
        return 200, SettingsSchema().dump(shown_settings(community_id, settings, current))

    @http(
        "GET",
        "/v1/fund/statements",
        summary="The year's statements of a community's households, by household id (pages of "
        "200; staff)",
        query=StatementsQuery,
        responses={200: StatementsSchema},
        raises=YEAR,
        scope="read",
    )
    def fund_statements(self, request, actor, query):
        community_id = query["community_id"]
        year = query.get("year") or fund.current_year(self.parts.store, community_id, utc_now())
        found = fund.statements(self.parts.store, community_id, year, query.get("after"), actor)
        last = found[-1].household_id if len(found) == LISTING_LIMIT else None
        answer = {
            "community_id": community_id,
            "year": year,
            "statements": [s.__dict__ for s in found],
            "next_after": last,
        }
        return 200, StatementsSchema().dump(answer)

    @http(
        "GET",
        "/v1/fund/statements.csv",
        summary="The year's statements as CSV, every household (staff)",
        query=StatementsQuery,
        responses={200: CSV},
        raises=YEAR,
        scope="read",
    )
    def fund_statements_csv(self, request, actor, query):
        community_id = query["community_id"]
        year = query.get("year") or fund.current_year(self.parts.store, community_id, utc_now())
        found = fund.all_statements(self.parts.store, community_id, year, actor)
        text = to_csv(CSV_COLUMNS, (csv_row(s) for s in found))
        return csv_response(text, f"fund-{community_id}-{year}")

    @http(
        "GET",
        "/v1/fund/statements/<string:community_id>/<string:household_id>",
        summary="A household's statement for the year, its payments and eligibility (staff)",
        query=YearQuery,
        responses={200: HouseholdYearSchema},
        raises=YEAR,
        scope="read",
    )
    def fund_statement(self, request, actor, community_id, household_id, query):
        store = self.parts.store
        year = query.get("year") or fund.current_year(store, community_id, utc_now())
        found = fund.household_year(store, community_id, household_id, year, actor)
        return 200, HouseholdYearSchema().dump(shown_year(found))

    @http(
        "POST",
        "/v1/fund/payments",
        summary="Record a payment to the estate fund (staff); the same Idempotency-Key again "
        "answers the payment it recorded (200); a receipt number names one payment",
        body=PaymentBody,
        responses={201: PaymentSchema, 200: PaymentSchema},
        headers=names_its_request("a retry finds what it recorded (200)"),
        raises=(fund.PaymentKeyReused, fund.ReceiptUsed, *YEAR, LeaseBusy),
        scope="act",
    )
    def record_payment(self, request, actor, body):
        payment, created = fund.record_payment(
            self.parts.store, body, idempotency_key(request), actor, utc_now()
        )
        return (201 if created else 200), PaymentSchema().dump(payment.__dict__)

    @http(
        "POST",
        "/v1/fund/payments/<string:payment_id>/reverse",
        summary="Undo a payment by a reversing entry, with a reason (staff); once per payment: "
        "again answers the reversal (200)",
        body=ReasonBody,
        responses={201: PaymentSchema, 200: PaymentSchema},
        raises=(fund.PaymentNotFound, rules.NotReversible, Forbidden, LeaseBusy),
        scope="act",
    )
    def reverse_payment(self, request, actor, payment_id, body):
        reversal, created = fund.reverse_payment(
            self.parts.store, payment_id, body["reason"], actor, utc_now()
        )
        return (201 if created else 200), PaymentSchema().dump(reversal.__dict__)

    @http(
        "POST",
        "/v1/fund/eligibility/<string:community_id>/<string:household_id>/approve",
        summary="Let a household pay the year's dues in volunteer hours from now on, with a "
        "reason (staff)",
        body=DecisionBody,
        responses={200: EligibilitySchema},
        raises=(rules.AlreadyEligible, *HOUSEHOLD, LeaseBusy),
        scope="act",
    )
    def approve_eligibility(self, request, actor, community_id, household_id, body):
        return self._decide(actor, community_id, household_id, body, approve=True)

    @http(
        "POST",
        "/v1/fund/eligibility/<string:community_id>/<string:household_id>/revoke",
        summary="No longer let a household pay the year's dues in hours, from now on, with a "
        "reason (staff); hours worked while it could still count",
        body=DecisionBody,
        responses={200: EligibilitySchema},
        raises=(rules.NotEligible, *HOUSEHOLD, LeaseBusy),
        scope="act",
    )
    def revoke_eligibility(self, request, actor, community_id, household_id, body):
        return self._decide(actor, community_id, household_id, body, approve=False)

    def _decide(self, actor, community_id: str, household_id: str, body, *, approve: bool):
        year = body["year"]
        decided = fund.decide_eligibility(
            self.parts.store, community_id, household_id, year, approve, body["reason"], actor,
            utc_now(),
        )  # fmt: skip
        answer = {
            "community_id": community_id,
            "household_id": household_id,
            "year": year,
            "eligible_now": decided.open,
            "windows": [window.__dict__ for window in decided.windows],
        }
        return 200, EligibilitySchema().dump(answer)

    @http(
        "POST",
        "/v1/fund/resident-statements",
        summary="The statements of the households a number is on, for the console's residents' "
        "page once it proved the number by SMS code (scope `resident`); 404 for a number on "
        "none, as for a community without a fund year",
        body=ResidentBody,
        responses={200: ResidentStatementsSchema},
        raises=(register.HouseholdNotFound,),
        scope="resident",
    )
    def resident_statements(self, request, actor, body):
        community_id = body["community_id"]
        found = fund.resident_statements(
            self.parts.store, community_id, body["phone"], body.get("year"), self.parts.digest,
            actor, utc_now(),
        )  # fmt: skip
        if not found:
            raise register.HouseholdNotFound("for this number")
        answer = {"community_id": community_id, "households": [shown_year(f) for f in found]}
        return 200, ResidentStatementsSchema().dump(answer)
