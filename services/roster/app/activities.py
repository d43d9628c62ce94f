"""Activity use cases: publish, list, sign up, withdraw, check in and credit.

An activity is an aggregate of its own (activities/<id>), its sign-ups inside it
(services.roster.domain.activities says why); the community's activities are listed in
activity_lists/<community> (ids, soonest first), so a listing reads one document by `_id`
and then each activity by its `_id`. A check-in is saved with its `activity.attended`
event; its credit is the ledger line `HA-<activity>:<person>`, written by the ledger's own
`record` (services.roster.app.hours), which finds a line already there and changes
nothing: a retried check-in, or one retried after a crash between the two writes,
credits once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from lianxin.access.actors import Actor
from lianxin.bus.envelope import Envelope
from lianxin.privacy import mask_name
from services.roster.app import hours, views
from services.roster.domain import activities
from services.roster.domain.activities import Activity, HoursRule
from services.roster.domain.ledger import Entry
from services.roster.events import EMITS
from services.roster.store import RosterStore

ACTIVITY_NAMESPACE = uuid.UUID("8d1f7a42-5c3e-4b6a-9e20-7f41c2d8b9a3")
LISTED_AFTER_END = timedelta(days=30)  # how long an activity stays in its community's list
SEE_EVERY_SIGNUP = ("staff", "grid_leader", "grid_worker")


class ActivityNotFound(Exception):
    def __init__(self, activity_id: str):
        super().__init__(f"No activity {activity_id}.")


class ActivityKeyReused(Exception):
    """An Idempotency-Key already published a different activity."""

    def __init__(self):
        super().__init__("This Idempotency-Key was used for another activity.")


class UnknownPlace(Exception):
    """A place that is not an area of the activity's community."""

    def __init__(self, codes: list[str]):
        super().__init__("Not places of this community: " + ", ".join(codes))
        self.codes = codes

    def details(self) -> dict:
        return {"fields": {"places": [str(self)]}}


@dataclass(frozen=True)
class Draft:
    """What staff publish (checked by the route's schema)."""

    community_id: str
    kind: str
    title: str
    places: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    capacity: int
    rule: HoursRule


def publish(
    store: RosterStore, draft: Draft, actor: Actor, request_id: str, now: datetime
) -> Activity:
    """Publish once per request (the caller's Idempotency-Key, scoped to its key): a
    retry answers the activity it made, and lists it if the first try stopped before."""
    _community(store, draft.community_id, actor)
    unknown = [code for code in draft.places if not _place_of(store, code, draft.community_id)]
    if unknown:
        raise UnknownPlace(unknown)
    activity_id = "A-" + uuid.uuid5(ACTIVITY_NAMESPACE, request_id).hex[:16]
    # in whole seconds, as the store keeps them (it drops microseconds), so that a retry's
    # draft compares equal to the activity its first try stored
    window = {
        "starts_at": draft.starts_at.replace(microsecond=0),
        "ends_at": draft.ends_at.replace(microsecond=0),
    }
    made = Activity(
        id=activity_id,
        published_by=actor.person_id or actor.key_name,
        published_at=now,
        **{**draft.__dict__, **window},
    )
    with store.activities.change(activity_id) as change:
        if change.value is None:
            change.save(made, [published_event(made)])
            found = made
        else:
            found = change.value
    if _as_drafted(found) != _as_drafted(made):
        raise ActivityKeyReused()
    _list(store, found, now)
    return found


def _community(store: RosterStore, community_id: str, actor: Actor) -> None:
    """A community this key sees and the registry knows; any other is not found."""
    area = store.definition("areas", community_id)
    if area is None or area["kind"] != "community" or not actor.sees(community_id):
        raise views.NotFound(f"No community {community_id}.")


def _place_of(store: RosterStore, code: str, community_id: str) -> bool:
    area = store.definition("areas", code)
    return area is not None and area.get("community_id") == community_id


def _as_drafted(activity: Activity) -> tuple:
    return (
        activity.community_id,
        activity.kind,
        activity.title,
        activity.places,
        activity.starts_at,
        activity.ends_at,
        activity.capacity,
        activity.rule,
    )


def _list(store: RosterStore, activity: Activity, now: datetime) -> None:
    """Add the activity to its community's list, soonest first; drop those long over."""
    with store.activity_lists.change(activity.community_id) as change:
        listed = (change.value or {}).get("entries", [])
        if any(entry["id"] == activity.id for entry in listed):
            return
        kept = [entry for entry in listed if entry["ends_at"] + LISTED_AFTER_END > now]
        kept.append(
            {"id": activity.id, "starts_at": activity.starts_at, "ends_at": activity.ends_at}
        )
        change.save({"entries": sorted(kept, key=lambda entry: entry["starts_at"])})


def listing(store: RosterStore, community_id: str, actor: Actor, upcoming_from: datetime | None):
    """The community's activities soonest first; with `upcoming_from`, those not ended by then."""
    _community(store, community_id, actor)
    listed = (store.activity_lists.get(community_id) or {}).get("entries", [])
    found = []
    for entry in listed:
        if upcoming_from is not None and entry["ends_at"] <= upcoming_from:
            continue
        activity = store.activities.get(entry["id"])
        if activity is not None:
            found.append(activity)
    return found


