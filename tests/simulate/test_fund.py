"""The fund scenario's arithmetic (what every household's statement must show) and its
schedule: deterministic by seed, a share of a quarter in a shorter run, every act in
two weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from scripts.simulate import people, volumes
from scripts.simulate.scenarios.fund import (
    EstateFund,
    Rates,
    converted_fen,
    dues_fen,
    minutes_of,
)
from services.estate.domain import fund as estate_rules
from tests.simulate.conftest import Written

RATES = Rates(volumes.FUND_DUES_RATE_FEN_PER_M2, volumes.FUND_HOUR_RATE_FEN)


def test_dues_are_the_area_times_the_rate_halves_up_between_floor_and_ceiling():
    assert dues_fen(8950, Rates(500, 0, 0, 10**7)) == 44_750
    assert dues_fen(8951, Rates(450, 0, 0, 10**7)) == 40_280  # 40,279.5 → up
    assert dues_fen(4500, RATES) == 30_000  # 225 yuan: held at the floor
    assert dues_fen(20_000, RATES) == 80_000  # 1,000 yuan: held at the ceiling


def test_the_simulators_dues_equal_the_estate_rule_for_every_household_of_the_register():
    """Worked out apart from the service, they must agree on each of the 493 households."""
    rates = estate_rules.YearRates(RATES.dues_rate_fen_per_m2, RATES.hour_rate_fen)
    for household in people.households():
        area = household.floor_area_centi_m2
        assert dues_fen(area, RATES) == estate_rules.dues_fen(area, rates), household.id


def test_hours_convert_rounded_down_and_never_past_the_dues_left():
    assert converted_fen(61, 2_000, 50_000, 0) == 2_033  # 2,033.3 fen: a part nobody worked
    assert converted_fen(6_000, 2_000, 50_000, 30_000) == 20_000  # the dues left
    assert converted_fen(600, 2_000, 50_000, 60_000) == 0  # paid over: nothing, not below


def line(entry_id, minutes, at, state="approved", refers_to=None):
    return {"entry_id": entry_id, "minutes": minutes, "at": at.isoformat(), "state": state,
            "refers_to": refers_to}  # fmt: skip


def test_minutes_count_approved_lines_and_from_the_window_by_their_first_lines_time():
    since = datetime(2026, 7, 1, 12, tzinfo=UTC)
    before, after = since - timedelta(hours=1), since + timedelta(hours=1)
    lines = [
        line("HA-1:p", 120, before),
        line("HA-2:p", 90, after),
        line("HC-3:p", 60, after, state="pending_approval"),  # waits for staff: nothing
        line("HC-3:p:decision", 45, after + timedelta(hours=2), refers_to="HC-3:p"),
        line("HA-1:p:reversal", -120, after, refers_to="HA-1:p"),  # takes back from before
    ]
    assert minutes_of(lines, since) == (90 + 45, 90 + 45)
    assert minutes_of(lines[:2], since) == (210, 90)
    assert minutes_of(lines[:2], None) == (210, 0), "never eligible: nothing converts"


def scheduled(quarter, seed=19) -> tuple[EstateFund, Written]:
    scenario, agenda = EstateFund(None, Random(f"{seed}:fund")), Written()
    scenario.schedule(quarter, agenda)
    return scenario, agenda


def entries(agenda: Written) -> list:
    return [entry for _, act in agenda.named("fund desk") for entry in act.args[0]]


def test_the_same_seed_schedules_the_same_desk_and_another_seed_another(quarter):
    assert entries(scheduled(quarter)[1]) == entries(scheduled(quarter)[1])
    assert entries(scheduled(quarter)[1]) != entries(scheduled(quarter, seed=7)[1])


def test_a_quarter_pays_most_households_once_some_in_two_parts_a_few_reversed(quarter):
    _, agenda = scheduled(quarter)
    lines = entries(agenda)
    payers = {entry.household for entry in lines}
    assert 0.75 < len(payers) / len(people.households()) < 0.92
    reversals = [entry for entry in lines if entry.reverses]
    assert 8 <= len(reversals) <= 20
    receipts = [entry.receipt for entry in lines if not entry.reverses]
    assert len(receipts) == len(set(receipts)), "a receipt number names one payment"
    [(when, opening)] = agenda.named("fund year")
    assert when == quarter.starts, "approved before anyone could be credited an hour"
    assert len(opening.args[0]) == volumes.FUND_HOUSEHOLDS_IN_DIFFICULTY
    for entry in reversals:  # reversed after it was paid, and paid again
        days = {e.receipt: when for when, act in agenda.named("fund desk") for e in act.args[0]
                if e.household == entry.household and not e.reverses}  # fmt: skip
        assert entry.receipt in days and len(days) == 2


def test_two_weeks_do_their_share_with_every_kind_of_entry(two_weeks):
    _, agenda = scheduled(two_weeks)
    lines = entries(agenda)
    share = len({e.household for e in lines}) / len(people.households())
    assert 0.08 < share < 0.25, "about 14/92 of the quarter's payers"
    assert any(entry.reverses for entry in lines)
    by_household: dict[str, int] = {}
    for entry in lines:
        by_household[entry.household] = by_household.get(entry.household, 0) + 1
    assert 2 in by_household.values(), "an instalment"
    assert all(when.date() <= two_weeks.last for when, _ in agenda.named("fund desk"))


def test_every_household_is_expected_with_its_own_payments_and_its_members_lines(quarter):
    scenario, _ = scheduled(quarter)
    household = next(iter(scenario.accounts))
    account = scenario.accounts[household]
    account.paid, account.since = 10_000, datetime(2026, 7, 1, tzinfo=UTC)
    ledgers = {household: [line("HA-9:p", 90, datetime(2026, 7, 2, tzinfo=UTC))]}
    shown = scenario.expected(ledgers)
    assert set(shown) == {h.id for h in people.households()}
    assert shown[household] == {
        "dues_fen": account.dues, "paid_fen": 10_000, "credited_minutes": 90,
        "converted_fen": min(90 * volumes.FUND_HOUR_RATE_FEN // 60, account.dues - 10_000),
    }  # fmt: skip
