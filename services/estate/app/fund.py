"""Use cases of the estate fund: the year's rates, payments and their reversals,
eligibility for paying in hours, the hours roster credits, and the statements.

Who may: the community's staff (their token through the console's key) or an admin key
change it; staff or a key acting for no person read it (app.register.require_register:
another community is 404, a volunteer 403). A resident reads their own household's
statement only through a key with the `resident` scope (the console's residents' key),
for a number the console proved by SMS code.

Payments are idempotent by the caller's key (the payment's id is made from it), a receipt
number names one payment, and a reversal is one per payment (its id is the payment's).
A ledger line is inserted once by its entry id: a repeated or replayed `hours.credited`
changes nothing, a late one is counted where its anchor falls (domain.fund).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor
from lianxin.bus.envelope import Envelope
from services.estate.app.register import (
    HouseholdNotFound,
    find_household,
    households_by_phone,
    require_register,
)
from services.estate.domain.fund import (
    Eligibility,
    FundSettings,
    FundYearNotSet,
    HoursLine,
    Payment,
    Statement,
    YearRates,
    minutes_of,
    reversal_id,
    reverse,
    statement,
)
from services.estate.domain.households import Household
from services.estate.events import EMITS
from services.estate.store import EstateStore

PAYMENT_NAMESPACE = uuid.UUID("6f1d2c4e-3b5a-4e7f-9a8b-1c2d3e4f5a6b")


class PaymentNotFound(Exception):
    def __init__(self, payment_id: str):
        super().__init__(f"No payment {payment_id}.")


class PaymentKeyReused(Exception):
    """An Idempotency-Key already recorded a different payment."""

    def __init__(self):
        super().__init__("This Idempotency-Key was used for another payment.")


class ReceiptUsed(Exception):
    """The receipt number names another payment already."""

    def __init__(self, receipt: str):
        super().__init__(f"Receipt {receipt} was given for another payment.")

    def details(self) -> dict:
        return {"fields": {"receipt": [str(self)]}}


# -- the year's rates --------------------------------------------------------------------------


def settings_of(store: EstateStore, community_id: str) -> FundSettings:
    return store.fund_settings.get(community_id) or FundSettings()


def set_year(
    store: EstateStore, community_id: str, year: int, body: Mapping[str, Any], actor: Actor
) -> FundSettings:
    """Set a fund year's rates (and, if given, the community's zone and start month)."""
    require_register(actor, community_id, changing=True)
    rates = YearRates(
        dues_rate_fen_per_m2=body["dues_rate_fen_per_m2"],
        hour_rate_fen=body["hour_rate_fen"],
        floor_fen=body["floor_fen"],
        ceiling_fen=body["ceiling_fen"],
    )
    with store.fund_settings.change(community_id) as change:
        current = change.value or FundSettings()
        updated = FundSettings(
            timezone=body.get("timezone") or current.timezone,
            start_month=body.get("start_month") or current.start_month,
            years={**current.years, year: rates},
        )
        if updated != current:
            change.save(updated)
    return updated


# -- payments ----------------------------------------------------------------------------------


def payment_id_for(community_id: str, key: str) -> str:
    """A payment's id, from the community and the caller's Idempotency-Key."""
    return "FP-" + uuid.uuid5(PAYMENT_NAMESPACE, f"{community_id}\n{key}").hex[:20]


def recorded_event(payment: Payment) -> Envelope:
    return EMITS.new_event(
        "fund.payment_recorded",
        {
            "payment_id": payment.id,
            "community_id": payment.community_id,
            "year": payment.year,
            "kind": payment.kind,
            "amount_fen": payment.amount_fen,
            "method": payment.method,
            "recorded_at": payment.at,
        },
        correlation_id=payment.id,
        at=payment.at,
        event_id=str(uuid.uuid5(PAYMENT_NAMESPACE, payment.id)),
    )


def record_payment(
    store: EstateStore, body: Mapping[str, Any], key: str, actor: Actor, now: datetime
) -> tuple[Payment, bool]:
    """Record a payment once: a retry with the same key finds it (False); the same key
    with another body is PaymentKeyReused; a receipt number of another payment ReceiptUsed."""
    community_id, household_id = body["community_id"], body["household_id"]
    require_register(actor, community_id, changing=True)
    find_household(store, community_id, household_id)
    settings_of(store, community_id).rates(body["year"])  # FundYearNotSet before any write
    payment = Payment(
        id=payment_id_for(community_id, key),
        community_id=community_id,
        household_id=household_id,
        year=body["year"],
        kind="payment",
        amount_fen=body["amount_fen"],
        method=body["method"],
        receipt=body["receipt"],
        at=now,
        by=actor.person_id or actor.key_name,
    )
    with store.payments.change(payment.id) as change:
        if change.value is not None:
            if replace(change.value, at=now, by=payment.by) != payment:
                raise PaymentKeyReused()
            return change.value, False
        _claim_receipt(store, payment)
        change.save(payment, [recorded_event(payment)])
    return payment, True


def _claim_receipt(store: EstateStore, payment: Payment) -> None:
    receipt_key = f"{payment.community_id}:{payment.receipt}"
    if not store.receipts.create(receipt_key, {"payment_id": payment.id}):
        held = store.receipts.get(receipt_key) or {}
        if held.get("payment_id") != payment.id:
            raise ReceiptUsed(payment.receipt)


def reverse_payment(
    store: EstateStore, payment_id: str, reason: str, actor: Actor, now: datetime
) -> tuple[Payment, bool]:
    """Undo a payment by an entry of its own, once: a second reversal finds the first."""
    original = store.payments.get(payment_id)
    if original is None:
        raise PaymentNotFound(payment_id)
    try:
        require_register(actor, original.community_id, changing=True)
    except HouseholdNotFound:
        raise PaymentNotFound(payment_id) from None
    with store.payments.change(reversal_id(payment_id)) as change:
        if change.value is not None:
            return change.value, False
        reversal = reverse(original, reason, actor.person_id or actor.key_name, now)
        change.save(reversal, [recorded_event(reversal)])
    return reversal, True


# -- eligibility for paying in hours -------------------------------------------------------------


def decide_eligibility(
    store: EstateStore,
    community_id: str,
    household_id: str,
    year: int,
    approve: bool,
    reason: str,
    actor: Actor,
    now: datetime,
) -> Eligibility:
    """Staff approve a household for paying in hours this year, or revoke it, with a reason."""
    require_register(actor, community_id, changing=True)
    find_household(store, community_id, household_id)
    by = actor.person_id or actor.key_name
    with store.windows_change(community_id, household_id, year) as (current, save):
        decided = current.approve(reason, by, now) if approve else current.revoke(reason, by, now)
        save(decided)
    return decided


# -- the hours roster credits ------------------------------------------------------------------


def on_hours_credited(store: EstateStore, payload: Mapping[str, Any], at: datetime) -> bool:
    """Keep a household member's ledger line, once by its entry id (False: it was kept
    already, or names no household)."""
    household_id = payload.get("household_id")
    if not household_id:
        return False
    line = HoursLine(
        entry_id=payload["entry_id"],
        community_id=payload["community_id"],
        household_id=household_id,
        minutes=minutes_of(payload["hours"]),
        approved=payload["state"] == "approved",
        at=at,
        refers_to=payload.get("refers_to"),
    )
    return store.hours.create(line.entry_id, line)


# -- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdYear:
    """A household's statement with what it is made of: its payments and windows."""

    household: Household
    statement: Statement
    payments: list[Payment]
    eligibility: Eligibility


