"""Who is told what, over which channels, and when. Plain Python: no nameko, no pymongo.

- A person is reached by their contacts in their order of preference; when every
  one of them fails for good, the grid's group (or the community's, or the
  default webhook) gets the message, so a dispatch is never lost in silence.
- A group, the hotline and the community staff have one route each, from the
  routes file (routes.py).
- Residents are told of progress only over the contact they gave with consent,
  and never through a group.
- Quiet hours hold a non-urgent message to a person until they end; a burst to one
  person beyond the rate limit is bundled into one digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.notify.domain import Contact, Recipient

PERSON_CHANNELS = ("sms", "email", "wecom", "dingtalk", "webhook")
QUIET_SPAN = re.compile(r"^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$")
ROBOT = re.compile(r"^(https?://\S+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")  # a URL, or an id
ADDRESSES = {  # what an address must look like on each channel this service sends on
    "sms": re.compile(r"^\+?\d{5,20}$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "wecom": ROBOT,  # a robot's URL, or the id of one in the routes (`wecom:g1-leader`)
    "dingtalk": ROBOT,
    "webhook": re.compile(r"^https?://\S+$"),
}
ROBOT_CHANNELS = ("wecom", "dingtalk")
GROUP_CHANNELS = ("wecom", "dingtalk", "webhook")
RESIDENT_CHANNELS = ("sms", "email")
URGENT_PRIORITIES = frozenset({"urgent"})
DEFAULT_GROUP = "default"
STAFF_GROUP = "staff"
EVERY_COMMUNITY = "*"


def group_address(community_id: str, name: str) -> str:
    return f"group:{community_id}/{name}"


def parse_group_address(address: str) -> tuple[str, str]:
    community_id, _, name = address.removeprefix("group:").partition("/")
    return community_id, name


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

    @property
    def recipient(self) -> Recipient:
        return Recipient("person", self.person_id, self.display_name)


@dataclass(frozen=True)
class Reachable:
    """The channels this deployment can send on (gateways configured), and the groups
    and robots of the routes file, to build chains that only hold what can be sent."""

    channels: frozenset[str]
    groups: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict
    )  # community → name → channel
    default_webhook: bool = False
    robots: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict
    )  # community → id → channel

    def group(self, community_id: str, *names: str) -> Contact | None:
        """The first configured group among `names` in the community, else the
        community's default group, else the deployment's default webhook."""
        configured = self.groups.get(community_id, {})
        for name in (*names, DEFAULT_GROUP):
            if name and name in configured:
                return Contact(configured[name], group_address(community_id, name))
        if self.default_webhook:
            return Contact("webhook", group_address(EVERY_COMMUNITY, DEFAULT_GROUP))
        return None

    def direct(
        self, contacts: Iterable[Contact], allowed: Sequence[str], community_id: str = ""
    ) -> list[Contact]:
        """The contacts a message can be sent to, in order; a robot named by id only when
        the community's routes name it (see `unresolved`)."""
        return [
            contact
            for contact in self._addressable(contacts, allowed)
            if self._resolves(contact, community_id)
        ]

    def unresolved(
        self, contacts: Iterable[Contact], allowed: Sequence[str], community_id: str
    ) -> list[Contact]:
        """Robots a person's contacts name by id that the routes do not: passed over for
        the next contact, and reported (handlers count and log them), never in silence."""
        return [
            contact
            for contact in self._addressable(contacts, allowed)
            if not self._resolves(contact, community_id)
        ]

    def _addressable(self, contacts: Iterable[Contact], allowed: Sequence[str]) -> list[Contact]:
        return [
            contact
            for contact in contacts
            if contact.channel in allowed
            and contact.channel in self.channels
            and ADDRESSES[contact.channel].match(contact.address)
        ]

    def _resolves(self, contact: Contact, community_id: str) -> bool:
        if contact.channel not in ROBOT_CHANNELS or "://" in contact.address:
            return True
        return self.robots.get(community_id, {}).get(contact.address) == contact.channel


@dataclass(frozen=True)
class Plan:
    """One recipient of a message, the channels to try in order, and its template."""

    recipient: Recipient
    chain: tuple[Contact, ...]
    template: str
    urgent: bool = False
    person: Person | None = None  # quiet hours and the rate limit apply to people
    unresolved: tuple[Contact, ...] = ()  # robots named by id the routes do not name


def for_person(
    person: Person | None,
    person_id: str,
    display_name: str,
    community_id: str,
    grid_id: str,
    reach: Reachable,
    template: str,
    urgent: bool,
) -> Plan | None:
    """A person by their own channels, then their grid's group as the last resort."""
    direct, unresolved = own_channels(person, reach) if person and person.active else ([], [])
    group = reach.group(community_id, grid_id)
    chain = (*direct, *([group] if group else []))
    if not chain:
        return None
    recipient = Recipient("person", person_id, display_name or (person and person.display_name))
    return Plan(recipient, chain, template, urgent, person if direct else None, tuple(unresolved))


def own_channels(
    person: Person, reach: Reachable, allowed: Sequence[str] = PERSON_CHANNELS
) -> tuple[list[Contact], list[Contact]]:
    """A person's contacts that can be sent to, and the robots they name that the routes
    of their community do not."""
    return (
        reach.direct(person.contacts, allowed, person.community_id),
        reach.unresolved(person.contacts, allowed, person.community_id),
    )


def for_group(
    community_id: str, names: Sequence[str], reach: Reachable, template: str, urgent: bool
) -> Plan | None:
    group = reach.group(community_id, *names)
    if group is None:
        return None
    _, name = parse_group_address(group.address)
    return Plan(Recipient("group", f"{community_id}/{name}", name), (group,), template, urgent)


def for_resident(
    case_id: str, contact: Mapping[str, Any] | None, reach: Reachable, template: str
) -> Plan | None:
    """Only with consent, only the resident's own channels: never a group."""
    if not contact or not contact.get("consent"):
        return None
    given = [
        Contact(channel, str(contact[key]))
        for channel, key in (("sms", "phone"), ("email", "email"))
        if contact.get(key)
    ]
    chain = tuple(reach.direct(given, RESIDENT_CHANNELS))
    return Plan(Recipient("resident", case_id, "居民"), chain, template) if chain else None


def staff_plans(
    community_id: str,
    staff: Iterable[Person],
    grid_id: str,
    reach: Reachable,
    template: str,
    urgent: bool,
) -> list[Plan]:
    """The community's staff one by one, and the staff group (or grid's, or default)."""
    plans = [
        Plan(person.recipient, tuple(direct), template, urgent, person, tuple(unresolved))
        for person in staff
        if person.active
        for direct, unresolved in [own_channels(person, reach)]
        if direct
    ]
    group = for_group(community_id, [STAFF_GROUP, grid_id], reach, template, urgent)
    return [*plans, *([group] if group else [])]


def is_urgent(payload: Mapping[str, Any]) -> bool:
    return payload.get("priority") in URGENT_PRIORITIES
