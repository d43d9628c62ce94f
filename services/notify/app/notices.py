"""Notices (通知): staff send one to an area; notify fans it out through the unit leaders'
groups and by SMS, and counts what was sent and read (domain/notices.py).

Sending never waits for the fan-out: `send` stores the notice with a PLAN deadline in its
outbox and answers. PLAN reads the audience's units (the area tree, then one `homes`
document per unit), cuts the recipients into batches and saves them with one BATCH
deadline each; a BATCH makes its deliveries through the delivery pipeline (retries,
quiet hours for a notice that is not urgent, never a digest) and records them in its
tally. Every step is idempotent: a deadline that comes twice finds its work done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor
from lianxin.bus.deadlines import Deadline
from services.notify.app import pipeline, tallies
from services.notify.app.tallies import KIND, entry_of
from services.notify.compose import Outbound
from services.notify.domain import notices
from services.notify.domain.delivery import Contact, Delivery, delivery_id
from services.notify.domain.delivery import Recipient as Addressee
from services.notify.domain.messages import local_time
from services.notify.domain.notice_links import NoticeLinkRefused
from services.notify.domain.notices import (
    AreaTree,
    Audience,
    Notice,
    NoticeKeyReused,
    NoticeNotFound,
    OutsideOwnGrids,
    UnknownAudience,
)
from services.notify.domain.people import hold
from services.notify.domain.plans import group_address
from services.notify.store import NotifyStore

PLAN = "notify.notice_plan"
BATCH = "notify.notice_batch"
SENDERS = ("staff", "grid_leader", "grid_worker")
Clock = Callable[[], datetime]


# who may, and the audience


def audience(store: NotifyStore, actor: Actor, community_id: str, kind: str, code: str) -> Audience:
    """The audience, checked: another community is not found, an area outside the
    registry is a field error, a grid person's area outside their grids is refused."""
    actor.require_role(*SENDERS)
    if not actor.sees(community_id):
        raise NoticeNotFound(f"No community {community_id}.")
    found = notices.audience_of(tree_of(store, community_id), community_id, kind, code)
    if not notices.may_send_to(actor.role, _home_grids(store, actor), found):
        raise OutsideOwnGrids("Grid workers send notices to their own grids only.")
    return found


def preview(
    store: NotifyStore, outbound: Outbound, actor: Actor, community_id: str, kind: str, code: str
) -> dict[str, Any]:
    """How many the notice would reach, per channel, before it is sent."""
    found = audience(store, actor, community_id, kind, code)
    groups, people, untexted = _recipients(store, outbound, community_id, found)
    return {
        "audience": _audience_view(found),
        "units": len(found.units),
        "groups": len(groups),
        "units_without_group": len(found.units) - sum(len(units) for units in groups.values()),
        "sms": len(people),
        "people_without_sms": untexted,
    }


def send(
    store: NotifyStore,
    outbound: Outbound,
    actor: Actor,
    draft: Mapping[str, Any],
    idempotency_key: str,
    now: datetime,
) -> Notice:
    """Store the notice once per key; its fan-out follows (PLAN). The same key with other
    content is NoticeKeyReused."""
    found = audience(store, actor, draft["community_id"], draft["audience"], draft["code"])
    notice_id = notices.notice_id(actor.key_id, idempotency_key)
    asked = notices.request_digest({**draft, "channels": ",".join(draft["channels"])})
    author = store.person(actor.person_id) if actor.person_id else None
    notice = Notice(
        id=notice_id,
        community_id=draft["community_id"],
        audience=found,
        title=draft["title"],
        body=draft["body"],
        urgent=draft["urgent"],
        channels=tuple(c for c in notices.CHANNELS if c in draft["channels"]),
        author_id=actor.person_id,
        author_name=author.display_name if author else actor.key_name,
        sent_at=now,
        request=asked,
    )
    with store.notices.change(notice_id) as change:
        if change.value is not None:
            if change.value.request != asked:
                raise NoticeKeyReused("This Idempotency-Key named another notice.")
            return change.value
        change.save(notice, [Deadline(PLAN, notice_id, now)])
    return notice


# the fan-out


def plan(store: NotifyStore, outbound: Outbound, deadline: Deadline) -> None:
    """The notice's recipients, cut into batches, each with its deadline; once."""
    with store.notices.change(deadline.aggregate_id) as change:
        notice = change.value
        if notice is None or notice.batches is not None:
            return
        tree = tree_of(store, notice.community_id)
        try:
            found = notices.audience_of(
                tree, notice.community_id, notice.audience.kind, notice.audience.code
            )
        except UnknownAudience:  # the area left the registry since it was sent: no one
            found = replace(notice.audience, units=())
        groups, people, _ = _recipients(store, outbound, notice.community_id, found)
        batches = notices.batches_of(
            groups if "group" in notice.channels else (),
            people if "sms" in notice.channels else (),
        )
        planned = {
            channel: sum(r.channel == channel for b in batches for r in b)
            for channel in notice.channels
        }
        events = [
            Deadline(BATCH, notice.id, deadline.due_at, {
                "batch": index, "recipients": [r.encoded() for r in batch],
            })
            for index, batch in enumerate(batches)
        ]  # fmt: skip
        change.save(notice.planned_in(len(batches), planned), events)


