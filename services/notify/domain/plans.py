"""Who is told what, over which channels: a message's plans. Plain Python: no nameko, no
pymongo. (Where a group, robot or hotline is reached is the routes file's: routes.py.)

- A person is reached by their contacts in their order of preference; when every
  one of them fails for good, the grid's group (or the community's, or the
  default webhook) gets the message, so a dispatch is never lost in silence.
- A group, the hotline and the community staff have one route each, from the
  routes file (routes.py).
- Residents are told of progress only over the contact they gave with consent,
  and never through a group.
- Quiet hours and the rate limit of a person (people.py) apply to the plans that
  reach them by their own channels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.notify.domain.addresses import (
    ADDRESSES,
    PERSON_CHANNELS,
    RESIDENT_CHANNELS,
    ROBOT_CHANNELS,
)
from services.notify.domain.delivery import Contact, Recipient
from services.notify.domain.people import Person

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
        the next contact, and reported (app/deliveries.py counts and logs them), never in
        silence."""
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
