"""Care rounds (邻里守望) in the console: a carer's rounds and their ticks (`/my/care`), and
the register staff keep (`/care`).

Everything is read and done with the person's own token; roster decides who sees a plan
and who ticks a round. Ticking a round that needs help first opens its case (cases'
intake, the console's key with the carer's token, named by the round: a second sending
finds the same case), then ticks the round naming it; a tick sent twice is one tick
(roster keeps one per round), so a form sent again acts once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.contracts.roster import CARER_ROLES
from services.console.app.desk import Desk
from services.console.domain import care
from services.console.domain.staff import StaffMember

DEFAULT_ZONE = "Asia/Shanghai"


def my_rounds(desk: Desk) -> dict[str, Any]:
    """The carer's plans in effect, each with its open rounds, latest first, and its
    place's name."""
    plans = desk.services.carer_rounds(desk.token, desk.session.person_id)
    zone = plans[0]["timezone"] if plans else None
    return {"plans": care.with_place_names(plans, _areas(desk) if plans else []), "timezone": zone}


def tick(desk: Desk, plan_id: str, day: str, outcome: str, note: str) -> str | None:
    """Tick the carer's round of `day` off; a round that needs help opens its case first.
    Returns the case's id (None when well). RoundNotOpen for a round not theirs, or ticked
    with something else; the same form sent again finds its tick and acts no more."""
    plans = desk.services.carer_rounds(desk.token, desk.session.person_id)
    plan, found = care.round_of(plans, plan_id, day)
    if care.ticked_as_asked(found, outcome, note):
        return found["tick"].get("case_id")
    body: dict[str, Any] = {"outcome": outcome, "note": note}
    if outcome == "needs_help":
        case = desk.services.report_for_round(desk.token, care.round_case(plan, note), found["id"])
        body["case_id"] = case["id"]
    desk.services.tick_round(desk.token, plan_id, day, body)
    return body.get("case_id")


def register_page(desk: Desk, member: Callable[[str], StaffMember | None]) -> dict[str, Any]:
    """The register the person may see (staff: the community's; grid roles: their grids'),
    each plan with its place's name and its people's, and for staff what a new plan's form
    offers: the carers and the units."""
    community = desk.session.scope.community_id
    plans = desk.services.care_register(desk.token, community)
    areas = _areas(desk)
    named = care.with_people_names(
        care.with_place_names(plans, areas), names(member, plans, community)
    )
    shown: dict[str, Any] = {"plans": named, "carers": [], "places": []}
    if desk.session.role == "staff":
        shown["carers"] = [
            person
            for role in CARER_ROLES
            for person in desk.services.people(
                desk.token, community, role=role, active="true", limit=200
            )["people"]
        ]
        shown["places"] = [area for area in areas if area["kind"] == "unit"]
    return shown


def names(
    member: Callable[[str], StaffMember | None], plans: list[dict[str, Any]], community: str
) -> dict[str, str]:
    """The masked names of the plans' people, as the console keeps them from roster's
    `person.changed` (its people, by `member`): one read of the console's own store per
    person named (by `_id`), none of roster's per row. The people are those roster's
    answer names for the asker; only the community's are named."""
    found = {person_id: member(person_id) for person_id in care.people_named(plans)}
    return {
        person_id: known.display_name
        for person_id, known in found.items()
        if known is not None and known.community_id == community and known.display_name
    }


def _areas(desk: Desk) -> list[dict[str, Any]]:
    """The community's areas as the registry names them: cases' copy (one read), as the
    staff's triage picker and the scan-to-report page read them."""
    listing = desk.services.community_places(desk.token, desk.session.scope.community_id)
    return listing["areas"] if listing else []


def register(desk: Desk, form: Mapping[str, Any], form_key: str, zone: ZoneInfo) -> dict[str, Any]:
    """A plan for a resident who agreed, named by the form's key (sent twice: one plan)."""
    body = {
        "name": form["name"],
        **({"phone": form["phone"]} if form["phone"] else {}),  # a number is optional
        "need": form["need"],
        "kind": form["kind"],
        "cadence": form["cadence"],
        "area_code": form["area_code"],
        "carer_id": form["carer_id"],
        "starts_at": care.starts_at(form["starts_on"], form["at"], zone).isoformat(),
        "consent": form["consent"] == "yes",
    }
    return desk.services.register_care_plan(desk.token, body, f"care-plan:{form_key}")


def end(desk: Desk, plan_id: str) -> dict[str, Any]:
    return desk.services.end_care_plan(desk.token, plan_id)
