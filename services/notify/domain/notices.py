"""Notices (通知): staff tell a community, a grid, a building or a unit something, through
the unit leaders' groups and by SMS to the people living there; who read it is counted
where the channel tells. Plain Python: no nameko, no pymongo.

- The audience is an area of notify's registry (roster's `area.changed`, kept as one
  AreaTree per community): the community, a grid, a building or a unit. It covers the
  units at and under it.
- The `group` channel reaches each covered unit's leaders' group: the group route named
  by the unit's code in the routes file, else its building's, else its estate's (unit
  leaders of a small building often share one). A unit with none is reached by SMS only.
- The `sms` channel reaches each person notify knows to live in a covered unit (roster's
  `person.changed` names the unit) and who has an SMS number. A resident with no record
  in roster is not known, and is not texted.
- One delivery per recipient and channel, in batches of BATCH: each batch is a Tally,
  the record of its deliveries' states and reads, so counting a notice reads a few
  documents by `_id` however many it reached.
- A read is told only by the SMS's own link (a POST on its page); a group has no
  receipt per person: its reads are unknown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

AUDIENCE_KINDS = ("community", "grid", "building", "unit")
CHANNELS = ("group", "sms")
BATCH = 200  # recipients per batch (one Tally document of about 30 KB at most)
GROUP_LEVELS = ("unit", "building", "estate")  # whose group route reaches a unit, in turn
OPEN_STATES = frozenset({"pending", "failed"})
AREA_DEPTH = ("subdistrict", "community", "grid", "estate", "building", "unit")  # top down


class NoticeNotFound(Exception):
    pass


class UnknownAudience(ValueError):
    """The audience is not an area of that kind in the community: a field error."""


class NoticeKeyReused(Exception):
    """An Idempotency-Key already named another notice."""


class OutsideOwnGrids(Exception):
    """A grid worker or grid leader sends to their own grids only."""


@dataclass(frozen=True)
class AreaTree:
    """A community's areas by code, as notify's registry keeps them: kind, parent, name."""

    nodes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def node(self, code: str) -> Mapping[str, Any] | None:
        found = self.nodes.get(code)
        return None if found is None or found.get("removed") else found

    def ancestors(self, code: str) -> list[str]:
        """The code and its parents, nearest first (bounded: a cycle cannot loop)."""
        chain: list[str] = []
        current: str | None = code
        while current and current in self.nodes and len(chain) <= len(AREA_DEPTH):
            chain.append(current)
            current = self.nodes[current].get("parent")
        return chain

    def of_kind(self, code: str, kind: str) -> str | None:
        """The area of `kind` that holds `code` (itself included)."""
        return next((c for c in self.ancestors(code) if self.nodes[c].get("kind") == kind), None)

    def units_under(self, code: str) -> list[str]:
        """The live units at or under `code`, sorted."""
        return sorted(
            unit
            for unit, node in self.nodes.items()
            if node.get("kind") == "unit" and not node.get("removed")
            and code in self.ancestors(unit)
        )  # fmt: skip


@dataclass(frozen=True)
class Audience:
    kind: str
    code: str
    name: str
    grid_id: str | None  # None for the whole community
    units: tuple[str, ...]


def audience_of(tree: AreaTree, community_id: str, kind: str, code: str) -> Audience:
    """The area a notice goes to, checked against the registry; UnknownAudience if it is
    not an area of that kind in that community."""
    node = tree.node(code)
    if kind not in AUDIENCE_KINDS or node is None or node.get("kind") != kind:
        raise UnknownAudience(f"No {kind} {code} in this community.")
    if node.get("community_id") != community_id and code != community_id:
        raise UnknownAudience(f"No {kind} {code} in this community.")
    return Audience(kind, code, str(node.get("name") or code), tree.of_kind(code, "grid"),
                    tuple(tree.units_under(code)))  # fmt: skip


def unit_groups(
    tree: AreaTree, units: Iterable[str], configured: Iterable[str]
) -> dict[str, list[str]]:
    """The leaders' group each unit is reached by (its own route, else its building's,
    else its estate's), each group once with the units it speaks for; a unit with no
    such route is in none."""
    named = set(configured)
    groups: dict[str, list[str]] = {}
    for unit in units:
        candidates = (tree.of_kind(unit, level) for level in GROUP_LEVELS)
        group = next((code for code in candidates if code and code in named), None)
        if group is not None:
            groups.setdefault(group, []).append(unit)
    return groups


def may_send_to(role: str | None, home_grids: Iterable[str], audience: Audience) -> bool:
    """Staff (and an admin key with no person) send to their community; a grid worker or
    grid leader to an area inside one of their own grids, never the whole community."""
    if role in (None, "staff"):
        return True
    return audience.grid_id is not None and audience.grid_id in set(home_grids)


def sees(role: str | None, home_grids: Iterable[str], grid_id: str | None) -> bool:
    """Who sees a notice of their community: staff all; grid people those of their grids."""
    if role in (None, "staff"):
        return True
    return grid_id is not None and grid_id in set(home_grids)


@dataclass(frozen=True)
class Notice:
    id: str
    community_id: str
    audience: Audience
    title: str
    body: str
    urgent: bool
    channels: tuple[str, ...]
    author_id: str | None
    author_name: str
    sent_at: datetime
    request: str  # a digest of what was asked: the same key with other content is refused
    batches: int | None = None  # None until its recipients are planned (app/notices.py)
    planned: Mapping[str, int] = field(default_factory=dict)  # channel → recipients

    def planned_in(self, batches: int, planned: Mapping[str, int]) -> Notice:
        return replace(self, batches=batches, planned=dict(planned))


def notice_id(key_id: str, idempotency_key: str) -> str:
    """One notice per (key, Idempotency-Key): a retry finds the notice it made."""
    digest = hashlib.sha256(f"{key_id}\x1f{idempotency_key}".encode()).hexdigest()
    return "NT-" + digest[:16].upper()


def request_digest(fields_: Mapping[str, Any]) -> str:
    text = "\x1f".join(f"{key}={fields_[key]}" for key in sorted(fields_))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Recipient:
    """One recipient of a batch: a unit leaders' group, or a person by SMS."""

    channel: str  # group | sms
    key: str  # the group's route name, or the person's id

    def encoded(self) -> str:
        """`<channel>:<key>`: a deadline's payload lands in a document, and FerretDB
        stores no array inside an array."""
        return f"{self.channel}:{self.key}"

    @classmethod
    def decoded(cls, text: str) -> Recipient:
        channel, _, key = text.partition(":")
        return cls(channel, key)


