"""The communities' calendars (社区日历), one fact three services read: a desk's weekly
sessions in the community's zone, and the days no session is held (public holidays and
the community's own closing days). Cases runs a desk's time limits, appointments and
sessions on them; roster does not count a desk's shift on a holiday as the next one a
waiting dispute is offered in (services/roster/app/dispatch.py); the console offers an
appointment's times from them. Kept here rather than in any one service so that none
reads another's data; the file (calendars.yaml beside this module) is read once per
process. Plain Python, no I/O but that file.

A desk's case is due to be accepted by the end of the desk's next session, and its clock
does not run before that session opens: a dispute reported on a Monday is not overdue
before Friday (services/cases/domain/time_limits.py). A team that works round the clock
has no calendar here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
LOOK_AHEAD_DAYS = 400  # a desk with no session in a year and more is bad data


class NoSession(Exception):
    """The calendar holds no session ahead (every day a holiday, or no sessions)."""


@dataclass(frozen=True)
class Session:
    """One weekly session, in the community's local time."""

    weekday: int  # 0 = Monday, as date.weekday()
    opens: time
    closes: time


@dataclass(frozen=True)
class Opening:
    """One session on one day, as instants (UTC)."""

    opens: datetime
    closes: datetime

    def holds(self, starts: datetime, ends: datetime) -> bool:
        return self.opens <= starts and ends <= self.closes


@dataclass(frozen=True)
class DeskCalendar:
    community_id: str
    team: str
    zone: ZoneInfo
    sessions: tuple[Session, ...]
    holidays: frozenset[date]
    # a report with less than this left of a session is due at the end of the next one:
    # nobody can take up a dispute in the desk's last minutes
    least_left: timedelta

    def openings(self, after: datetime) -> Iterator[Opening]:
        """The sessions that close after `after`, in order, holidays skipped."""
        first = after.astimezone(self.zone).date()
        for offset in range(LOOK_AHEAD_DAYS):
            day = first + timedelta(days=offset)
            if day in self.holidays:
                continue
            for session in (s for s in self.sessions if s.weekday == day.weekday()):
                closes = self._instant(day, session.closes)
                if closes > after:
                    yield Opening(self._instant(day, session.opens), closes)
        raise NoSession(f"{self.community_id}:{self.team} holds no session ahead of {after}")

    def next_opening(self, moment: datetime) -> Opening:
        """The session a case reported at `moment` is taken up in: the one in progress if
        at least `least_left` of it remains, else the next."""
        return next(
            opening
            for opening in self.openings(moment)
            if opening.closes - max(moment, opening.opens) >= self.least_left
        )

    def closing_at_or_after(self, moment: datetime) -> datetime:
        """The end of the first session that ends at `moment` or later."""
        return next(self.openings(moment - timedelta(microseconds=1))).closes

    def opening_holding(self, starts: datetime, ends: datetime) -> Opening | None:
        """The session `starts`–`ends` lies within, if any (a holiday holds none)."""
        try:
            opening = next(self.openings(starts))  # the first to close after `starts`
        except NoSession:
            return None
        return opening if opening.holds(starts, ends) else None

    def _instant(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)


def calendars_from_data(raw: Mapping[str, Any] | None) -> dict[str, DeskCalendar]:
    """Every desk of the calendars as written, by `<community>:<team>`, checked."""
    found: dict[str, DeskCalendar] = {}
    for community_id, community in ((raw or {}).get("communities") or {}).items():
        zone = ZoneInfo(community["timezone"])
        holidays = _holidays(community)
        for team, desk in (community.get("desks") or {}).items():
            sessions = tuple(_session(entry) for entry in desk["sessions"])
            if not sessions:
                raise ValueError(f"{community_id}:{team}: a desk needs at least one session")
            found[f"{community_id}:{team}"] = DeskCalendar(
                community_id=community_id,
                team=team,
                zone=zone,
                sessions=tuple(sorted(sessions, key=lambda s: (s.weekday, s.opens))),
                holidays=holidays,
                least_left=timedelta(minutes=float(desk.get("least_left_minutes", 0))),
            )
    return found


def _holidays(community: Mapping[str, Any]) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(day)) for day in community.get("holidays", ()))


def _session(raw: Mapping[str, Any]) -> Session:
    opens, closes = time.fromisoformat(str(raw["opens"])), time.fromisoformat(str(raw["closes"]))
    if raw["day"] not in WEEKDAYS or not opens < closes:
        raise ValueError(f"a session is a weekday and an opening before its closing: {raw}")
    return Session(WEEKDAYS.index(raw["day"]), opens, closes)


CALENDARS = Path(__file__).with_name("calendars.yaml")


@cache
def community_calendars() -> dict[str, Any]:
    """calendars.yaml as written: `communities: {<id>: {timezone, holidays, desks}}`."""
    return yaml.safe_load(CALENDARS.read_text(encoding="utf-8")) or {}


@cache
def desks() -> dict[str, DeskCalendar]:
    """Every desk of calendars.yaml, by `<community>:<team>`."""
    return calendars_from_data(community_calendars())


@cache
def _closing_days(community_id: str) -> tuple[ZoneInfo, frozenset[date]] | None:
    community = (community_calendars().get("communities") or {}).get(community_id)
    if not community:
        return None
    return ZoneInfo(community["timezone"]), _holidays(community)


def is_holiday(community_id: str, moment: datetime) -> bool:
    """Whether `moment` falls, in the community's zone, on a day its desks are closed
    (a community without a calendar closes on none)."""
    known = _closing_days(community_id)
    return known is not None and moment.astimezone(known[0]).date() in known[1]
