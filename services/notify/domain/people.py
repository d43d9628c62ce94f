"""What notify knows of a person (roster's replica) and the two rules that pace what they
are sent: quiet hours hold a non-urgent message until they end, and a burst beyond the
rate limit is bundled into one digest (app/digests.py). Plain Python."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notify.domain.delivery import Contact, Delivery, Recipient

QUIET_SPAN = re.compile(r"^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A daily span in the community's local time, e.g. 22:00–07:00 (it may wrap midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, raw: str | None) -> QuietHours | None:
        """roster's form, `22:30-06:30`; None or an empty span for none."""
        match = QUIET_SPAN.match(raw or "")
        if match is None:
            return None
        start, end = time.fromisoformat(match.group(1)), time.fromisoformat(match.group(2))
        return None if start == end else cls(start, end)

    def holds(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def hold_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """When a message sent at `now` may go out: None if at once, else the end of the
        quiet span as an aware instant (on a DST gap, the first valid minute after)."""
        local = now.astimezone(zone)
        if not self.holds(local.time()):
            return None
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        ends = datetime.combine(day, self.end, tzinfo=zone)
        return max(ends, now)


@dataclass(frozen=True)
class RateLimit:
    """At most `count` messages to one person per `window`; more are bundled."""

    count: int = 5
    window: timedelta = timedelta(minutes=10)

    def next_free(self, recent: Sequence[datetime], now: datetime) -> datetime | None:
        """None when a message may go now, else when a slot frees up."""
        inside = sorted(at for at in recent if now - at < self.window)
        if len(inside) < self.count:
            return None
        return inside[-self.count] + self.window

    def keep(self, recent: Iterable[datetime], now: datetime) -> list[datetime]:
        """The sends that still count, newest last: bounded by `count`."""
        return sorted(at for at in recent if now - at < self.window)[-self.count :]


@dataclass(frozen=True)
class Person:
    """notify's replica of a person (roster's `person.changed`)."""

    person_id: str
    community_id: str
    display_name: str = ""
    roles: tuple[str, ...] = ()
    home_grids: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    quiet_hours: QuietHours | None = None
    active: bool = True
    version: int = 0
    unit_id: str | None = None  # where they live, when roster knows it (notices)

    @property
    def recipient(self) -> Recipient:
        return Recipient("person", self.person_id, self.display_name)


def hold(delivery: Delivery, person: Person | None, zone: ZoneInfo, now: datetime) -> datetime:
    """When the first attempt is due: at once, or when the person's quiet hours end for a
    message that is not urgent and goes to the person's own channel."""
    if delivery.urgent or person is None or person.quiet_hours is None:
        return now
    if delivery.recipient.kind != "person" or delivery.contact.address.startswith("group:"):
        return now
    return person.quiet_hours.hold_until(now, zone) or now
