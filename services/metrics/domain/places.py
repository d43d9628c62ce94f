"""Areas and duty as a community's live totals know them (levels from roster's events):
households for rates, the community's time zone, grid names, people on duty."""

from __future__ import annotations

from typing import Any

from lianxin.privacy import mask_phone
from services.metrics.domain.measures import AREA, DUTY
from services.metrics.domain.totals import Totals


def areas(live: Totals | None, kind: str) -> dict[str, dict[str, Any]]:
    """The community's areas of one kind (`community`, `grid`) by code, removed ones left out."""
    if live is None:
        return {}
    found = {}
    for level in live.levels_of(AREA):
        if level.value["kind"] == kind and not level.value["removed"]:
            found[level.value["code"]] = dict(level.value)
    return found


def households(live: Totals | None, community_id: str, grid_id: str | None = None) -> int:
    """Households of the grid, or of the community (its own figure, else its grids' sum)."""
    if grid_id is not None:
        return int(areas(live, "grid").get(grid_id, {}).get("households", 0))
    own = int(areas(live, "community").get(community_id, {}).get("households", 0))
    return own or sum(int(grid["households"]) for grid in areas(live, "grid").values())


def timezone_name(live: Totals | None, community_id: str) -> str | None:
    return areas(live, "community").get(community_id, {}).get("timezone") or None


def grid_names(live: Totals | None) -> dict[str, str]:
    """Names as the statistics show them: an area's name is free text from an import, so
    a phone number in it (a grid named with its leader's) is masked."""
    return {code: mask_phone(area["name"]) for code, area in areas(live, "grid").items()}


def on_duty(live: Totals | None) -> list[dict[str, Any]]:
    """The latest count of people on duty per grid and team."""
    if live is None:
        return []
    return [dict(level.value) for level in live.levels_of(DUTY)]
