"""Volunteer activities in the console (志愿活动): the publish form read into roster's body,
times entered and shown in the community's zone. Plain Python.

Staff enter a start and end as the browser's `datetime-local` gives them (no zone): they
are the community's wall-clock times, turned into aware times here, so a community in
another zone publishes in its own. Roster checks everything else (places of the
community, the window's length, the rule's minutes) and names the field it refuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.contracts.roster import ACTIVITY_KINDS

KINDS = ACTIVITY_KINDS  # in the publish form's order

BASES = ("length", "fixed")
# the volunteer's actions on an activity, as the console's path says them → roster's
ACTIONS = {"signup": "signup", "withdraw": "withdraw", "check-in": "check-in"}
LOCAL_TIME = "%Y-%m-%dT%H:%M"


def local_to_aware(text: str, zone: ZoneInfo) -> datetime | None:
    """A `datetime-local` value as the community's wall-clock time; None if it is none."""
    try:
        return datetime.strptime(text, LOCAL_TIME).replace(tzinfo=zone)
    except ValueError:
        return None


def minutes_of(text: str) -> int | None:
    """A form's optional minutes: None when left empty."""
    return int(text) if text else None


def roster_body(
    form: dict[str, Any], community_id: str, zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The publish form as roster's body, or the fields it cannot be read from."""
    errors: dict[str, list[str]] = {}
    times = {}
    for name in ("starts_at", "ends_at"):
        times[name] = local_to_aware(form[name], zone)
        if times[name] is None:
            errors[name] = ["YYYY-MM-DD HH:MM"]
    if errors:
        return {}, errors
    rule = {"basis": form["basis"], "cap_minutes": minutes_of(form["cap_minutes"])}
    if form["basis"] == "fixed":
        rule["fixed_minutes"] = minutes_of(form["fixed_minutes"])
    body = {
        "community_id": community_id,
        "kind": form["kind"],
        "title": form["title"].strip(),
        "places": form["places"],
        "starts_at": times["starts_at"].isoformat(),
        "ends_at": times["ends_at"].isoformat(),
        "capacity": int(form["capacity"]),
        "hours_rule": rule,
    }
    return body, {}


def field_of_roster(fields: dict[str, Any]) -> dict[str, list[str]]:
    """Roster's field errors on the form's fields: the rule's are nested under hours_rule."""
    found: dict[str, list[str]] = {}
    for name, messages in fields.items():
        if name == "hours_rule" and isinstance(messages, dict):
            found.update(field_of_roster(messages))
        else:
            found[name] = messages if isinstance(messages, list) else [str(messages)]
    return found


def my_standing(activity: dict[str, Any], person_id: str, now: datetime) -> dict[str, Any]:
    """Where the person stands on one activity, and what they may do now."""
    mine = next((s for s in activity.get("signups", ()) if s["person_id"] == person_id), None)
    starts = datetime.fromisoformat(activity["starts_at"])
    ends = datetime.fromisoformat(activity["ends_at"])
    before = now < starts
    running = starts <= now < ends
    return {
        "signed_up": mine is not None,
        "checked_in_at": mine and mine.get("checked_in_at"),
        "may_sign_up": mine is None and before and activity["places_left"] > 0,
        "may_withdraw": mine is not None and before,
        "may_check_in": mine is not None and running and not mine.get("checked_in_at"),
        "full": mine is None and activity["places_left"] == 0,
        "over": now >= ends,
    }