def send_batch(store: NotifyStore, outbound: Outbound, deadline: Deadline, clock: Clock) -> None:
    """One batch's deliveries, each made once (its id is derived from the batch, the
    recipient and the channel), and the batch's tally."""
    notice = store.notices.get(deadline.aggregate_id)
    if notice is None:
        return
    cause = notices.cause_of(notice.id, int(deadline.payload["batch"]))
    zone = pipeline.zone_for(store, outbound, notice.community_id)
    now = clock()
    context = _context(store, outbound, notice, zone)
    group_message = outbound.messages.render(KIND, notice.community_id, context).to_dict()
    told: dict[str, dict[str, Any]] = {}
    for recipient in map(notices.Recipient.decoded, deadline.payload["recipients"]):
        if recipient.channel == "group":
            made = _to_group(outbound, notice, cause, recipient.key, group_message, now)
        else:
            made = _to_person(store, outbound, notice, cause, recipient.key, context, zone, now)
        if made is None:
            continue  # gone, or no way to reach them any more, since the notice was planned
        delivery, due = made
        created = pipeline.create(store, outbound, delivery, due, clock)
        stored = created or store.deliveries.get(delivery.id)
        if stored is not None:
            told[stored.id] = entry_of(stored)
    tallies.record(store, cause, told)


def _to_group(
    outbound: Outbound,
    notice: Notice,
    cause: str,
    name: str,
    message: Mapping[str, Any],
    now: datetime,
) -> tuple[Delivery, datetime] | None:
    """The group's message, sent at once: a group has no quiet hours of its own."""
    route = outbound.routes.group(notice.community_id, name)
    if route is None:
        return None  # taken out of the routes file since the notice was planned
    contact = Contact(route.channel, group_address(notice.community_id, name))
    addressee = Addressee("group", f"{notice.community_id}/{name}", name)
    about = {"community_id": notice.community_id}
    return (
        Delivery.over([contact], cause, KIND, addressee, message, now, about, urgent=notice.urgent),
        now,
    )


def _to_person(
    store: NotifyStore,
    outbound: Outbound,
    notice: Notice,
    cause: str,
    person_id: str,
    context: Mapping[str, Any],
    zone: Any,
    now: datetime,
) -> tuple[Delivery, datetime] | None:
    """The person's SMS with their own reading link, held through their quiet hours
    unless the notice is urgent."""
    person = store.person(person_id)
    if person is None or not person.active:
        return None
    numbers = outbound.reach.direct(person.contacts, ("sms",), person.community_id)
    if not numbers:
        return None
    contact, addressee = numbers[0], person.recipient
    made_id = delivery_id(cause, addressee, contact)
    read_url = outbound.notice_links.url(outbound.console_url, notice.id, made_id, now)
    message = outbound.messages.render(
        KIND, notice.community_id, {**context, "read_url": read_url}
    ).to_dict()
    about = {"community_id": notice.community_id}
    delivery = Delivery.over(
        [contact], cause, KIND, addressee, message, now, about, urgent=notice.urgent
    )
    return delivery, hold(delivery, person, zone, now)


# what staff see


def listing(
    store: NotifyStore,
    actor: Actor,
    community_id: str,
    before: datetime | None,
    limit: int,
) -> tuple[list[tuple[Notice, dict[str, dict]]], datetime | None]:
    """A page of the community's notices the actor sees, newest first, each with its
    counts, and the next page's cursor (None: no more). A grid person's page may hold
    fewer than `limit`: the notices of other grids are left out after the read."""
    if not actor.sees(community_id):
        return [], None
    grids = _home_grids(store, actor)
    found = store.notices_of(community_id, before, limit)
    shown = [
        (notice, notices.summed(_sums(store, notice), notice.channels))
        for notice in found
        if notices.sees(actor.role, grids, notice.audience.grid_id)
    ]
    return shown, found[-1].sent_at if len(found) == limit else None


def shown(store: NotifyStore, actor: Actor, notice_id: str) -> tuple[Notice, dict, list[dict]]:
    """A notice, its counts per channel, and who read it (masked names), first first."""
    notice = store.notices.get(notice_id)
    if (
        notice is None
        or not actor.sees(notice.community_id)
        or not notices.sees(actor.role, _home_grids(store, actor), notice.audience.grid_id)
    ):
        raise NoticeNotFound(f"No notice {notice_id}.")
    entries = _entries(store, notice)
    readers = sorted(
        ({"name": e["name"], "read_at": e["read_at"]} for e in entries if e.get("read_at")),
        key=lambda reader: reader["read_at"],
    )
    return notice, notices.counts(entries, notice.channels), readers


# reading by the SMS link


