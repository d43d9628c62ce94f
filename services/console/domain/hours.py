"""The hours pages' rules: who sees the decision and correction forms, and how a rendered
correction form is named so that sending it twice makes one entry.

Roster decides who may decide and correct (staff only); the console hides the forms from
everyone else and never lets them through itself: a POST goes to roster, which refuses.
"""

from __future__ import annotations

import secrets

# who sees the forms to approve, reject and correct (roster's `require_role("staff")`)
HOURS_DECIDERS = ("staff",)
DECISIONS = ("approve", "reject")
EXPORTS = ("entries", "people", "households")
FORM_KEY_BYTES = 16


def may_decide(role: str) -> bool:
    return role in HOURS_DECIDERS


def new_form_key() -> str:
    """A fresh key for each rendered correction form (22 URL-safe characters)."""
    return secrets.token_urlsafe(FORM_KEY_BYTES)


def correction_key(person_id: str, form_key: str) -> str:
    """The Idempotency-Key roster gets: the form's key, under the person who sent it (one
    person's form key never names another's correction)."""
    return f"console:{person_id}:{form_key}"
