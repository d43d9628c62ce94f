"""A resident's progress page: what cases shows them through their link, the rating they
give, the photos the page shows. The link's token is the only credential (no session, no
person token): cases decides what it shows and whether the rating is taken; a link cases
does not know is a page that does not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from services.console.apis import Services
from services.console.domain import residents_progress
from services.console.domain.queue import NotVisible


def progress_page(services: Services, token: str, default_zone: ZoneInfo) -> dict[str, Any]:
    """The page's content: cases' view, its steps, its times in the community's zone, and
    a fresh key for the rating form (a second submit of one form rates once)."""
    view = services.progress(token)
    if view is None:
        raise NotVisible("No such progress page.")
    zone = residents_progress.zone_named(view.get("timezone"), default_zone)
    return {
        "progress": view,
        "steps": residents_progress.steps(view["stage"]),
        "times": residents_progress.in_zone(view, zone),
        "case_zone": str(zone),
        "form_key": secrets.token_urlsafe(18),
    }


def rate(services: Services, token: str, form: Mapping[str, Any]) -> None:
    body = {"rating": form["rating"], "comment": form["comment"]}
    services.rate_progress(token, body, form["form_key"])


def photo(services: Services, token: str, photo_id: str, thumbnail: bool) -> tuple[bytes, str]:
    found = services.progress_photo(token, photo_id, thumbnail)
    if found is None:
        raise NotVisible("No such photo.")
    return found