def activity(store: RosterStore, activity_id: str, actor: Actor) -> Activity:
    found = store.activities.get(activity_id)
    if found is None or not actor.sees(found.community_id):
        raise ActivityNotFound(activity_id)
    return found


def sign_up(store: RosterStore, activity_id: str, actor: Actor, now: datetime) -> Activity:
    """The acting person takes a place, under the activity's lease: of two sign-ups for
    the last place one wins and the other is told the activity is full."""
    person_id = _person_in(store, activity_id, actor)
    with store.activities.change(activity_id) as change:
        signed = activities.sign_up(change.value, person_id, now)
        if signed != change.value:
            change.save(signed)
    return signed


def withdraw(store: RosterStore, activity_id: str, actor: Actor, now: datetime) -> Activity:
    person_id = _person_in(store, activity_id, actor)
    with store.activities.change(activity_id) as change:
        kept = activities.withdraw(change.value, person_id, now)
        if kept != change.value:
            change.save(kept)
    return kept


def check_in(store: RosterStore, activity_id: str, actor: Actor, now: datetime) -> Entry:
    """The acting person's attendance, once, while the activity runs, then its credit by
    the activity's rule. Returns the ledger line; a retry returns the same line."""
    person_id = _person_in(store, activity_id, actor)
    now = now.replace(microsecond=0)  # as the store keeps it: a retry answers the same line
    with store.activities.change(activity_id) as change:
        checked, new = activities.check_in(change.value, person_id, now)
        if new:
            change.save(checked, [attended_event(checked, person_id, now)])
    return credit(store, checked, person_id)


def credit(store: RosterStore, activity: Activity, person_id: str) -> Entry:
    """The attendance's ledger line by the activity's rule, waiting for staff above the
    community's approval limit as every credit does (services.roster.domain.ledger)."""
    signed = activity.signup_of(person_id)
    person = store.find("people", person_id) or {}
    minutes = activity.credit_minutes()
    limit = store.policy(activity.community_id).hours.approval_above_minutes
    entry = Entry(
        id=activities.credit_id(activity.id, person_id),
        kind="credit",
        state="pending_approval" if minutes > limit else "approved",
        person_id=person_id,
        community_id=activity.community_id,
        minutes=minutes,
        at=signed.checked_in_at,
        household_id=person.get("household_id"),
        rule=activity.rule.describe(),
        note=f"activity {activity.id}: {activity.title}",
    )
    recorded = hours.record(store, entry, f"activity-{activity.id}")
    if recorded.state == "pending_approval":
        hours.list_waiting(store, recorded)
    return recorded


def _person_in(store: RosterStore, activity_id: str, actor: Actor) -> str:
    """Who acts: the person of the token, in the activity's community (else 404)."""
    found = activity(store, activity_id, actor)
    person = store.find("people", actor.person_id or "")
    if person is None or person["community_id"] != found.community_id:
        raise ActivityNotFound(activity_id)
    return person["_id"]


def published_event(activity: Activity) -> Envelope:
    return EMITS.new_event(
        "activity.published",
        {
            "activity_id": activity.id,
            "community_id": activity.community_id,
            "kind": activity.kind,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "capacity": activity.capacity,
        },
        correlation_id=f"activity-{activity.id}",
        at=activity.published_at,
    )


def attended_event(activity: Activity, person_id: str, now: datetime) -> Envelope:
    return EMITS.new_event(
        "activity.attended",
        {
            "activity_id": activity.id,
            "community_id": activity.community_id,
            "person_id": person_id,
            "kind": activity.kind,
            "entry_id": activities.credit_id(activity.id, person_id),
            "minutes": activity.credit_minutes(),
            "checked_in_at": now,
        },
        correlation_id=f"activity-{activity.id}",
        at=now,
    )


def shown(store: RosterStore, found: Activity, actor: Actor) -> dict:
    """An activity as a reader sees it: its places named and its zone; staff and grid
    roles see every sign-up (names masked), anyone else only their own."""
    community = store.definition("areas", found.community_id) or {}
    everyone = actor.role in SEE_EVERY_SIGNUP or actor.person_id is None
    signups = [s for s in found.signups if everyone or s.person_id == actor.person_id]
    return {
        **found.__dict__,
        "place_names": [
            (store.definition("areas", code) or {}).get("name", code) for code in found.places
        ],
        "timezone": community.get("timezone") or "Asia/Shanghai",
        "places_left": found.places_left,
        "signed_up": len(found.signups),
        "checked_in": sum(1 for s in found.signups if s.checked_in_at is not None),
        "credit_minutes": found.credit_minutes(),
        "hours_rule": found.rule.describe(),
        "signups": [{**s.__dict__, "display_name": _masked(store, s.person_id)} for s in signups],
    }


def _masked(store: RosterStore, person_id: str) -> str:
    return mask_name((store.find("people", person_id) or {}).get("name") or person_id)
