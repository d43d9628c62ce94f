"""The parties to a dispute at the desk (当事人): each recorded only with their consent,
by staff, a grid leader or the member who took the case, and shown masked (王**,
138****5678) to all but an admin key, and not at all to whoever may not see a private
case's details. Their names and numbers never leave in an event: adding one writes the
timeline alone, like a note. Plain Python.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from lianxin.contracts.calendars import DeskCalendar
from lianxin.privacy import mask_name, mask_phone
from services.cases.domain.appointments import NoDesk, require_desk_hand
from services.cases.domain.case import (
    WORKING,
    By,
    Case,
    InvalidRequest,
    InvalidTransition,
    Outcome,
    noted,
)

ACTION = "party"
ROLES = ("applicant", "respondent", "other")
MAX_PARTIES = 10


def add_party(
    case: Case,
    desk: DeskCalendar | None,
    by: By,
    name: str,
    role: str,
    phone: str | None,
    consent: bool,
    now: datetime,
) -> Outcome:
    """One party more, numbered in the order they were added (P1, P2, ...)."""
    if desk is None:
        raise NoDesk(case)
    if case.state not in WORKING:
        raise InvalidTransition(case.id, case.state, ACTION)
    require_desk_hand(case, by, "record its parties")
    if not consent:
        raise InvalidRequest("consent", "A party is recorded only with their consent.")
    if len(case.parties) >= MAX_PARTIES:
        raise InvalidRequest("name", f"A dispute has at most {MAX_PARTIES} parties.")
    party = {
        "id": f"P{len(case.parties) + 1}",
        "name": name,
        "role": role,
        "phone": phone,
        "consent_at": now,
    }
    note = f"{party['id']} {mask_name(name)} ({role})"
    return Outcome(replace(noted(case, ACTION, now, by, note), parties=(*case.parties, party)))


def shown_parties(parties: tuple[dict[str, Any], ...], unmasked: bool) -> list[dict[str, Any]]:
    """The parties as the API shows them: name and phone masked but to an admin key."""
    if unmasked:
        return [dict(party) for party in parties]
    return [
        {
            **party,
            "name": mask_name(party["name"]),
            "phone": mask_phone(party["phone"]) if party.get("phone") else None,
        }
        for party in parties
    ]
