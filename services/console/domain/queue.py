"""What the triage queue and the case pages show, and to whom.

The queue (待分类) holds the cases in state `reported` that triage could not map: an
emergency first (marked), then the oldest. A signed-in person sees a case only within
their scope (domain/sessions.py): anything else is "not found", as the APIs answer for
another community's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from services.console.domain.sessions import Scope

TRIAGE_STATE = "reported"


class NotVisible(Exception):
    """A case outside the person's scope, or none: a 404 either way."""


def visible(scope: Scope, case: Mapping[str, Any]) -> bool:
    return scope.covers(case.get("community_id", ""), case.get("grid_id"))


def require_visible(scope: Scope, case: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if case is None or not visible(scope, case):
        raise NotVisible("No such case.")
    return case


def triage_order(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Emergencies on top, then the oldest report first."""
    return sorted(cases, key=lambda case: (case.get("emergency") is None, case["reported_at"]))
