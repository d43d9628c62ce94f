"""Notices (通知): staff's list, compose → preview → send, a notice's page with its counts
and readers; a resident's reading page (`/r/notice/<token>`).

Everything is asked of notify with the person's own token: notify lets staff send to the
community and grid workers to their own grids, keeps notices to the person's community
(another's is 404), and counts reads. The send is named by the preview's form key
(notify's Idempotency-Key), so the same confirmation sent twice sends once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from services.console.apis import ApiError, Services
from services.console.app.desk import Desk
from services.console.domain import notices
from services.console.domain.hours import correction_key
from services.console.domain.labels import local_time
from services.console.domain.queue import NotVisible


class FormRefused(Exception):
    """The fields notify (or the console) could not take, under the form's names."""

    def __init__(self, fields: Mapping[str, list[str]]):
        super().__init__("The form was refused.")
        self.fields = dict(fields)


def choices(desk: Desk) -> list[tuple[str, list[notices.Choice]]]:
    """The areas the person may send a notice to, from roster's registry."""
    community = desk.session.scope.community_id
    areas = desk.services.areas(desk.token, community)
    name = next((a["name"] for a in areas if a["code"] == community), community)
    return notices.audience_choices(areas, community, name, desk.session.scope.grids)


def preview(desk: Desk, form: Mapping[str, Any], channels: Sequence[str]) -> dict[str, Any]:
    """How many the notice would reach per channel (notify's count); FormRefused when
    notify refuses the audience."""
    body = notices.notify_body(form, channels, desk.session.scope.community_id)
    try:
        return desk.services.notice_audience(
            desk.token, body["community_id"], body["audience"], body["code"]
        )
    except ApiError as refused:
        raise _form_refusal(refused) from refused


def send(desk: Desk, form: Mapping[str, Any], channels: Sequence[str]) -> dict[str, Any]:
    """Send the confirmed notice once, however often the confirmation is sent."""
    body = notices.notify_body(form, channels, desk.session.scope.community_id)
    key = correction_key(desk.session.person_id, form["request_key"])
    try:
        return desk.services.send_notice(desk.token, body, key)
    except ApiError as refused:
        raise _form_refusal(refused) from refused


def listing(desk: Desk) -> list[dict[str, Any]]:
    return desk.services.notices(desk.token, desk.session.scope.community_id)


def notice(desk: Desk, notice_id: str) -> dict[str, Any]:
    found = desk.services.notice(desk.token, notice_id)
    if found is None:
        raise NotVisible(f"No notice {notice_id}.")
    return found


def reading_page(services: Services, token: str) -> dict[str, Any]:
    """The notice a reading link names, its times in the community's zone; NotVisible
    for a link notify does not know (altered, expired)."""
    found = services.notice_receipt(token)
    if found is None:
        raise NotVisible("No such notice.")
    return _in_zone(found)


def read(services: Services, token: str) -> dict[str, Any]:
    return _in_zone(services.read_notice(token))


def _in_zone(found: Mapping[str, Any]) -> dict[str, Any]:
    zone = ZoneInfo(found["timezone"])
    return {
        **found,
        "sent_local": local_time(found["sent_at"], zone),
        "read_local": local_time(found["read_at"], zone) if found["read_at"] else None,
    }


def _form_refusal(refused: ApiError) -> FormRefused | ApiError:
    """A 400's fields, or a grid worker's area outside their grids, as the form's errors;
    anything else goes on to the error page as notify answered."""
    if refused.status == 400 and refused.fields:
        return FormRefused(notices.field_of_notify(refused.fields))
    if refused.status == 403 and refused.code == "outside_own_grids":
        return FormRefused({"audience": ["outside_own_grids"]})
    return refused
