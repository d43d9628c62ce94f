"""The property company's evaluation (物业考评) in the console, for staff: the estates and
their companies (`/property`), one estate's quarter, its paper ballots, closing it and
the actions its verdict asks for (`/property/<estate>`).

Everything is read and done with the staff member's own token through the estate service,
which judges their role and community (another community's estate is 404 there); the
console adds only roster's names of the estates, and shows no estate roster does not list
for the person's community.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.app.desk import Desk
from services.console.domain.property import counts_body, estate_rows, next_action
from services.console.domain.queue import NotVisible


def estates_page(desk: Desk) -> dict[str, Any]:
    """Every estate of the community with its company and this quarter so far."""
    community = desk.session.scope.community_id
    listing = desk.services.property_estates(desk.token, community)
    estates = desk.services.areas(desk.token, community, kind="estate")
    return {**listing, "rows": estate_rows(estates, listing["estates"])}


def estate_page(desk: Desk, estate_id: str) -> dict[str, Any]:
    """One estate's evaluation, named; NotVisible for an estate the community lacks."""
    community = desk.session.scope.community_id
    name = _estate_name(desk, estate_id)
    evaluation = desk.services.property_estate(desk.token, community, estate_id)
    quarter, wanted = next_action(evaluation)
    return {
        "estate": {"id": estate_id, "name": name},
        "evaluation": evaluation,
        "action_quarter": quarter,
        "wanted": wanted,
    }


def _estate_name(desk: Desk, estate_id: str) -> str:
    community = desk.session.scope.community_id
    for estate in desk.services.areas(desk.token, community, kind="estate"):
        if estate["code"] == estate_id:
            return estate["name"]
    raise NotVisible(estate_id)


def set_company(desk: Desk, estate_id: str, form: Mapping[str, Any]) -> None:
    _estate_name(desk, estate_id)
    body = {
        "name": form["name"],
        "starts_on": form["starts_on"].isoformat(),
        "ends_on": form["ends_on"].isoformat(),
    }
    desk.services.property_company(desk.token, desk.session.scope.community_id, estate_id, body)


def enter_offline(desk: Desk, estate_id: str, form: Mapping[str, Any]) -> None:
    """This quarter's paper ballots as counted (once: estate refuses a second entry)."""
    _estate_name(desk, estate_id)
    desk.services.property_offline(
        desk.token, desk.session.scope.community_id, estate_id, counts_body(form)
    )


def correct_offline(desk: Desk, estate_id: str, form: Mapping[str, Any]) -> None:
    """The entry reversed with the reason, and the corrected counts entered."""
    _estate_name(desk, estate_id)
    body = {**counts_body(form), "reason": form["reason"]}
    desk.services.property_correction(desk.token, desk.session.scope.community_id, estate_id, body)


def close_quarter(desk: Desk, estate_id: str, quarter: str) -> None:
    _estate_name(desk, estate_id)
    desk.services.property_close(desk.token, desk.session.scope.community_id, estate_id, quarter)


def record_action(desk: Desk, estate_id: str, form: Mapping[str, Any]) -> None:
    _estate_name(desk, estate_id)
    body = {
        "kind": form["kind"],
        "text": form["text"],
        "due": form["due"].isoformat() if form.get("due") else None,
    }
    desk.services.property_action(
        desk.token, desk.session.scope.community_id, estate_id, form["quarter"], body
    )


def set_thresholds(desk: Desk, form: Mapping[str, Any]) -> None:
    body = {
        "min_satisfaction": form["min_satisfaction_percent"] / 100,
        "max_complaints_per_100": form["max_complaints_per_100"],
        "min_ballots": form["min_ballots"],
    }
    desk.services.property_thresholds(desk.token, desk.session.scope.community_id, body)
