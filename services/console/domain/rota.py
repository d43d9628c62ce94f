"""The rota week page (排班): roster's week of one grid and team laid out day by day in the
community's zone, and who may change it.

Roster computes everything shown: the shifts, who is on duty in each (covers, sign-ins,
no-shows and leave applied), the gaps and overlaps (the rule of `roster check` and
`GET /v1/rota-check`). The console only cuts them at local midnights, so that a night
shift or a gap shows on each day it touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = 7
# who may enter leave and covers (roster's rule; the console hides the forms from others)
ROTA_EDITORS = ("staff", "grid_leader")
OVERRIDE_KINDS = ("cover", "extra")


@dataclass(frozen=True)
class Stretch:
    """Part of a span within one local day: `HH:MM`–`HH:MM` (24:00 for midnight after)."""

    starts: str
    ends: str
    hours: float


@dataclass(frozen=True)
class ShiftCell:
    rota_id: str
    stretch: Stretch
    on_duty: tuple[str, ...]  # masked names
    away: tuple[str, ...]  # scheduled, but not on duty in it (leave, cover, no-show)


@dataclass(frozen=True)
class DutyChange:
    """An override (cover, extra duty, sign-in, sign-out) or a recorded no-show."""

    kind: str
    who: str
    stretch: Stretch


@dataclass(frozen=True)
class DayOfDuty:
    day: date
    shifts: list[ShiftCell] = field(default_factory=list)
    gaps: list[Stretch] = field(default_factory=list)
    overlaps: list[Stretch] = field(default_factory=list)
    changes: list[DutyChange] = field(default_factory=list)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse(at: str | datetime) -> datetime:
    return at if isinstance(at, datetime) else datetime.fromisoformat(at.replace("Z", "+00:00"))


def day_parts(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, Stretch]]:
    """A span cut at the local midnights it crosses."""
    parts = []
    day = start.astimezone(zone).date()
    while True:
        midnight = datetime.combine(day, time(), tzinfo=zone)
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        begins, ends = max(start, midnight), min(end, next_midnight)
        if begins >= end:
            break
        if begins < ends:
            closing = "24:00" if ends == next_midnight else ends.astimezone(zone).strftime("%H:%M")
            hours = round((ends - begins).total_seconds() / 3600, 2)
            parts.append((day, Stretch(begins.astimezone(zone).strftime("%H:%M"), closing, hours)))
        day += timedelta(days=1)
    return parts


def week_days(week: Mapping[str, Any], zone: ZoneInfo) -> list[DayOfDuty]:
    """Roster's week as seven days: each day's shifts (a night shift on both its days),
    the gaps and overlaps within it, and the overrides and no-shows that touch it."""
    first = parse(week["from"]).astimezone(zone).date()
    days = {first + timedelta(days=n): DayOfDuty(first + timedelta(days=n)) for n in range(DAYS)}
    for shift in week["shifts"]:
        on_duty = tuple(p["display_name"] for p in shift["on_duty"])
        present = {p["person_id"] for p in shift["on_duty"]}
        away = tuple(p["display_name"] for p in shift["scheduled"] if p["person_id"] not in present)
        for day, stretch in _within(shift, zone, days):
            days[day].shifts.append(ShiftCell(shift["rota_id"], stretch, on_duty, away))
    for name in ("gaps", "overlaps"):
        for span in week[name]:
            for day, stretch in _within(span, zone, days):
                getattr(days[day], name).append(stretch)
    recorded = [
        (o["kind"], o["display_name"], o) for o in week["overrides"] if o["kind"] != "no_show"
    ]
    recorded += [("no_show", n["person_id"], n) for n in week["no_shows"]]
    for kind, who, span in recorded:
        for day, stretch in _within(span, zone, days):
            days[day].changes.append(DutyChange(kind, who, stretch))
    return list(days.values())


def _within(
    span: Mapping[str, Any], zone: ZoneInfo, days: Iterable[date]
) -> list[tuple[date, Stretch]]:
    shown = set(days)
    parts = day_parts(parse(span["start"]), parse(span["end"]), zone)
    return [(day, stretch) for day, stretch in parts if day in shown]


def may_edit(role: str) -> bool:
    return role in ROTA_EDITORS
