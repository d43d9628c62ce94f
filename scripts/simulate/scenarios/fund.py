"""The estate fund paid in hours (物业基金, 工时替代): at the quarter's start staff set the
fund year's rates and approve a few households in difficulty, with a reason, for paying
in hours; over the quarter the desk records most households' dues as they come in (some
in two instalments, a few mistyped and corrected by a reversal and the right payment);
the volunteer hours the household's members are credited (activities, resolved cases)
reach estate from roster's ledger and convert at the year's hour rate.

Checked, for every household of the register, in fen and minutes, exact: the dues (the
simulator's own arithmetic from the register's floor area), what was paid (its payments
less its reversals), the minutes credited (the members' approved lines in roster's
ledger: the activities' lines are the simulator's own, checked person by person by the
activities scenario) and the fen converted (the simulator's arithmetic from those
minutes, its payments and the window its approval opened); and the statistics' fund
totals (payments, reversals, fen paid) against its own sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from random import Random
from typing import Any

from scripts.simulate import people, volumes
from scripts.simulate.apis import Apis
from scripts.simulate.scenario import Check, Truth
from scripts.simulate.scenarios.cases import draw
from scripts.simulate.stage import COMMUNITY
from scripts.simulate.timeline import Agenda, Quarter

METHODS = {"wechat": 0.45, "cash": 0.25, "alipay": 0.2, "bank": 0.1}
REASON_IN_DIFFICULTY = "低保户，家中老人长期卧床 (low income, an invalid at home)"
DESK_HOUR = 9.5  # the desk enters the day's receipts in the morning


@dataclass(frozen=True)
class Rates:
    """The fund year's rates as the simulator sets them (volumes.py)."""

    dues_rate_fen_per_m2: int
    hour_rate_fen: int
    floor_fen: int = 30_000
    ceiling_fen: int = 80_000


def dues_fen(floor_area_centi_m2: int, rates: Rates) -> int:
    """What a household owes for the year: area × rate to the nearest fen, halves up,
    held between the floor and the ceiling (FIELD_NOTES: 300–800 yuan by floor area)."""
    rounded = (floor_area_centi_m2 * rates.dues_rate_fen_per_m2 + 50) // 100
    return min(max(rounded, rates.floor_fen), rates.ceiling_fen)


