"""The residents' pact (居民公约红黑榜) in the console: staff's page (`/pact`: the quarter's
observations, deciding one, the articles, publishing the quarter's list) and a unit
leader's own page (`/my/pact`: recording an observation for a household of their units).

Everything is read and done with the person's own token: estate decides who may record
for which household, who sees which observation, and who decides and publishes. An
observation's form carries its own key (Idempotency-Key `pact:<key>`): the same form sent
twice records one observation (estate answers the second with the first, or — when the
second sending uploaded its photos again — refuses the key as used, which the page reads
as "already recorded").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.domain import pact


class AlreadyRecorded(Exception):
    """The form's key recorded an observation already (a second sending of the form)."""


def articles_of(pacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The articles a form offers: each number once, titled by the first estate's pact
    that has it (an observation is made against its household's estate's version)."""
    seen: dict[int, dict[str, Any]] = {}
    for estate in pacts:
        for article in estate["articles"]:
            seen.setdefault(article["number"], article)
    return [seen[number] for number in sorted(seen)]


def units_of(desk: Desk) -> list[dict[str, Any]]:
    """The units the person may record for: every unit of the community for staff, their
    own for a unit leader (estate checks it again)."""
    community = desk.session.scope.community_id
    units = desk.services.areas(desk.token, community, kind="unit")
    if desk.session.role == "staff":
        return units
    return [unit for unit in units if unit.get("unit_leader") == desk.session.person_id]


def staff_page(desk: Desk, quarter: str) -> dict[str, Any]:
    """The quarter's observations (those waiting for a decision first), the articles and
    the units for the record form."""
    community = desk.session.scope.community_id
    listed = desk.services.pact_observations(desk.token, community, quarter)
    pacts = desk.services.pacts(desk.token, community)
    return {
        "observations": listed["observations"],
        "waiting": pact.waiting(listed["observations"]),
        "timezone": listed["timezone"],
        "articles": articles_of(pacts),
        "pacts": pacts,
        "units": units_of(desk),
    }


def my_page(desk: Desk, quarter: str) -> dict[str, Any]:
    """A unit leader's units, the articles, and the observations they recorded."""
    community = desk.session.scope.community_id
    listed = desk.services.pact_observations(desk.token, community, quarter)
    return {
        "observations": listed["observations"],
        "timezone": listed["timezone"],
        "articles": articles_of(desk.services.pacts(desk.token, community)),
        "units": units_of(desk),
    }


def record(
    desk: Desk, form: Mapping[str, Any], photos: list[bytes], zone: ZoneInfo
) -> dict[str, Any]:
    """Upload the form's photos, then record the observation naming them, once per form."""
    community = desk.session.scope.community_id
    kept = desk.services.upload_pact_photos(desk.token, community, photos) if photos else []
    body = {
        "community_id": community,
        "household_id": pact.household_id(form["unit"], form["room"]),
        "article_number": form["article_number"],
        "kind": form["kind"],
        "seen": form["seen"],
        "seen_at": pact.seen_at(form["seen_on"], form["seen_time"], zone).isoformat(),
        "photos": [photo["id"] for photo in kept],
    }
    try:
        return desk.services.record_observation(desk.token, body, f"pact:{form['form_key']}")
    except ApiError as refused:
        if refused.code == "key_reused":
            raise AlreadyRecorded(form["form_key"]) from None
        raise


def decide(desk: Desk, observation_id: str, outcome: str, note: str) -> dict[str, Any]:
    return desk.services.decide_observation(
        desk.token, observation_id, {"outcome": outcome, "note": note}
    )


def edit_article(desk: Desk, form: Mapping[str, Any]) -> dict[str, Any]:
    community = desk.session.scope.community_id
    body = {"title": form["title"], "text": form["text"]}
    return desk.services.edit_article(
        desk.token, community, form["estate_id"], form["number"], body
    )


def publish_page(desk: Desk, quarter: str) -> dict[str, Any]:
    """What publishing would show, the quarter's observations by state, and the list as
    published if it is."""
    return desk.services.pact_preview(desk.token, desk.session.scope.community_id, quarter)


def publish(desk: Desk, quarter: str) -> dict[str, Any]:
    return desk.services.publish_pact_list(desk.token, desk.session.scope.community_id, quarter)
