"""The people and the area registry of a community, as the console shows them: what a grid
leader or grid worker may see of them, and the registry as a tree.

Staff see their community's people and areas; a grid leader or grid worker sees the people
whose home grids include one of theirs, and only their grids' areas. Anything else is "not
found", as the APIs answer for another community's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.console.domain.queue import NotVisible
from services.console.domain.sessions import Scope

PAGE_SIZE = 50


@dataclass
class AreaNode:
    """An area and the areas under it, by code."""

    code: str
    kind: str
    name: str
    households: int | None
    children: list[AreaNode] = field(default_factory=list)


def require_person_visible(scope: Scope, person: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if person is None or person.get("community_id") != scope.community_id:
        raise NotVisible("No such person.")
    if scope.grids is not None and not scope.grids & set(person.get("home_grids") or ()):
        raise NotVisible("No such person.")
    return person


def grid_filter(scope: Scope, asked: str | None) -> str | None:
    """The grid a listing is narrowed to: what was asked, within a grid role's own grids
    (their first when they asked for none or for another)."""
    if scope.grids is None:
        return asked or None
    return asked if asked in scope.grids else min(scope.grids)


def area_tree(
    community_id: str, areas: Iterable[Mapping[str, Any]], scope: Scope
) -> list[AreaNode]:
    """The community's grids, each with what lies under it (estates, buildings, units), by
    code; a grid role's own grids only; removed areas left out."""
    nodes = {
        area["code"]: AreaNode(area["code"], area["kind"], area["name"], area.get("households"))
        for area in areas
        if not area.get("removed")
    }
    parents = {area["code"]: area.get("parent") for area in areas}
    for code in sorted(nodes):
        parent = parents.get(code)
        if parent in nodes and parent != community_id:
            nodes[parent].children.append(nodes[code])
    return [
        node
        for code, node in sorted(nodes.items())
        if parents.get(code) == community_id and (scope.grids is None or code in scope.grids)
    ]
