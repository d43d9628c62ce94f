"""The people and areas pages: a community's people (masked, filtered, paged), a person,
and the area registry as a tree, read from roster with the signed-in person's token and
narrowed to a grid role's grids (domain/registry.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.app.desk import Desk
from services.console.domain.registry import (
    PAGE_SIZE,
    AreaNode,
    area_tree,
    grid_filter,
    require_person_visible,
)


def people_page(desk: Desk, filters: Mapping[str, Any]) -> dict[str, Any]:
    """A page of people by the filters; a grid role's listing stays within their grids."""
    scope = desk.session.scope
    grid = grid_filter(scope, filters.get("grid_id"))
    query = {**filters, "grid_id": grid, "limit": PAGE_SIZE}
    found = desk.services.people(desk.token, scope.community_id, **query)
    grids = sorted(scope.grids) if scope.grids is not None else _grid_codes(desk)
    return {**found, "filters": {**filters, "grid_id": grid}, "grids": grids}


def person_page(desk: Desk, person_id: str) -> Mapping[str, Any]:
    return require_person_visible(desk.session.scope, desk.services.person(desk.token, person_id))


def areas_page(desk: Desk) -> list[AreaNode]:
    scope = desk.session.scope
    return area_tree(scope.community_id, desk.services.areas(desk.token, scope.community_id), scope)


def _grid_codes(desk: Desk) -> list[str]:
    grids = desk.services.areas(desk.token, desk.session.scope.community_id, kind="grid")
    return [grid["code"] for grid in grids if not grid.get("removed")]
