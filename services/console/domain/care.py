"""Care rounds (邻里守望) as the console shows them: a carer's rounds to tick, the case a
round that needs help opens, and a new plan's first round from the form's local date and
time. Roster keeps the register and judges every tick (services/roster/domain/care.py);
these are only the pages' rules. Plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.contracts.roster import (  # roster's words, declared once
    CARE_CADENCES,
    CARE_NEEDS,
    CARE_OUTCOMES,
    CARE_ROUND_KINDS,
)

CASE_CHANNEL = "door_knocking"  # the channel the console's key may report a round's case on
OUTCOMES, NEEDS, ROUND_KINDS, CADENCES = CARE_OUTCOMES, CARE_NEEDS, CARE_ROUND_KINDS, CARE_CADENCES


class RoundNotOpen(Exception):
    """The form names no open round of the carer's (ticked already, or not theirs)."""


def round_of(plans: Iterable[Mapping[str, Any]], plan_id: str, day: str) -> tuple[dict, dict]:
    """The carer's plan and its open round on `day`: RoundNotOpen when they have none
    (another carer's plan is not among theirs)."""
    for plan in plans:
        if plan["id"] != plan_id:
            continue
        for found in plan.get("rounds") or ():
            if found["day"] == day:
                return dict(plan), dict(found)
    raise RoundNotOpen(f"No round of yours on {day} to tick.")


def ticked_as_asked(found: Mapping[str, Any], outcome: str, note: str) -> bool:
    """Whether a round already ticked says what this form says (the form sent again):
    True then, RoundNotOpen when it says something else, False when it is not ticked."""
    tick = found.get("tick")
    if not tick:
        return False
    if (tick["outcome"], tick["note"]) != (outcome, note):
        raise RoundNotOpen(f"The round of {found['day']} was ticked off already.")
    return True


def round_case(plan: Mapping[str, Any], note: str) -> dict[str, Any]:
    """The report of a round that needs help: the carer's note, at the resident's place,
    in the plan's care category (private: only officials and its assignee read it)."""
    return {
        "community_id": plan["community_id"],
        "description": note,
        "channel": CASE_CHANNEL,
        "category": plan["case_category"],
        "location": {"grid_id": plan["grid_id"], "area_code": plan["area_code"]},
    }


def with_place_names(
    plans: Iterable[Mapping[str, Any]], areas: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each plan with `place`, its area's name as the registry names it (34栋1单元, not
    jingxiang-b34-u1); the code itself for an area the registry no longer lists."""
    names = {area["code"]: area["name"] for area in areas}
    return [{**plan, "place": names.get(plan["area_code"], plan["area_code"])} for plan in plans]


def people_named(plans: Iterable[Mapping[str, Any]]) -> list[str]:
    """The people the register names, each once: the plans' carers and those who recorded
    the residents' consent."""
    named = (
        person for plan in plans for person in (plan["carer_id"], plan["consent"]["recorded_by"])
    )
    return list(dict.fromkeys(named))


def with_people_names(
    plans: Iterable[Mapping[str, Any]], names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Each plan with `carer_name` and `consent_by_name`: the person's masked name, or
    their id for one not known by name (a key that recorded the consent, a person the
    console has not heard of yet)."""
    return [
        {
            **plan,
            "carer_name": names.get(plan["carer_id"], plan["carer_id"]),
            "consent_by_name": names.get(
                plan["consent"]["recorded_by"], plan["consent"]["recorded_by"]
            ),
        }
        for plan in plans
    ]


def starts_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first round's due time: the form's local date and time in the community's zone."""
    return datetime.combine(day, at, tzinfo=zone)
