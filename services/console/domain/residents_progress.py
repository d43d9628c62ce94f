"""A resident's progress page in plain words: the step indicator, and what a refused
rating says. Plain Python.

Cases says where the case stands (its `stage`, domain/progress.py there); the page shows
the five steps a resident knows — reported, dispatched, being handled, resolved, closed —
with those passed marked done and the current one named, or, for a case that ended
otherwise (rejected, merged, withdrawn), that end alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.console.domain.labels import local_time

STEPS = ("reported", "dispatched", "handling", "resolved", "closed")
STARS = (1, 2, 3, 4, 5)
# a refused rating, by cases' answer (status, code) → the label that says it
REFUSALS = {
    (409, "already_rated"): "progress_refused_rated",
    (409, "invalid_transition"): "progress_refused_not_closed",
    (403, "forbidden"): "progress_refused_not_reporter",
    (400, "invalid_request"): "progress_refused_invalid",
}


def steps(stage: str) -> list[dict[str, str]]:
    """Each step with `done`, `current` or `todo`; none for a case that ended otherwise."""
    if stage not in STEPS:
        return []
    current = STEPS.index(stage)
    return [
        {"step": step, "status": "current" if i == current else "done" if i < current else "todo"}
        for i, step in enumerate(STEPS)
    ]


def refusal(status: int, code: str) -> str:
    return REFUSALS.get((status, code), "progress_refused_other")


def zone_named(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The community's zone as cases names it; the console's default for a name unknown here."""
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def in_zone(view: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """The page's times in the community's zone (the page names the zone once)."""

    def local(at: datetime | str | None) -> str:
        return local_time(at, zone)

    return {
        "reported": local(view.get("reported_at")),
        "resolved": local(view.get("resolved_at")),
        "timeline": [{**step, "when": local(step["at"])} for step in view.get("timeline", ())],
    }
