"""The area registry: subdistrict (街道) > community (社区) > grid (网格) > estate (小区)
> building (楼栋) > unit (单元), and who is attached to each node. Plain Python.

Roster owns the registry; every change is published as `area.changed`, so other
services keep the copy they need (cases validates and locates reports with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PARENT_KIND = {
    "community": "subdistrict",
    "grid": "community",
    "estate": "grid",
    "building": "estate",
    "unit": "building",
}
# who may be attached where: field → the kind of node that has it
ATTACHMENTS = {"leader": "grid", "workers": "grid", "unit_leader": "unit", "staff": "community"}


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True)
class AreaNode:
    code: str
    kind: str
    name: str
    parent: str | None = None
    community_id: str | None = None
    households: int | None = None
    polygon: tuple[Point, ...] = ()
    timezone: str | None = None
    neighbours: tuple[str, ...] = ()
    leader: str | None = None
    workers: tuple[str, ...] = ()
    unit_leader: str | None = None
    staff: tuple[str, ...] = ()
    removed: bool = False

    def people(self) -> list[str]:
        attached = [self.leader, *self.workers, self.unit_leader, *self.staff]
        return [person for person in attached if person]


def problems(node: AreaNode, parent: AreaNode | None) -> list[str]:
    """Why this node cannot stand where it says it does; empty when it can."""
    found = []
    expected = PARENT_KIND.get(node.kind)
    if expected is None and node.parent:
        found.append(f"A {node.kind} has no parent.")
    if expected is not None:
        if not node.parent:
            found.append(f"A {node.kind} needs a parent {expected}.")
        elif parent is None or parent.removed:
            found.append(f"Parent {node.parent} is not a known {expected}.")
        elif parent.kind != expected:
            found.append(f"The parent of a {node.kind} is a {expected}, not a {parent.kind}.")
    if node.kind == "community":
        found.extend(_zone_problems(node.timezone))
    elif node.timezone:
        found.append("Only a community has a time zone.")
    if node.polygon and node.kind != "grid":
        found.append("Only a grid has a polygon.")
    if node.polygon and len(node.polygon) < 3:
        found.append("A polygon needs at least three points.")
    if node.neighbours and node.kind != "grid":
        found.append("Only a grid has neighbours.")
    if node.code in node.neighbours:
        found.append("A grid is not its own neighbour.")
    for attachment, kind in ATTACHMENTS.items():
        if getattr(node, attachment) and node.kind != kind:
            found.append(f"Only a {kind} has a {attachment}.")
    return found


def _zone_problems(zone: str | None) -> list[str]:
    if not zone:
        return ["A community needs a time zone (e.g. Asia/Shanghai)."]
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"Unknown time zone {zone!r}."]
    return []


def community_of(node: AreaNode, parent: AreaNode | None) -> str | None:
    """A community is its own; anything below belongs to its parent's."""
    if node.kind == "community":
        return node.code
    return parent.community_id if parent is not None else None
