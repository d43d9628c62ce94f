"""Which staff actions a case's page offers, to whom, and in which of the case's states.

Cases decides every action (its lifecycle table, its roles); the console only hides the
forms a person could not use, so this table repeats cases' rules on purpose, and
tests/console/domain/test_case_actions.py runs cases' own domain functions for every role
and state to hold the two together. A case the person may not act on shows no form; a
form posted anyway is still cases' to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STAFF = ("staff", "grid_leader")
CHECKERS = ("staff", "grid_leader", "grid_worker")
# the states in which a case waits for its work to be done (cases' AWAITING_RESOLUTION):
# its clock runs, so it may be suspended or given more time
AWAITING_RESOLUTION = frozenset(
    {"triaged", "dispatched", "declined", "escalated", "reopened", "accepted"}
)
ANY_STATE = None


# action → (who, the states it fits, or ANY_STATE); the order is the page's
ACTIONS: dict[str, tuple[tuple[str, ...], frozenset[str] | None]] = {
    "triage": (CHECKERS, frozenset({"reported"})),
    "assign": (
        STAFF,
        frozenset({"triaged", "dispatched", "declined", "escalated", "accepted", "reopened"}),
    ),
    "verify": (CHECKERS, frozenset({"resolved"})),
    "extension": (STAFF, AWAITING_RESOLUTION),  # decide the extension asked for
    "suspend": (STAFF, AWAITING_RESOLUTION),
    "resume": (STAFF, AWAITING_RESOLUTION),
    "merge": (STAFF, frozenset({"reported", "triaged", "declined", "escalated"})),
    "reject": (STAFF, frozenset({"reported", "triaged", "dispatched", "declined", "escalated"})),
    "reopen": (STAFF, frozenset({"resolved", "closed", "rated"})),
    "withdraw": (
        STAFF,
        frozenset(
            {"reported", "triaged", "dispatched", "declined", "escalated", "accepted", "reopened"}
        ),
    ),
    "note": (CHECKERS, ANY_STATE),
}
# the console's action → the path of cases' action (POST /v1/cases/<id>/<path>)
CASES_PATHS = {action: action for action in ACTIONS} | {"extension": "extension/decision"}


def actions_for(role: str, case: Mapping[str, Any]) -> tuple[str, ...]:
    """The actions `role` may take on `case` (as cases' API shows it) now."""
    return tuple(action for action in ACTIONS if _fits(action, role, case))


def _fits(action: str, role: str, case: Mapping[str, Any]) -> bool:
    roles, states = ACTIONS[action]
    if role not in roles or (states is not ANY_STATE and case["state"] not in states):
        return False
    suspended = bool(case.get("suspended"))
    if action == "suspend":
        return not suspended
    if action == "resume":
        return suspended
    if action == "extension":
        return (case.get("extension") or {}).get("state") == "pending"
    return True


# cases' refusals the page says in its own words (any other: refused_other)
REFUSAL_CODES = frozenset(
    {"invalid_transition", "forbidden", "not_assignee", "invalid_request", "not_found",
     "idempotency_key_reused"}
)  # fmt: skip
# a field cases names in its body → the form's field that says it
FORM_FIELDS = {
    "person_id": "assignee",
    "display_name": "assignee",
    "location": "place",
    "location.grid_id": "place",
    "location.area_code": "place",
    "into": "into",
    "approved": "decision",
}


@dataclass(frozen=True)
class Refusal:
    """An action cases (or the form's schema) refused: nothing changed."""

    action: str
    code: str
    state: str | None = None
    fields: Mapping[str, list[str]] = field(default_factory=dict)  # the form's field → texts

    @property
    def label(self) -> str:
        return f"refused_{self.code if self.code in REFUSAL_CODES else 'other'}"


def refusal_of(
    action: str, status: int, code: str, state: str | None, fields: Mapping[str, list[str]]
) -> Refusal:
    """Cases' answer as the page says it. The case itself was seen a moment before, so a
    404 is about the case a merge named."""
    named = {FORM_FIELDS.get(name, name): texts for name, texts in fields.items()}
    if status == 404 and action == "merge":
        return Refusal(action, "not_found", state, named or {"into": [code]})
    return Refusal(action, code, state, named)
