"""The estate fund's rules in plain Python: dues rounding and clamping, conversion caps,
reversals, eligibility windows and the anchor of a late or reversing ledger line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.estate.domain.fund import (
    AlreadyEligible,
    Eligibility,
    FundSettings,
    FundYearNotSet,
    HoursLine,
    NotEligible,
    NotReversible,
    Payment,
    YearRates,
    dues_fen,
    minutes_of,
    reverse,
    statement,
)

RATES = YearRates(dues_rate_fen_per_m2=600, hour_rate_fen=2000)  # 6 yuan/m², 20 yuan/hour
SETTINGS = FundSettings(years={2026: RATES})
MARCH = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Changsha


def line(entry_id: str, minutes: int, at: datetime = MARCH, **extra) -> HoursLine:
    return HoursLine(entry_id, "c1", "h1", minutes, extra.pop("approved", True), at, **extra)


def paid(amount: int, year: int = 2026) -> Payment:
    return Payment(f"p{amount}", "c1", "h1", year, "payment", amount, "cash", "R1", MARCH, "s")


NEVER = Eligibility()


def year_of(lines=(), payments=(), eligibility=NEVER, area=9000, settings=SETTINGS):
    return statement("c1", "h1", area, 2026, settings, payments, lines, eligibility)


ELIGIBLE = Eligibility().approve("低保户 low income", "p-staff-1", MARCH - timedelta(days=30))


@pytest.mark.parametrize(
    ("area", "rate", "dues"),
    [
        (8950, 600, 53_700),  # 89.50 m² × 6 yuan = 537 yuan exactly
        (8951, 555, 49_678),  # 49,678.05 fen → 49,678 (rounded, not up)
        (9001, 550, 49_506),  # 49,505.5 fen → 49,506 (half up)
        (4500, 600, 30_000),  # 270 yuan → the floor, 300
        (14_000, 600, 80_000),  # 840 yuan → the ceiling, 800
    ],
)
def test_dues_are_area_times_rate_to_the_nearest_fen_held_between_floor_and_ceiling(
    area, rate, dues
):
    assert dues_fen(area, YearRates(dues_rate_fen_per_m2=rate, hour_rate_fen=0)) == dues


@given(st.integers(100, 1_000_000), st.integers(1, 100_000))
def test_dues_are_always_whole_fen_within_the_bounds(area, rate):
    found = dues_fen(area, YearRates(dues_rate_fen_per_m2=rate, hour_rate_fen=0))
    assert isinstance(found, int) and 30_000 <= found <= 80_000


def test_hours_convert_only_while_eligible_rounded_down_to_the_fen():
    lines = [line("a", 100)]  # 100 minutes at 20 yuan an hour: 3,333.33 fen → 3,333
    assert year_of(lines).converted_fen == 0
    eligible = year_of(lines, eligibility=ELIGIBLE)
    assert (eligible.credited_minutes, eligible.eligible_minutes) == (100, 100)
    assert eligible.converted_fen == 3_333
    assert eligible.balance_fen == 54_000 - 3_333


def test_conversion_never_exceeds_the_dues_left_after_payments_nor_makes_a_credit():
    lines = [line("a", 60 * 40)]  # 40 hours: 800 yuan of work
    capped = year_of(lines, [paid(50_000)], ELIGIBLE)
    assert capped.converted_fen == 4_000 and capped.balance_fen == 0
    overpaid = year_of(lines, [paid(60_000)], ELIGIBLE)
    assert overpaid.converted_fen == 0 and overpaid.balance_fen == -6_000


def test_a_reversal_takes_back_what_its_credit_counted_where_the_credit_counted():
    credit = line("H-1", 120, at=MARCH)
    later = MARCH + timedelta(days=320)  # January 2027: another fund year, after a revocation
    reversal = line("HR-1", -120, at=later, refers_to="H-1")
    revoked = ELIGIBLE.revoke("收入恢复 income restored", "p-staff-1", MARCH + timedelta(days=1))
    found = year_of([reversal, credit], eligibility=revoked)
    assert (found.credited_minutes, found.eligible_minutes, found.converted_fen) == (0, 0, 0)
    alone = year_of([reversal], eligibility=revoked)  # its credit not here yet: its own time
    assert alone.credited_minutes == 0  # January 2027 is the next fund year


def test_a_pending_credit_counts_only_through_its_decision_at_the_credits_time():
    pending = line("H-2", 300, approved=False)
    decision = line("H-2:decision", 240, at=MARCH + timedelta(days=400), refers_to="H-2")
    assert year_of([pending]).credited_minutes == 0
    both = year_of([decision, pending], eligibility=ELIGIBLE)
    assert (both.credited_minutes, both.eligible_minutes) == (240, 240)


def test_eligibility_windows_open_close_and_open_again_and_only_their_hours_convert():
    start = MARCH - timedelta(days=10)
    windows = (
        Eligibility()
        .approve("失业 out of work", "s1", start)
        .revoke("找到工作 found work", "s2", start + timedelta(days=5))
        .approve("再次失业 out of work again", "s1", start + timedelta(days=9))
    )
    assert windows.open and len(windows.windows) == 2
    inside = line("in", 60, at=start + timedelta(days=1))
    between = line("out", 60, at=start + timedelta(days=6))
    again = line("again", 60, at=start + timedelta(days=9))
    found = year_of([inside, between, again], eligibility=windows)
    assert (found.credited_minutes, found.eligible_minutes) == (180, 120)
    with pytest.raises(AlreadyEligible):
        windows.approve("again", "s1", MARCH)
    with pytest.raises(NotEligible):
        Eligibility().revoke("never approved", "s1", MARCH)


def test_a_fund_year_starting_in_july_takes_june_into_the_year_before():
    july = FundSettings(start_month=7, years={2025: RATES, 2026: RATES})
    june = datetime(2026, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 June in Changsha
    assert july.year_of(june) == 2025
    assert july.year_of(june + timedelta(minutes=1)) == 2026
    found = statement("c1", "h1", 9000, 2025, july, [], [line("a", 30, at=june)], Eligibility())
    assert found.credited_minutes == 30


def test_a_payment_is_undone_by_its_reversal_once_and_a_reversal_is_not_reversed():
    payment = paid(20_000)
    reversal = reverse(payment, "收据填错 wrong receipt", "s1", MARCH)
    assert reversal.amount_fen == -20_000 and reversal.refers_to == payment.id
    assert year_of(payments=[payment, reversal]).paid_fen == 0
    with pytest.raises(NotReversible):
        reverse(reversal, "twice", "s1", MARCH)


def test_a_year_without_rates_has_no_statement_and_other_years_count_nothing():
    with pytest.raises(FundYearNotSet):
        statement("c1", "h1", 9000, 2027, SETTINGS, [], [], Eligibility())
    assert year_of(payments=[paid(10_000, year=2025)]).paid_fen == 0


@given(st.integers(-60_000, 60_000))
def test_hours_in_the_ledgers_float_come_back_as_the_exact_minutes(minutes):
    assert minutes_of(minutes / 60) == minutes
