"""Who is on duty, and who gets the case. Plain Python: no nameko, no pymongo.

Members take turns around the clock (轮流上岗); a rota is a list of recurring
shifts (RFC 5545 RRULEs, read by python-dateutil) with leave as overrides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from dateutil.rrule import rrule, rrulestr


@dataclass(frozen=True)
class Shift:
    person_id: str
    rule: str
    hours: float
    starts: datetime  # first possible start, timezone-aware, in the community's zone

    @cached_property
    def recurrence(self) -> rrule:
        return rrulestr(self.rule, dtstart=self.starts, cache=True)

    def covers(self, at: datetime) -> bool:
        """On duty if the latest start at or before `at` is less than `hours` ago."""
        local = at.astimezone(self.starts.tzinfo)
        start = self.recurrence.before(local, inc=True)
        return start is not None and local < start + timedelta(hours=self.hours)


@dataclass(frozen=True)
class Leave:
    person_id: str
    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Rota:
    grid_id: str
    team: str
    shifts: tuple[Shift, ...]
    leave: tuple[Leave, ...] = field(default_factory=tuple)

    def on_duty(self, at: datetime) -> list[str]:
        """People on shift at `at` and not on leave, in rota order, each once."""
        away = {leave.person_id for leave in self.leave if leave.covers(at)}
        seen: list[str] = []
        for shift in self.shifts:
            if shift.covers(at) and shift.person_id not in away and shift.person_id not in seen:
                seen.append(shift.person_id)
        return seen


@dataclass(frozen=True)
class Offer:
    id: str
    case_id: str
    person_id: str
    grid_id: str
    team: str
    made_at: datetime
    expires_at: datetime
    state: str = "open"


@dataclass(frozen=True)
class Escalation:
    case_id: str
    level: str
    reason: str


def choose(on_duty: Sequence[str], case_id: str, excluded: Iterable[str] = ()) -> str | None:
    """Pick one of the people on duty for a case.

    The choice is a stable function of the case id: the same case always lands
    on the same person (a redelivered event makes the same offer), and
    different cases spread evenly over everyone on duty.
    """
    candidates = [person for person in on_duty if person not in set(excluded)]
    if not candidates:
        return None
    digest = int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:8], "big")
    return candidates[digest % len(candidates)]


def offer_or_escalate(
    rota: Rota | None, offer_id: str, case_id: str, at: datetime, accept_within: timedelta
) -> Offer | Escalation:
    """The dispatch decision: an offer to someone on duty, or an escalation to the grid leader."""
    if rota is None:
        return Escalation(case_id, "grid_leader", "no rota for this grid and team")
    person = choose(rota.on_duty(at), case_id)
    if person is None:
        return Escalation(case_id, "grid_leader", "nobody on duty")
    return Offer(offer_id, case_id, person, rota.grid_id, rota.team, at, at + accept_within)
