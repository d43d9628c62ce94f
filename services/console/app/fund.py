"""The estate fund in the console: the community's statements and the year's rates
(`/fund`), a household's statement with its payments and eligibility (`/fund/h/<id>`),
the CSV, and a resident's own statement (`/r/fund/<community>`).

Staff act with their own token: estate decides who may, in which community (another's
household is 404, a volunteer is refused). A payment is named by its form's key, sent as
the Idempotency-Key, so a confirmation posted twice records one payment. A resident's
statement is asked with the residents' key, once the console proved their number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.apis import ApiError, Services
from services.console.app.desk import Desk
from services.console.domain.fund import AmountRefused, fen_of

NO_YEAR = "fund_year_not_set"


def overview(desk: Desk, year: int | None, after: str | None) -> dict[str, Any]:
    """The community's fund settings and, once the year has rates, a page of statements."""
    community = desk.session.scope.community_id
    settings = desk.services.fund_settings(desk.token, community)
    year = year or settings["current_year"]
    shown: dict[str, Any] = {"settings": settings, "year": year, "statements": None}
    if str(year) in settings["years"]:
        found = desk.services.fund_statements(desk.token, community, year, after)
        shown |= {"statements": found["statements"], "next_after": found["next_after"]}
    return shown


def set_year(desk: Desk, form: Mapping[str, Any]) -> dict[str, Any]:
    """The year's rates as staff typed them in yuan, sent in fen."""
    body = {
        "year": form["year"],
        "dues_rate_fen_per_m2": _fen(form, "dues_rate"),
        "hour_rate_fen": _fen(form, "hour_rate", allow_zero=True),
        "floor_fen": _fen(form, "floor", allow_zero=True),
        "ceiling_fen": _fen(form, "ceiling"),
        "start_month": form["start_month"],
    }
    return desk.services.set_fund_year(desk.token, desk.session.scope.community_id, body)


def _fen(form: Mapping[str, Any], name: str, allow_zero: bool = False) -> int:
    """A typed amount in fen; AmountRefused naming the form's field."""
    try:
        return fen_of(form[name], allow_zero=allow_zero)
    except AmountRefused:
        raise AmountRefused(name) from None


def household(desk: Desk, household_id: str, year: int) -> dict[str, Any]:
    return desk.services.fund_statement(
        desk.token, desk.session.scope.community_id, household_id, year
    )


def record_payment(
    desk: Desk, household_id: str, form: Mapping[str, Any], form_key: str
) -> dict[str, Any]:
    body = {
        "community_id": desk.session.scope.community_id,
        "household_id": household_id,
        "year": form["year"],
        "amount_fen": fen_of(form["amount"]),
        "method": form["method"],
        "receipt": form["receipt"],
    }
    return desk.services.record_fund_payment(desk.token, body, f"fund-pay:{form_key}")


def reverse_payment(desk: Desk, payment_id: str, reason: str) -> dict[str, Any]:
    return desk.services.reverse_fund_payment(desk.token, payment_id, reason)


def decide(desk: Desk, household_id: str, year: int, approve: bool, reason: str) -> None:
    desk.services.decide_fund_eligibility(
        desk.token, desk.session.scope.community_id, household_id, year, approve, reason
    )


def resident_statements(
    residents: Services, community_id: str, phone: str
) -> list[dict[str, Any]]:
    """The statements of the households the proven number is on; [] when estate knows none
    (no such number, no fund year yet): the page says the same either way."""
    try:
        return residents.resident_fund_statements(community_id, phone)["households"]
    except ApiError as exc:
        if exc.status == 404:
            return []
        raise