def receipt(
    store: NotifyStore, outbound: Outbound, actor: Actor, token: str, now: datetime
) -> dict[str, Any]:
    """The notice a reading link names, as its reader sees it, and when it was read (None:
    not yet). Only shows: a link scanner's GET counts nothing."""
    notice, delivery = _linked(store, outbound, actor, token, now)
    return _as_read(store, outbound, notice, delivery)


def read(
    store: NotifyStore, outbound: Outbound, actor: Actor, token: str, now: datetime
) -> dict[str, Any]:
    """The recipient says they read it: recorded once (a replay finds the first read)."""
    notice, delivery = _linked(store, outbound, actor, token, now)
    tallies.record(store, delivery.cause_id, {delivery.id: entry_of(delivery, read_at=now)})
    return _as_read(store, outbound, notice, delivery)


def _as_read(
    store: NotifyStore, outbound: Outbound, notice: Notice, delivery: Delivery
) -> dict[str, Any]:
    """What the reader's page shows: no author, no counts, no one else."""
    entries = (store.tallies.get(notices.tally_id(delivery.cause_id)) or {}).get("entries") or {}
    return {
        "community": community_name(store, outbound, notice.community_id),
        "audience": notice.audience.name,
        "title": notice.title,
        "body": notice.body,
        "urgent": notice.urgent,
        "sent_at": notice.sent_at,
        "timezone": str(pipeline.zone_for(store, outbound, notice.community_id)),
        "read_at": (entries.get(delivery.id) or {}).get("read_at"),
    }


def _linked(
    store: NotifyStore, outbound: Outbound, actor: Actor, token: str, now: datetime
) -> tuple[Notice, Delivery]:
    try:
        reader = outbound.notice_links.read(token, now)
    except NoticeLinkRefused:
        raise NoticeNotFound("No such notice.") from None
    notice = store.notices.get(reader.notice_id)
    delivery = store.deliveries.get(reader.delivery_id)
    if (
        notice is None
        or delivery is None
        or not delivery.cause_id.startswith(f"{notice.id}/")
        or not actor.sees(notice.community_id)
    ):
        raise NoticeNotFound("No such notice.")
    return notice, delivery


# reading the replicas


def tree_of(store: NotifyStore, community_id: str) -> AreaTree:
    return AreaTree((store.area_trees.get(community_id) or {}).get("nodes", {}))


def _recipients(
    store: NotifyStore, outbound: Outbound, community_id: str, found: Audience
) -> tuple[dict[str, list[str]], list[str], int]:
    """The unit leaders' groups (name → units), the people to text, and how many people
    live there with no SMS number: one `homes` read per unit."""
    routes = outbound.routes.community(community_id).groups
    reachable = [name for name, route in routes.items() if route.channel in outbound.reach.channels]
    groups = notices.unit_groups(tree_of(store, community_id), found.units, reachable)
    people: list[str] = []
    untexted = 0
    for unit in found.units:
        for person_id, home in ((store.homes.get(unit) or {}).get("members") or {}).items():
            if home.get("sms"):
                people.append(person_id)
            else:
                untexted += 1
    return groups, people, untexted


def _batch_ids(notice: Notice) -> list[str]:
    return [notices.tally_id(notices.cause_of(notice.id, b)) for b in range(notice.batches or 0)]


def _sums(store: NotifyStore, notice: Notice) -> list[dict[str, Any]]:
    """Each batch's counts: one small read per batch, for a listing."""
    return [store.tally_sums(tally_id) for tally_id in _batch_ids(notice)]


def _entries(store: NotifyStore, notice: Notice) -> list[dict[str, Any]]:
    """Every delivery of the notice as its tallies hold them: one read per batch."""
    found: list[dict[str, Any]] = []
    for tally_id in _batch_ids(notice):
        found.extend(((store.tallies.get(tally_id) or {}).get("entries") or {}).values())
    return found


def _home_grids(store: NotifyStore, actor: Actor) -> tuple[str, ...]:
    person = store.current_person(actor.person_id) if actor.person_id else None
    return person.home_grids if person else ()


def _audience_view(found: Audience) -> dict[str, Any]:
    return {"kind": found.kind, "code": found.code, "name": found.name, "grid_id": found.grid_id}


def community_name(store: NotifyStore, outbound: Outbound, community_id: str) -> str:
    """roster's name of the community, else the routes file's, else its code."""
    return (
        (store.place(community_id) or {}).get("name")
        or outbound.routes.community(community_id).name
        or community_id
    )


def _context(store: NotifyStore, outbound: Outbound, notice: Notice, zone: Any) -> dict[str, Any]:
    return {
        "community": community_name(store, outbound, notice.community_id),
        "audience": notice.audience.name,
        "title": notice.title,
        "body": notice.body,
        "urgent": notice.urgent,
        "sent_at": local_time(notice.sent_at, zone),
        "read_url": None,
        "links": {},
        "facts": {"notice_id": notice.id, "audience": notice.audience.code},
    }
