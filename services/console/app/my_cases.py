"""A person's own cases, their case's page and the assignee's actions on it — for a
signed-in person (`/my`) and for whoever opens a message's signed link (`/v/<token>`).

Both act as the person, with their own token (cases and roster judge it): a `Holder`.
Each page reads the case by its id (GET /v1/cases/<id>, an `_id` read in cases) and shows
it only while it is the person's (domain/my_cases.py). An action reads the case again,
then asks cases with the form's own Idempotency-Key; cases' refusal comes back as it is.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.case_pages import (
    CasePageLink,
    CasePageLinkExpired,
    CasePageLinkInvalid,
    CasePageLinks,
)
from lianxin.access.person_access import PersonAccess, refusal
from services.console.apis import Services
from services.console.app.desk import Desk
from services.console.domain import my_cases as rules
from services.console.domain.my_cases import AFTER, action_body, require_theirs
from services.console.domain.queue import NotVisible, require_photo
from services.console.domain.staff import widest


@dataclass(frozen=True)
class Holder:
    """Who acts on these pages: the person, through their own token."""

    services: Services
    token: str
    person_id: str
    community_id: str

    @classmethod
    def of_desk(cls, desk: Desk) -> Holder:
        session = desk.session
        return cls(desk.services, desk.token, session.person_id, session.scope.community_id)

    def case(self, case_id: str) -> Mapping[str, Any]:
        """The case while it is the person's; else NotVisible (404)."""
        return require_theirs(self.services.case(self.token, case_id), self.person_id)


class LinkRefused(Exception):
    """A case page link that opens nothing; `reason` names why (the page says it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def my_cases(holder: Holder, now: datetime) -> dict[str, Any]:
    """The person's offers (with until when they may accept), the cases they hold (with
    their resolve-by) and those they resolved lately (their hours name them): each case
    read by its id."""
    services, token, person_id = holder.services, holder.token, holder.person_id
    offers = services.person_offers(token, person_id)
    held = services.person_open_cases(token, person_id)
    hours = services.person_hours(token, person_id)["entries"]  # oldest first
    wanted = rules.case_ids_to_read(offers, held, hours, now)
    found = [services.case(token, case_id) for case_id in wanted]
    return {
        **rules.grouped([case for case in found if case], holder.person_id),
        "offer_until": rules.offer_deadlines(offers),
    }


def case_page(holder: Holder, case_id: str) -> dict[str, Any]:
    """The case, the actions its assignee may take now (each form with its own key), and
    its photos by the step that bound them (before: the report; after: the resolve)."""
    case = holder.case(case_id)
    actions = rules.actions_for(case)
    return {
        "case": case,
        "actions": actions,
        "form_keys": {action: secrets.token_urlsafe(18) for action in actions},
        "photos": rules.photos_by_step(case),
    }


def photo(holder: Holder, case_id: str, photo_id: str, thumbnail: bool) -> tuple[bytes, str]:
    """A photo the person's case names, as cases serves it to them."""
    case = holder.case(case_id)
    found = holder.services.photo(holder.token, require_photo(case, photo_id), thumbnail)
    if found is None:
        raise NotVisible("No such photo.")
    return found


def upload_after_photos(holder: Holder, case_id: str, contents: list[bytes]) -> list[str]:
    """Photos of the work, uploaded before the resolve names them: their ids."""
    holder.case(case_id)
    sent = [content for content in contents if content]  # an empty file field sends b""
    if not sent:
        return []
    kept = holder.services.upload_photos(holder.token, holder.community_id, AFTER, sent)
    return [photo["id"] for photo in kept]


def act(
    holder: Holder, case_id: str, action: str, form: Mapping[str, Any], zone: ZoneInfo
) -> dict[str, Any]:
    """The assignee's action, confirmed: cases decides it (state, assignee, photos)."""
    holder.case(case_id)
    body = action_body(action, form, zone)
    return holder.services.act(holder.token, case_id, action, body, form["form_key"])


# -- the signed link from a message ----------------------------------------------------------


def opened_link(
    links: CasePageLinks,
    access_of: Callable[[str], PersonAccess | None],
    token: str,
    now: datetime,
) -> tuple[CasePageLink, PersonAccess, str]:
    """The link, while it stands: signed by the services, not expired, and the person's
    access unchanged since it was issued (lianxin.access.person_access); with the role
    the page acts in (the widest the console serves). LinkRefused otherwise."""
    try:
        link = links.read(token, now)
    except CasePageLinkInvalid:
        raise LinkRefused("invalid") from None
    except CasePageLinkExpired:
        raise LinkRefused("expired") from None
    access = access_of(link.person_id)
    role = widest(access.roles) if access is not None else None
    if refusal(access, role, link.issued_at) is not None or role is None:
        raise LinkRefused("revoked")
    assert access is not None
    return link, access, role


def link_holder(services: Services, token: str, access: PersonAccess, role: str) -> Holder:
    """The person as the link's page acts for them: a person token of its own, kept under
    the link's digest (never the console's session of the person: the link opens one
    case, not their pages)."""
    key = "link:" + hashlib.sha256(token.encode()).hexdigest()
    person_token = services.person_token(key, access.person_id, role, access.community_id)
    return Holder(services, person_token, access.person_id, access.community_id)
