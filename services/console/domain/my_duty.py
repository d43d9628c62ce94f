"""A person's own week of duty (我的值班): their shifts out of roster's rota weeks, whether
they are on duty or signed in now, and which of sign-in and sign-out fits.

Roster answers a rota week per grid and team (`GET /v1/rota-week`): the shifts with who
is scheduled and who is on duty once covers, sign-ins, sign-outs and leave are applied.
The person's week is those of their rotas, each shift once (a rota serving two of their
grids appears in both weeks). Roster lets a member sign in at any time (ad-hoc duty) and
keeps a sign-in open until signing out; signing out is for someone on duty now: a
sign-out of someone off duty would record an attendance that means nothing, so the
console refuses it in words before asking roster.
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
AD_HOC = {"check_in", "extra", "cover"}  # overrides that put someone on duty
TAKING = ("cover", "extra")  # overrides that give someone a shift of their own


class NotOnDuty(Exception):
    """A sign-out from someone who is not on duty in that rota now."""


@dataclass(frozen=True)
class MyShift:
    """One of the person's shifts: scheduled for them, or someone else's they cover."""

    rota_id: str
    team: str
    start: datetime
    end: datetime
    on_duty: bool  # the person is on duty during it (not on leave, not covered by another)
    now: bool  # the shift is under way
    covering: bool = False  # someone else's shift, taken by a cover or extra duty of theirs


@dataclass(frozen=True)
class MyRota:
    """A rota the person serves in, and where they stand in it now."""

    rota_id: str
    team: str
    check_in_required: bool
    checked_in_at: datetime | None  # the open sign-in's start, if any
    on_duty_now: bool

    @property
    def may_check_in(self) -> bool:
        return self.checked_in_at is None

    @property
    def may_check_out(self) -> bool:
        return self.on_duty_now


def my_shifts(
    weeks: Iterable[Mapping[str, Any]], person_id: str, now: datetime
) -> list[MyShift]:
    """The person's shifts in roster's weeks, each once, in time order: those scheduled for
    them, and those of others they cover. (Roster counts a person on duty in any shift
    their duty touches: a sign-in at any time makes no shift theirs.)"""
    found: dict[tuple[str, datetime], MyShift] = {}
    for week in weeks:
        taken = [
            (o["rota_id"], parse(o["start"]), parse(o["end"]))
            for o in week["overrides"]
            if o["person_id"] == person_id and o["kind"] in TAKING
        ]
        for shift in week["shifts"]:
            rota_id, start, end = shift["rota_id"], parse(shift["start"]), parse(shift["end"])
            on_duty = person_id in _ids(shift["on_duty"])
            covering = on_duty and any(
                r == rota_id and s < end and e > start for r, s, e in taken
            )
            if person_id in _ids(shift["scheduled"]) or covering:
                found[(rota_id, start)] = MyShift(
                    rota_id, week["team"], start, end, on_duty, start <= now < end,
                    covering=covering and person_id not in _ids(shift["scheduled"]),
                )  # fmt: skip
    return sorted(found.values(), key=lambda shift: (shift.start, shift.rota_id))


def my_rotas(
    weeks: Iterable[Mapping[str, Any]], person_id: str, now: datetime
) -> list[MyRota]:
    """The rotas the person is a member of, with their open sign-in and whether they are
    on duty now (a scheduled shift under way, or a sign-in or extra duty open now)."""
    weeks = list(weeks)
    shifts = my_shifts(weeks, person_id, now)
    found: dict[str, MyRota] = {}
    for week in weeks:
        on_leave = any(
            entry["person_id"] == person_id and _open(entry, person_id, now)
            for entry in week["leave"]
        )
        for rota in week["rotas"]:
            if person_id not in _ids(rota["members"]):
                continue
            rota_id = rota["rota_id"]
            mine = [
                o for o in week["overrides"] if o["rota_id"] == rota_id and _open(o, person_id, now)
            ]
            signed = [parse(o["start"]) for o in mine if o["kind"] == "check_in"]
            scheduled = any(
                s.rota_id == rota_id and s.now and s.on_duty and not s.covering for s in shifts
            )
            on_duty = on_duty_now({o["kind"] for o in mine}, scheduled, on_leave)
            found[rota_id] = MyRota(
                rota_id, week["team"], bool(rota["check_in_required"]),
                min(signed) if signed else None, on_duty,
            )  # fmt: skip
    return sorted(found.values(), key=lambda rota: rota.rota_id)


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


def on_duty_now(kinds: set[str], scheduled_now: bool, on_leave: bool) -> bool:
    """As roster applies overrides: a sign-in, extra duty or a cover open now puts a person
    on duty; else a shift of theirs under way that they have not signed out of; leave
    takes them off either way. `kinds`: their overrides of the rota open now."""
    return not on_leave and (bool(kinds & AD_HOC) or (scheduled_now and "check_out" not in kinds))


def _ids(people: Iterable[Mapping[str, Any]]) -> set[str]:
    return {person["person_id"] for person in people}


def _open(override: Mapping[str, Any], person_id: str, now: datetime) -> bool:
    return (
        override["person_id"] == person_id
        and parse(override["start"]) <= now < parse(override["end"])
    )
