"""A person's own week of duty (我的值班): their shifts and rotas out of roster's duty week,
and which of sign-in and sign-out fits.

Roster answers the person's week (`GET /v1/people/{id}/duty-week`): their shifts across
every rota they are on, whichever grids it serves (a neighbouring grid's, a team's shared
rota), each once, with whether they are on duty in it, and where they stand in each rota
now once covers, sign-ins, sign-outs and leave are applied. Roster lets a member sign in
at any time (ad-hoc duty) and keeps a sign-in open until signing out; signing out is for
someone on duty now: a sign-out of someone off duty would record an attendance that means
nothing, so the console refuses it in words before asking roster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from services.console.domain.rota import parse

DUTY_ACTIONS = ("check_in", "check_out")


class NotOnDuty(Exception):
    """A sign-out from someone who is not on duty in that rota now."""


@dataclass(frozen=True)
class MyShift:
    """One of the person's shifts: scheduled for them, or someone else's they cover."""

    rota_id: str
    team: str  # the team's name
    grids: tuple[str, ...]  # the names of the grids the rota serves
    start: datetime
    end: datetime
    on_duty: bool  # the person is on duty during it (not on leave, not covered by another)
    now: bool  # the shift is under way
    covering: bool = False  # someone else's shift, taken by a cover or extra duty of theirs


@dataclass(frozen=True)
class MyRota:
    """A rota the person is on, and where they stand in it now."""

    rota_id: str
    team: str  # the team's name
    grids: tuple[str, ...]  # the names of the grids the rota serves
    check_in_required: bool
    checked_in_at: datetime | None  # the open sign-in's start, if any
    on_duty_now: bool

    @property
    def may_check_in(self) -> bool:
        return self.checked_in_at is None

    @property
    def may_check_out(self) -> bool:
        return self.on_duty_now


def my_shifts(week: Mapping[str, Any]) -> list[MyShift]:
    """The person's shifts of roster's duty week, in time order."""
    return [_shift(shift) for shift in week["shifts"]]


def my_rotas(week: Mapping[str, Any]) -> list[MyRota]:
    """Every rota the person is on, with their open sign-in and whether they are on duty
    now, as roster answers them."""
    return sorted((_rota(rota) for rota in week["rotas"]), key=lambda rota: rota.rota_id)


def _shift(shift: Mapping[str, Any]) -> MyShift:
    return MyShift(
        rota_id=shift["rota_id"],
        team=shift["team"]["name"],
        grids=_names(shift["grids"]),
        start=parse(shift["start"]),
        end=parse(shift["end"]),
        on_duty=shift["on_duty"],
        now=shift["under_way"],
        covering=shift["covering"],
    )


def _rota(rota: Mapping[str, Any]) -> MyRota:
    signed = rota["checked_in_at"]
    return MyRota(
        rota_id=rota["rota_id"],
        team=rota["team"]["name"],
        grids=_names(rota["grids"]),
        check_in_required=bool(rota["check_in_required"]),
        checked_in_at=parse(signed) if signed else None,
        on_duty_now=rota["on_duty_now"],
    )


def rota_to_act_on(rotas: Iterable[MyRota], rota_id: str, action: str) -> MyRota | None:
    """The person's rota a sign-in or sign-out names; None if it is none of theirs (the
    page answers "not found", as roster does for another community's rota). Raises
    NotOnDuty for a sign-out from someone off duty."""
    rota = next((r for r in rotas if r.rota_id == rota_id), None)
    if rota is not None and action == "check_out" and not rota.may_check_out:
        raise NotOnDuty(f"Not on duty in {rota_id} now.")
    return rota


@dataclass(frozen=True)
class ShiftTimes:
    """A shift's times as the page shows them, in the community's zone: its day (weekday
    0–6 and `MM-DD`), its start, and its end (with its day when that is another)."""

    weekday: int
    day: str
    starts: str
    ends: str


def shift_times(shift: MyShift, zone: ZoneInfo) -> ShiftTimes:
    start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    same_day = end.date() == start.date() or end == datetime.combine(
        start.date() + timedelta(days=1), time(), tzinfo=zone
    )
    closing = "24:00" if same_day and end.date() != start.date() else end.strftime("%H:%M")
    return ShiftTimes(
        start.weekday(), start.strftime("%m-%d"), start.strftime("%H:%M"),
        closing if same_day else end.strftime("%m-%d %H:%M"),
    )  # fmt: skip


def public_feed_url(roster_url: str, console_url: str, person_id: str) -> str:
    """The feed URL a phone can reach: the console's (`/feeds/<person>/rota.ics`) with the
    token roster signed into its own URL (roster is not reachable from outside)."""
    token = parse_qs(urlsplit(roster_url).query).get("token", [""])[0]
    return f"{console_url}/feeds/{quote(person_id, safe='')}/rota.ics?{urlencode({'token': token})}"


def duty_form_id(person_id: str, form_key: str) -> str:
    """What a sent duty form is kept under: the form's key, under the person who sent it
    (one person's key never names another's form)."""
    return f"{person_id}:{form_key}"


def _names(grids: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    return tuple(grid["name"] for grid in grids)
