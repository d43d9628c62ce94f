"""Volunteer activities (志愿活动): a clean-up drive, a patrol, a visit day. Plain Python.

Staff publish an activity with its places, its window (start and end), a capacity and an
hours rule; volunteers sign up and withdraw before it starts, and check in once while it
runs; a check-in is credited into the hours ledger by the activity's rule.

An activity and its sign-ups are one aggregate (activities/<id>): a sign-up is decided
under the activity's one lease, so two sign-ups for the last place cannot both win, and
the sign-ups of one activity are bounded by its capacity (at most MAX_CAPACITY).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

MAX_CAPACITY = 500
MAX_CREDIT_MINUTES = 24 * 60
HOURS_RULES = ("length", "fixed")  # the activity's length, or a fixed number of minutes


class ActivityClosed(Exception):
    """Signing up and withdrawing end when the activity starts."""

    def __init__(self, activity_id: str):
        super().__init__(f"Activity {activity_id} has started: sign-ups are closed.")


class ActivityFull(Exception):
    def __init__(self, activity_id: str):
        super().__init__(f"Activity {activity_id} is full.")


class NotSignedUp(Exception):
    def __init__(self, activity_id: str):
        super().__init__(f"Not signed up for activity {activity_id}.")


class OutsideWindow(Exception):
    """A check-in counts only while the activity runs."""

    def __init__(self, activity_id: str):
        super().__init__(f"Check-in for activity {activity_id} is open only while it runs.")


@dataclass(frozen=True)
class HoursRule:
    """What one attendance credits: the activity's length or `fixed_minutes`, at most
    `cap_minutes` (None: no cap below the ledger's one day)."""

    basis: str  # one of HOURS_RULES
    fixed_minutes: int | None = None
    cap_minutes: int | None = None

    def credit(self, starts_at: datetime, ends_at: datetime) -> int:
        """Whole minutes, never negative, never above the cap or a day."""
        if self.basis == "fixed":
            minutes = self.fixed_minutes or 0
        else:
            minutes = int((ends_at - starts_at) // timedelta(minutes=1))
        if self.cap_minutes is not None:
            minutes = min(minutes, self.cap_minutes)
        return max(0, min(minutes, MAX_CREDIT_MINUTES))

    def describe(self) -> str:
        """How a credit came about, for the ledger line's `rule` (the auditor reads it)."""
        base = f"fixed {self.fixed_minutes} min" if self.basis == "fixed" else "activity length"
        cap = f", cap {self.cap_minutes} min" if self.cap_minutes is not None else ""
        return f"activity: {base}{cap}"


@dataclass(frozen=True)
class SignUp:
    person_id: str
    signed_up_at: datetime
    checked_in_at: datetime | None = None


@dataclass(frozen=True)
class Activity:
    id: str
    community_id: str
    kind: str
    title: str
    places: tuple[str, ...]  # area codes of the community
    starts_at: datetime
    ends_at: datetime
    capacity: int
    rule: HoursRule
    published_by: str
    published_at: datetime
    signups: tuple[SignUp, ...] = ()

    def signup_of(self, person_id: str) -> SignUp | None:
        return next((s for s in self.signups if s.person_id == person_id), None)

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - len(self.signups))

    def is_running(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def credit_minutes(self) -> int:
        return self.rule.credit(self.starts_at, self.ends_at)


def sign_up(activity: Activity, person_id: str, now: datetime) -> Activity:
    """A place for `person_id` before the activity starts, while places are left. Signing
    up again (a retry) changes nothing."""
    if activity.signup_of(person_id) is not None:
        return activity
    if now >= activity.starts_at:
        raise ActivityClosed(activity.id)
    if activity.places_left == 0:
        raise ActivityFull(activity.id)
    return replace(activity, signups=(*activity.signups, SignUp(person_id, now)))


def withdraw(activity: Activity, person_id: str, now: datetime) -> Activity:
    """Give the place back before the activity starts; a second withdrawal changes nothing."""
    if now >= activity.starts_at:
        raise ActivityClosed(activity.id)
    kept = tuple(s for s in activity.signups if s.person_id != person_id)
    return replace(activity, signups=kept)


def check_in(activity: Activity, person_id: str, now: datetime) -> tuple[Activity, bool]:
    """The person's attendance, once, while the activity runs. Returns the activity and
    whether this check-in is new (a retry of one made finds it made, inside the window or
    after it)."""
    signed = activity.signup_of(person_id)
    if signed is None:
        raise NotSignedUp(activity.id)
    if signed.checked_in_at is not None:
        return activity, False
    if not activity.is_running(now):
        raise OutsideWindow(activity.id)
    checked = replace(signed, checked_in_at=now)
    signups = tuple(checked if s.person_id == person_id else s for s in activity.signups)
    return replace(activity, signups=signups), True


def credit_id(activity_id: str, person_id: str) -> str:
    """The ledger line an attendance credits, named by what caused it: one per person and
    activity, so a repeat finds it written."""
    return f"HA-{activity_id}:{person_id}"


# -- storage ------------------------------------------------------------------------------


def activity_document(activity: Activity) -> dict[str, Any]:
    return {
        "community_id": activity.community_id,
        "kind": activity.kind,
        "title": activity.title,
        "places": list(activity.places),
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "capacity": activity.capacity,
        "rule": {
            "basis": activity.rule.basis,
            "fixed_minutes": activity.rule.fixed_minutes,
            "cap_minutes": activity.rule.cap_minutes,
        },
        "published_by": activity.published_by,
        "published_at": activity.published_at,
        "signups": [
            {
                "person_id": s.person_id,
                "signed_up_at": s.signed_up_at,
                "checked_in_at": s.checked_in_at,
            }
            for s in activity.signups
        ],
    }


def activity_from(document: dict[str, Any]) -> Activity:
    return Activity(
        id=document["_id"],
        community_id=document["community_id"],
        kind=document["kind"],
        title=document["title"],
        places=tuple(document["places"]),
        starts_at=document["starts_at"],
        ends_at=document["ends_at"],
        capacity=document["capacity"],
        rule=HoursRule(**document["rule"]),
        published_by=document["published_by"],
        published_at=document["published_at"],
        signups=tuple(SignUp(**s) for s in document["signups"]),
    )