def batches_of(groups: Iterable[str], people: Iterable[str]) -> list[list[Recipient]]:
    """Every recipient once, groups first, cut into batches of BATCH."""
    every = [Recipient("group", g) for g in sorted(set(groups))]
    every += [Recipient("sms", p) for p in sorted(set(people))]
    return [every[start : start + BATCH] for start in range(0, len(every), BATCH)]


def cause_of(notice_id_: str, batch: int) -> str:
    """A batch's deliveries name it as their cause: its tally is found from any of them."""
    return f"{notice_id_}/{batch}"


def tally_id(cause_id: str) -> str:
    return cause_id.replace("/", ":", 1)


def merged(stored: Mapping[str, Any] | None, told: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery's entry in its tally from what was stored and what is told now, in any
    order: the state of the later attempt (a settled one over an open one at the same
    count), the first read."""
    if not stored:
        return dict(told)
    later = told if _progress(told) >= _progress(stored) else stored
    reads = [at for at in (stored.get("read_at"), told.get("read_at")) if at is not None]
    return {**stored, **later, "read_at": min(reads) if reads else None}


def summed(parts: Iterable[Mapping[str, Mapping[str, Any]]], channels: Iterable[str]) -> dict:
    """Batches' counts added up, per channel (a group's reads stay unknown)."""
    total = {channel: _row(channel) for channel in channels}
    for part in parts:
        for channel, row in part.items():
            into = total.setdefault(channel, _row(channel))
            for name in ("made", "sent", "failed", "read"):
                if into[name] is not None and row.get(name) is not None:
                    into[name] += row[name]
    return total


def _row(channel: str) -> dict[str, int | None]:
    return {"made": 0, "sent": 0, "failed": 0, "read": None if channel == "group" else 0}


def _progress(entry: Mapping[str, Any]) -> tuple[int, int]:
    return int(entry.get("attempts", 0)), 0 if entry.get("state") in OPEN_STATES else 1


def counts(entries: Iterable[Mapping[str, Any]], channels: Iterable[str]) -> dict[str, dict]:
    """Per channel: deliveries made, sent, failed (dead: no attempt left), read. A
    group's reads are unknown (None): a group message has no receipt per person."""
    shown = {channel: _row(channel) for channel in channels}
    for entry in entries:
        row = shown.setdefault(entry["channel"], _row(entry["channel"]))
        row["made"] += 1
        row["sent"] += entry.get("state") == "sent"
        row["failed"] += entry.get("state") == "dead"
        if row["read"] is not None and entry.get("read_at") is not None:
            row["read"] += 1
    return shown