def current_year(store: EstateStore, community_id: str, now: datetime) -> int:
    return settings_of(store, community_id).year_of(now)


def household_year(
    store: EstateStore, community_id: str, household_id: str, year: int, actor: Actor
) -> HouseholdYear:
    """One household's year, for its community's staff."""
    require_register(actor, community_id)
    return _household_year(store, find_household(store, community_id, household_id), year)


def _household_year(store: EstateStore, household: Household, year: int) -> HouseholdYear:
    community_id, household_id = household.community_id, household.household_id
    payments, lines = store.household_fund(community_id, household_id)
    windows = store.windows(community_id, household_id, year)
    made = statement(
        community_id, household_id, household.floor_area_centi_m2, year,
        settings_of(store, community_id), payments, lines, windows,
    )  # fmt: skip
    mine = sorted((p for p in payments if p.year == year), key=lambda p: p.at)
    return HouseholdYear(household, made, mine, windows)


def statements(
    store: EstateStore, community_id: str, year: int, after: str | None, actor: Actor
) -> list[Statement]:
    """A page of the year's statements, by household id, for the community's staff."""
    require_register(actor, community_id)
    settings = settings_of(store, community_id)
    settings.rates(year)
    households = store.register_page(community_id, after)
    return _statements_of(store, community_id, year, settings, households)


def all_statements(
    store: EstateStore, community_id: str, year: int, actor: Actor
) -> list[Statement]:
    """Every statement of the year (the CSV), page after page of the register."""
    require_register(actor, community_id)
    settings = settings_of(store, community_id)
    settings.rates(year)
    found: list[Statement] = []
    after = None
    while page := store.register_page(community_id, after):
        found += _statements_of(store, community_id, year, settings, page)
        after = page[-1].household_id
    return found


def _statements_of(
    store: EstateStore,
    community_id: str,
    year: int,
    settings: FundSettings,
    households: list[Household],
) -> list[Statement]:
    payments, lines, windows = store.community_fund(community_id, year)
    paid: dict[str, list[Payment]] = {}
    for payment in payments:
        paid.setdefault(payment.household_id, []).append(payment)
    worked: dict[str, list[HoursLine]] = {}
    for line in lines:
        worked.setdefault(line.household_id, []).append(line)
    return [
        statement(
            community_id,
            h.household_id,
            h.floor_area_centi_m2,
            year,
            settings,
            paid.get(h.household_id, []),
            worked.get(h.household_id, []),
            windows.get(h.household_id, Eligibility()),
        )
        for h in households
    ]


def resident_statements(
    store: EstateStore,
    community_id: str,
    phone: str,
    year: int | None,
    digest: Any,
    actor: Actor,
    now: datetime,
) -> list[HouseholdYear]:
    """The statements of the households a number the console proved is on; [] for a
    number on none (the page says nothing that tells whether it exists). Only a key of
    the `resident` scope (the route requires it) for a community it covers."""
    if not actor.sees(community_id):
        return []
    try:
        year = year or current_year(store, community_id, now)
        found = households_by_phone(store, community_id, phone, digest)
        return [_household_year(store, household, year) for household in found]
    except FundYearNotSet:
        return []
