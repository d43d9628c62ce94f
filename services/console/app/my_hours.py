"""A person's own hours (我的时长): their ledger, what waits for staff, and their
household's balance, read from roster with their own token for their own id only (the
page takes no id from the request)."""

from __future__ import annotations

from typing import Any

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.domain.my_hours import duration, hours_lines


def hours_page(desk: Desk) -> dict[str, Any]:
    person_id = desk.session.person_id
    ledger = desk.services.person_hours(desk.token, person_id)
    person = desk.services.person(desk.token, person_id) or {}
    return {
        "lines": hours_lines(ledger["entries"]),
        "balance": duration(ledger["balance_minutes"]),
        "pending": duration(ledger["pending_minutes"]),
        "household": household_of(desk, person.get("household_id")),
    }


def household_of(desk: Desk, household_id: str | None) -> dict[str, Any] | None:
    """The household's balance and what waits, or None for a person of no household.
    Roster answers "not found" for a household with no hours yet: a balance of nothing."""
    if not household_id:
        return None
    community = desk.session.scope.community_id
    try:
        found = desk.services.household_hours(desk.token, community, household_id)
    except ApiError as refused:
        if refused.status != 404:
            raise
        found = {"balance_minutes": 0, "pending_minutes": 0}
    return {
        "household_id": household_id,
        "balance": duration(found["balance_minutes"]),
        "pending": duration(found["pending_minutes"]),
    }
