"""Volunteer activities (志愿活动): staff's list, publish form and an activity's page;
a volunteer's list of upcoming activities with sign-up, withdrawal and check-in.

Everything is asked of roster with the person's own token: roster lets staff only
publish, keeps activities to the person's community (another's is 404), and signs up or
checks in the token's own person, so no page names whom it acts for. A publish is named by
its form's key (roster's Idempotency-Key); a volunteer's form is kept by its key before
roster is asked (app/my_duty.once), so the same form sent twice acts once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.app.my_duty import once
from services.console.domain import activities
from services.console.domain.hours import correction_key
from services.console.domain.queue import NotVisible
from services.console.store import ConsoleStore

PLACE_KINDS = ("grid", "estate")  # what an activity's places are chosen from


class FormRefused(Exception):
    """The publish form's fields that roster (or the console) could not take."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("The form was refused.")
        self.fields = fields


def places(desk: Desk) -> list[dict[str, Any]]:
    """The community's grids and estates, for the publish form."""
    community = desk.session.scope.community_id
    areas = desk.services.areas
    return [area for kind in PLACE_KINDS for area in areas(desk.token, community, kind)]


def listing(desk: Desk, upcoming: bool) -> list[dict[str, Any]]:
    return desk.services.activities(desk.token, desk.session.scope.community_id, upcoming)


def publish(desk: Desk, form: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Publish the form's activity once, however often the form is sent; FormRefused with
    the fields roster names when it refuses."""
    body, errors = activities.roster_body(form, desk.session.scope.community_id, zone)
    if errors:
        raise FormRefused(errors)
    key = correction_key(desk.session.person_id, form["request_key"])
    try:
        return desk.services.publish_activity(desk.token, body, key)
    except ApiError as refused:
        if refused.status != 400 or not refused.fields:
            raise
        raise FormRefused(activities.field_of_roster(refused.fields)) from refused


def activity(desk: Desk, activity_id: str) -> dict[str, Any]:
    found = desk.services.activity(desk.token, activity_id)
    if found is None:
        raise NotVisible(f"No activity {activity_id}.")
    return found


def my_activities(desk: Desk, now: datetime) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The community's activities not over yet, each with where the person stands."""
    person = desk.session.person_id
    return [(a, activities.my_standing(a, person, now)) for a in listing(desk, upcoming=True)]


def act(
    desk: Desk, store: ConsoleStore, activity_id: str, action: str, form_key: str, now: datetime
) -> bool:
    """Sign up, withdraw or check in, once per form (False: this form acted before)."""
    roster_action = activities.ACTIONS[action]
    return once(
        store, desk, f"activity_{action}", form_key, now,
        lambda: desk.services.on_activity(desk.token, activity_id, roster_action),
    )  # fmt: skip