def converted_fen(eligible_minutes: int, hour_rate_fen: int, dues: int, paid: int) -> int:
    """The fen the hours worked while eligible pay: rounded down (nobody worked the rest
    of a fen), never more than the dues left after the payments."""
    return min(eligible_minutes * hour_rate_fen // 60, max(0, dues - paid))


def minutes_of(entries: Iterable[Mapping[str, Any]], since: datetime | None) -> tuple[int, int]:
    """A household's approved ledger minutes, and those of them counted from `since` (its
    eligibility window's start; None: never eligible), each line at its chain's first
    line's time."""
    lines = {entry["entry_id"]: entry for entry in entries}
    credited = eligible = 0
    for entry in lines.values():
        if entry["state"] != "approved":
            continue
        first = entry
        while (first.get("refers_to") or "") in lines:
            first = lines[first["refers_to"]]
        credited += entry["minutes"]
        if since is not None and datetime.fromisoformat(first["at"]) >= since:
            eligible += entry["minutes"]
    return credited, max(0, eligible)


@dataclass
class Account:
    """What the simulator knows of one household's year."""

    dues: int
    paid: int = 0
    since: datetime | None = None  # when staff approved it for paying in hours
    payments: dict[str, str] = field(default_factory=dict)  # receipt → payment id


@dataclass(frozen=True)
class Entry:
    """One line the desk enters: a payment, or the reversal of one (by its receipt)."""

    household: str
    receipt: str
    amount_fen: int = 0
    method: str = "wechat"
    reverses: bool = False


class EstateFund:
    name = "fund"

    def __init__(self, apis: Apis, rng: Random):
        self.apis = apis
        self.rng = rng
        self.truth = Truth()
        self.rates = Rates(volumes.FUND_DUES_RATE_FEN_PER_M2, volumes.FUND_HOUR_RATE_FEN)
        self.accounts: dict[str, Account] = {}
        self.year = 0

    def schedule(self, quarter: Quarter, agenda: Agenda) -> None:
        self.truth.window = (quarter.starts, quarter.ends)
        self.year = quarter.first.year
        households = people.households()
        self.accounts = {
            h.id: Account(dues_fen(h.floor_area_centi_m2, self.rates)) for h in households
        }
        volunteering = sorted({p.household for p in people.with_role("volunteer") if p.household})
        in_difficulty = sorted(self.rng.sample(volunteering, volumes.FUND_HOUSEHOLDS_IN_DIFFICULTY))
        agenda.at(quarter.starts, "fund year", partial(self.open_year, in_difficulty))
        desk: dict[date, list[Entry]] = {}
        days = quarter.each_day()
        for n, (day, household) in enumerate(self._payers(in_difficulty, len(days))):
            for on, entry in self._payments(household, n, household in in_difficulty, day):
                desk.setdefault(days[min(on, len(days) - 1)], []).append(entry)
        for day, entries in sorted(desk.items()):
            agenda.at(quarter.at(day, DESK_HOUR), "fund desk", partial(self.enter, entries))

    def _payers(self, in_difficulty: list[str], days: int) -> list[tuple[int, str]]:
        """The households that pay, by the day (of a quarter's) they come, those of the run."""
        payers = []
        for household in self.accounts:
            share = (volumes.FUND_DIFFICULTY_PAYING_SHARE if household in in_difficulty
                     else volumes.FUND_PAYING_SHARE)  # fmt: skip
            day = self.rng.randrange(volumes.QUARTER_DAYS)
            if self.rng.random() < share and day < days:
                payers.append((day, household))
        return sorted(payers)

    def _payments(self, household: str, n: int, in_difficulty: bool,
                  day: int) -> list[tuple[int, Entry]]:  # fmt: skip
        """The desk's lines for the n-th payer: one payment, two instalments, or a mistyped
        payment reversed and entered again some days later (days of the run)."""
        rng = self.rng
        dues = self.accounts[household].dues
        owed = dues * volumes.FUND_DIFFICULTY_PART // 100 if in_difficulty else dues
        method = draw(rng, METHODS)
        later = day + rng.randint(3, 30)
        receipt = f"JX{self.year}-{n:04d}"
        if n % volumes.FUND_REVERSED_EVERY == 2:  # ten times the amount: reversed
            return [
                (day, Entry(household, f"{receipt}-1", owed * 10, method)),
                (later, Entry(household, f"{receipt}-1", reverses=True)),
                (later, Entry(household, f"{receipt}-2", owed, method)),
            ]
        if n % volumes.FUND_INSTALMENT_EVERY == 5:
            first = owed // 2
            return [
                (day, Entry(household, f"{receipt}-1", first, method)),
                (later, Entry(household, f"{receipt}-2", owed - first, method)),
            ]
        return [(day, Entry(household, f"{receipt}-1", owed, method))]

    def open_year(self, in_difficulty: list[str]) -> None:
        """The year's rates, then the households staff approve for paying in hours."""
        body = {"year": self.year, "start_month": 1, "timezone": "Asia/Shanghai",
                **vars(self.rates)}  # fmt: skip
        self.apis.call("PUT", "estate", f"/v1/fund/settings/{COMMUNITY}", "staff", json=body)
        for household in in_difficulty:
            decided = self.apis.json(
                "POST", "estate", f"/v1/fund/eligibility/{COMMUNITY}/{household}/approve",
                "staff", json={"year": self.year, "reason": REASON_IN_DIFFICULTY},
            )  # fmt: skip
            self.accounts[household].since = datetime.fromisoformat(decided["windows"][-1]["since"])
            self.truth.count("approved_for_hours")

    def enter(self, entries: list[Entry]) -> None:
        """The day's receipts, one after the other, as the desk types them."""
        for entry in entries:
            account = self.accounts[entry.household]
            if entry.reverses:
                paid = account.payments[entry.receipt]
                reversal = self.apis.json(
                    "POST", "estate", f"/v1/fund/payments/{paid}/reverse",
                    "staff", expect=(201,), json={"reason": "金额录错，冲正后重录 (mistyped)"},
                )  # fmt: skip
                self._counted(account, reversal, "reversals")
                continue
            body = {"community_id": COMMUNITY, "household_id": entry.household,
                    "year": self.year, "amount_fen": entry.amount_fen, "method": entry.method,
                    "receipt": entry.receipt}  # fmt: skip
            payment = self.apis.json("POST", "estate", "/v1/fund/payments", "staff",
                                     expect=(201,), idempotent=True, json=body)  # fmt: skip
            account.payments[entry.receipt] = payment["id"]
            self._counted(account, payment, "payments")

    def _counted(self, account: Account, recorded: dict, figure: str) -> None:
        account.paid += recorded["amount_fen"]
        self.truth.count(figure, at=recorded["at"])
        self.truth.count("paid_fen", recorded["amount_fen"], at=recorded["at"])

    def expected(self, ledgers: Mapping[str, list[dict]]) -> dict[str, dict[str, int]]:
        """Every household's statement as the simulator works it out, from its own payments
        and approvals and the members' ledger lines (`ledgers`, by household)."""
        shown = {}
        for household, account in self.accounts.items():
            credited, eligible = minutes_of(ledgers.get(household, []), account.since)
            shown[household] = {
                "dues_fen": account.dues,
                "paid_fen": account.paid,
                "credited_minutes": credited,
                "converted_fen": converted_fen(
                    eligible, self.rates.hour_rate_fen, account.dues, account.paid
                ),
            }
        return shown

    def check(self, statistics: Any) -> Iterable[Check]:
        expected = self.expected(statistics.hours_by_household())
        statements = statistics.fund_statements(self.year)
        for column in ("dues_fen", "paid_fen", "credited_minutes", "converted_fen"):
            yield Check(
                self.name, f"statements' {column}, household by household",
                {h: figures[column] for h, figures in expected.items()},
                {h: figures[column] for h, figures in statements.items()},
            )  # fmt: skip
        fund = statistics.summary()["fund"]
        for figure in ("payments", "reversals", "paid_fen"):
            yield Check(self.name, f"fund {figure}", self.truth.counts[figure], fund[figure])
        eligible = sum(1 for account in self.accounts.values() if account.since is not None)
        yield Check(self.name, "households paying in hours", eligible, None, exact=False)
