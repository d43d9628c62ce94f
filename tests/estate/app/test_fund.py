"""The estate fund's use cases on the in-memory twin: payments once by their key, one
receipt one payment, reversals once, eligibility by staff only, roster's lines once by
their entry id, and a resident's statement by a proven number only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lianxin.access.actors import Actor, Forbidden
from services.estate.app import fund, register
from services.estate.domain.fund import FundYearNotSet
from tests.estate.conftest import staff, volunteer

NOW = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)
HOUSEHOLD = "jingxiang-b11-u3-202"  # the sample volunteer 李晓燕's (13807310357)
RATES = {"year": 2026, "dues_rate_fen_per_m2": 600, "hour_rate_fen": 2000}
RATES |= {"floor_fen": 30_000, "ceiling_fen": 80_000}
RESIDENTS = Actor("k-res", "console-residents", frozenset({"resident"}), frozenset({"*"}))


def payment(amount: int = 20_000, receipt: str = "R-0001", **extra) -> dict:
    body = {"community_id": "jingxiang", "household_id": HOUSEHOLD, "year": 2026}
    return body | {"amount_fen": amount, "method": "wechat", "receipt": receipt} | extra


def credited(entry_id: str, hours: float, **extra) -> dict:
    body = {"entry_id": entry_id, "community_id": "jingxiang", "household_id": HOUSEHOLD}
    return body | {"hours": hours, "state": "approved", "kind": "credit"} | extra


@pytest.fixture
def year(parts, sample):
    return fund.set_year(parts.store, "jingxiang", 2026, RATES, staff())


def test_a_payment_is_recorded_once_by_its_key_and_tells_no_household(parts, year, memory_backend):
    memory_backend.published.take()
    first, created = fund.record_payment(parts.store, payment(), "k1", staff(), NOW)
    again, created_again = fund.record_payment(parts.store, payment(), "k1", staff(), NOW)
    assert created and not created_again and again == first
    (event,) = [m for m in memory_backend.published.take() if m["type"].startswith("fund.")]
    assert event["payload"]["amount_fen"] == 20_000 and "household_id" not in event["payload"]
    with pytest.raises(fund.PaymentKeyReused):
        fund.record_payment(parts.store, payment(amount=1), "k1", staff(), NOW)
    with pytest.raises(fund.ReceiptUsed):
        fund.record_payment(parts.store, payment(amount=5), "k2", staff(), NOW)
    found = fund.household_year(parts.store, "jingxiang", HOUSEHOLD, 2026, staff())
    assert found.statement.paid_fen == 20_000 and len(found.payments) == 1


def test_a_reversal_is_recorded_once_and_another_community_cannot_reverse(parts, year):
    made, _ = fund.record_payment(parts.store, payment(), "k1", staff(), NOW)
    with pytest.raises(fund.PaymentNotFound):
        fund.reverse_payment(parts.store, made.id, "wrong", staff("other"), NOW)
    first, created = fund.reverse_payment(parts.store, made.id, "收据填错", staff(), NOW)
    second, created_again = fund.reverse_payment(parts.store, made.id, "again", staff(), NOW)
    assert created and not created_again and second == first
    found = fund.household_year(parts.store, "jingxiang", HOUSEHOLD, 2026, staff())
    assert found.statement.paid_fen == 0 and len(found.payments) == 2


def test_nothing_is_recorded_for_a_year_without_rates_another_community_or_a_volunteer(
    parts, year
):
    with pytest.raises(FundYearNotSet):
        fund.record_payment(parts.store, payment(year=2027), "k1", staff(), NOW)
    with pytest.raises(register.HouseholdNotFound):
        fund.record_payment(parts.store, payment(), "k2", staff("other"), NOW)
    with pytest.raises(Forbidden):
        fund.record_payment(parts.store, payment(), "k3", volunteer(), NOW)
    with pytest.raises(Forbidden):
        fund.decide_eligibility(parts.store, "jingxiang", HOUSEHOLD, 2026, True, "x", volunteer(),
                                NOW)  # fmt: skip
    assert parts.store.payments.count() == 0


def test_roster_lines_count_once_by_entry_id_and_convert_while_eligible(parts, year):
    assert fund.on_hours_credited(parts.store, credited("H-1", 1.5), NOW)
    assert not fund.on_hours_credited(parts.store, credited("H-1", 1.5), NOW)  # a replay
    assert not fund.on_hours_credited(parts.store, credited("H-9", 2, household_id=None), NOW)
    before = fund.household_year(parts.store, "jingxiang", HOUSEHOLD, 2026, staff()).statement
    assert (before.credited_minutes, before.converted_fen) == (90, 0)
    fund.decide_eligibility(
        parts.store, "jingxiang", HOUSEHOLD, 2026, True, "困难户", staff(), NOW - timedelta(1)
    )
    after = fund.household_year(parts.store, "jingxiang", HOUSEHOLD, 2026, staff()).statement
    assert (after.eligible_minutes, after.converted_fen) == (90, 3_000)
    page = fund.statements(parts.store, "jingxiang", 2026, None, staff())
    assert {s.household_id: s.converted_fen for s in page}.get(HOUSEHOLD) == 3_000


def test_a_resident_sees_their_households_statement_and_an_unknown_number_nothing(parts, year):
    found = fund.resident_statements(
        parts.store, "jingxiang", "13807310357", None, parts.digest, RESIDENTS, NOW
    )
    assert [f.household.household_id for f in found] == [HOUSEHOLD]
    assert found[0].statement.year == 2026
    for phone in ("13800000001", "not a number"):
        assert fund.resident_statements(
            parts.store, "jingxiang", phone, None, parts.digest, RESIDENTS, NOW
        ) == []  # fmt: skip
    elsewhere = Actor("k-res", "r", frozenset({"resident"}), frozenset({"other"}))
    assert fund.resident_statements(
        parts.store, "jingxiang", "13807310357", None, parts.digest, elsewhere, NOW
    ) == []  # fmt: skip
