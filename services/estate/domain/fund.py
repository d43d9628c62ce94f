"""The estate fund paid in hours (物业基金, 工时替代): a household's dues for a fund year, what
it paid, the volunteer hours its members were credited, what of those hours counts in fen,
and the balance — exact integers throughout: money in fen, time in minutes.

Dues. floor area (hundredths of a m²) × the year's rate (fen per m² a year) / 100, rounded
to the nearest fen with halves up, then held between the year's floor and ceiling (300 and
800 yuan by default, as the field reports: 30,000 and 80,000 fen).

Payments. Staff record a payment (fen, method, receipt number); it is never edited: a
mistake is undone by a reversal, an entry of its own with the opposite amount, once.

Hours. Roster's ledger lines (`hours.credited`) of a household's members, applied once
each by their entry id, whatever order they arrive in. A line counts in the fund year,
and is converted or not, by its *anchor*: the time of the first line of its chain (a
reversal or a staff decision refers to the credit it undoes or decides; the chain is
followed as far as the lines have arrived), so a January reversal of a December credit
takes it back from December's year, and from the window it was converted in. Only
approved lines count (a credit waiting for staff counts for nothing until decided).

Conversion. Only the minutes anchored while the household was eligible (staff approved it
for the year, with a reason, until they revoked it) convert, at the year's rate (fen per
hour), rounded down to the fen (the fund is never credited a part of a fen nobody worked);
never below nothing, and never more than the dues left after what was paid.

The statement. dues, paid, minutes credited, minutes eligible, fen converted, balance =
dues − paid − converted (below zero: paid over).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_FLOOR_FEN = 30_000  # 300 yuan a year (FIELD_NOTES: 300–800 yuan by floor area)
DEFAULT_CEILING_FEN = 80_000  # 800 yuan
MAX_FEN = 10_000_000  # 100,000 yuan: any one amount above it is a typo
MAX_CHAIN = 8  # how far a ledger line's chain is followed (credit → decision → reversal)


class FundYearNotSet(Exception):
    """The community has no rates for this fund year yet: staff set them first."""

    def __init__(self, year: int):
        super().__init__(f"The fund year {year} has no rates yet.")
        self.year = year


class NotReversible(Exception):
    def __init__(self, payment_id: str):
        super().__init__(f"{payment_id} is a reversal: record a payment instead.")


class AlreadyEligible(Exception):
    def __init__(self):
        super().__init__("The household may pay in hours this year already.")


class NotEligible(Exception):
    def __init__(self):
        super().__init__("The household may not pay in hours this year: nothing to revoke.")


@dataclass(frozen=True)
class YearRates:
    """A fund year's rates in a community."""

    dues_rate_fen_per_m2: int  # fen per m² of floor a year
    hour_rate_fen: int  # what an hour of volunteer work counts for, in fen
    floor_fen: int = DEFAULT_FLOOR_FEN
    ceiling_fen: int = DEFAULT_CEILING_FEN


@dataclass(frozen=True)
class FundSettings:
    """A community's fund: its zone and the month its fund year starts (a year named Y runs
    from the 1st of that month in Y, local time), and each year's rates."""

    timezone: str = "Asia/Shanghai"
    start_month: int = 1
    years: Mapping[int, YearRates] = field(default_factory=dict)

    def rates(self, year: int) -> YearRates:
        if year not in self.years:
            raise FundYearNotSet(year)
        return self.years[year]

    def year_of(self, at: datetime) -> int:
        """The fund year an instant falls in, in the community's zone."""
        local = at.astimezone(ZoneInfo(self.timezone))
        return local.year if local.month >= self.start_month else local.year - 1

    def period(self, year: int) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        start = datetime(year, self.start_month, 1, tzinfo=zone)
        return start, datetime(year + 1, self.start_month, 1, tzinfo=zone)


def dues_fen(floor_area_centi_m2: int, rates: YearRates) -> int:
    """A household's dues for the year: area × rate, to the nearest fen (halves up),
    held between the floor and the ceiling."""
    hundredths = floor_area_centi_m2 * rates.dues_rate_fen_per_m2  # fen × 100
    rounded = (hundredths + 50) // 100
    return min(max(rounded, rates.floor_fen), rates.ceiling_fen)


@dataclass(frozen=True)
class Payment:
    """A payment staff recorded, or the reversal of one (negative amount). Never changed."""

    id: str
    community_id: str
    household_id: str
    year: int
    kind: str  # payment | reversal
    amount_fen: int
    method: str
    receipt: str
    at: datetime
    by: str
    refers_to: str | None = None  # a reversal: the payment it undoes
    reason: str = ""


def reversal_id(payment_id: str) -> str:
    """One reversal per payment: its id is the payment's, so a second is the same entry."""
    return f"{payment_id}:reversal"


def reverse(payment: Payment, reason: str, by: str, at: datetime) -> Payment:
    """The entry that undoes `payment`: the opposite amount, in the same year."""
    if payment.kind != "payment":
        raise NotReversible(payment.id)
    return Payment(
        id=reversal_id(payment.id),
        community_id=payment.community_id,
        household_id=payment.household_id,
        year=payment.year,
        kind="reversal",
        amount_fen=-payment.amount_fen,
        method=payment.method,
        receipt=payment.receipt,
        at=at,
        by=by,
        refers_to=payment.id,
        reason=reason,
    )


@dataclass(frozen=True)
class HoursLine:
    """One of roster's ledger lines for a household's member, as estate keeps it."""

    entry_id: str
    community_id: str
    household_id: str
    minutes: int
    approved: bool
    at: datetime
    refers_to: str | None = None


def minutes_of(hours: float) -> int:
    """The ledger's hours are exact minutes / 60 (services.roster.domain.ledger): back to
    minutes without a float's error."""
    return round(hours * 60)


def anchor(line: HoursLine, lines: Mapping[str, HoursLine]) -> datetime:
    """The time a line counts at: its chain's first line's, as far as it has arrived."""
    current = line
    for _ in range(MAX_CHAIN):
        earlier = lines.get(current.refers_to or "")
        if earlier is None:
            break
        current = earlier
    return current.at


@dataclass(frozen=True)
class Window:
    """A stretch of a fund year in which the household may pay in hours."""

    since: datetime
    reason: str
    by: str
    until: datetime | None = None
    revoke_reason: str = ""
    revoked_by: str = ""

    def covers(self, at: datetime) -> bool:
        return self.since <= at and (self.until is None or at < self.until)


@dataclass(frozen=True)
class Eligibility:
    """A household's windows for one fund year, oldest first; at most the last is open."""

    windows: tuple[Window, ...] = ()

    @property
    def open(self) -> bool:
        return bool(self.windows) and self.windows[-1].until is None

    def approve(self, reason: str, by: str, at: datetime) -> Eligibility:
        if self.open:
            raise AlreadyEligible()
        return Eligibility((*self.windows, Window(since=at, reason=reason, by=by)))

    def revoke(self, reason: str, by: str, at: datetime) -> Eligibility:
        if not self.open:
            raise NotEligible()
        last = self.windows[-1]
        closed = Window(last.since, last.reason, last.by, max(at, last.since), reason, by)
        return Eligibility((*self.windows[:-1], closed))

    def covers(self, at: datetime) -> bool:
        return any(window.covers(at) for window in self.windows)


@dataclass(frozen=True)
class Statement:
    """A household's year: what it owes, paid, worked and still owes (fen, minutes)."""

    community_id: str
    household_id: str
    year: int
    floor_area_centi_m2: int
    dues_fen: int
    paid_fen: int
    credited_minutes: int
    eligible_minutes: int
    converted_fen: int
    balance_fen: int
    eligible_now: bool
    rates: YearRates


def statement(
    community_id: str,
    household_id: str,
    floor_area_centi_m2: int,
    year: int,
    settings: FundSettings,
    payments: Iterable[Payment],
    lines: Iterable[HoursLine],
    eligibility: Eligibility,
) -> Statement:
    """The year's statement of one household from everything recorded for it (any year:
    only what belongs to `year` counts)."""
    rates = settings.rates(year)
    dues = dues_fen(floor_area_centi_m2, rates)
    paid = sum(p.amount_fen for p in payments if p.year == year)
    by_id = {line.entry_id: line for line in lines}
    counted = [
        (line, at)
        for line in by_id.values()
        if line.approved and settings.year_of(at := anchor(line, by_id)) == year
    ]
    credited = sum(line.minutes for line, _ in counted)
    eligible = max(0, sum(line.minutes for line, at in counted if eligibility.covers(at)))
    worth = eligible * rates.hour_rate_fen // 60
    converted = min(worth, max(0, dues - paid))
    return Statement(
        community_id=community_id,
        household_id=household_id,
        year=year,
        floor_area_centi_m2=floor_area_centi_m2,
        dues_fen=dues,
        paid_fen=paid,
        credited_minutes=credited,
        eligible_minutes=eligible,
        converted_fen=converted,
        balance_fen=dues - paid - converted,
        eligible_now=eligibility.open,
        rates=rates,
    )
