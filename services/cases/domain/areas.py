"""The area registry as cases sees it: a replica of roster's areas, to refuse what does
not exist and to locate a report to its grid. Plain Python, no I/O.

Roster owns the hierarchy (subdistrict > community > grid > estate > building > unit)
and publishes each node in `area.changed`. Cases keeps one map per community: every
node of it, by code, each with the version it was last changed at, so events apply
in any order and a repeat changes nothing. Codes are unique within a community.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lianxin.contracts.roster import AREA_KINDS

BELOW_GRID = ("estate", "building", "unit")
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_DEPTH = 8  # more parents than the hierarchy has levels: a cycle in bad data


class UnknownArea(Exception):
    """A community, grid or area code the registry does not know: 400 on that field."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name

    def details(self) -> dict[str, Any]:
        return {"fields": {self.field_name: [str(self)]}}


@dataclass(frozen=True)
class AreaNode:
    code: str
    kind: str
    parent: str | None
    name: str
    version: int
    households: int | None = None
    polygon: tuple[tuple[float, float], ...] = ()  # (lon, lat) points of the outline
    timezone: str | None = None
    removed: bool = False

    def to_document(self) -> dict[str, Any]:
        """Stored with the polygon flattened: FerretDB refuses nested arrays."""
        return {
            "code": self.code,
            "kind": self.kind,
            "parent": self.parent,
            "name": self.name,
            "version": self.version,
            "households": self.households,
            "polygon": [value for point in self.polygon for value in point],
            "timezone": self.timezone,
            "removed": self.removed,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> AreaNode:
        flat = list(document.get("polygon") or ())
        return cls(
            code=document["code"],
            kind=document["kind"],
            parent=document.get("parent"),
            name=document.get("name") or document["code"],
            version=int(document["version"]),
            households=document.get("households"),
            polygon=tuple(zip(flat[0::2], flat[1::2], strict=True)),
            timezone=document.get("timezone"),
            removed=bool(document.get("removed", False)),
        )


@dataclass(frozen=True)
class Located:
    """Where a report is: its grid, the finest area node found, and readable text."""

    grid_id: str
    area_code: str | None
    place: str
    estate: str | None = None
    building: str | None = None
    unit: str | None = None
    estate_code: str | None = None  # the registry's code of the estate it lies in

    @property
    def codes(self) -> dict[str, str | None]:
        """What a case's `location` keeps of the place: its grid, area codes and names."""
        return {
            "grid_id": self.grid_id,
            "area_code": self.area_code,
            "estate_code": self.estate_code,
            "estate": self.estate,
            "building": self.building,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class CommunityMap:
    community_id: str
    nodes: Mapping[str, AreaNode] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        node = self.nodes.get(self.community_id)
        return node is not None and node.kind == "community" and not node.removed

    @property
    def name(self) -> str:
        node = self.nodes.get(self.community_id)
        return node.name if node else self.community_id

    @property
    def timezone(self) -> str:
        node = self.nodes.get(self.community_id)
        return (node.timezone if node else None) or DEFAULT_TIMEZONE

    def live(self, code: str | None) -> AreaNode | None:
        node = self.nodes.get(code) if code else None
        return node if node is not None and not node.removed else None

    def grids(self) -> list[AreaNode]:
        return sorted(
            (node for node in self.nodes.values() if node.kind == "grid" and not node.removed),
            key=lambda node: node.code,
        )

    def applied(self, node: AreaNode) -> CommunityMap | None:
        """The map with `node` in it, or None when it holds that version or a newer one."""
        current = self.nodes.get(node.code)
        if current is not None and current.version >= node.version:
            return None
        return replace(self, nodes={**self.nodes, node.code: node})

    def grid_of(self, code: str) -> AreaNode | None:
        """The live grid a node belongs to (the node itself for a grid)."""
        node = self.live(code)
        for _ in range(MAX_DEPTH):
            if node is None or node.kind == "grid":
                return node
            if node.kind in ("community", "subdistrict"):
                return None
            node = self.live(node.parent)
        return None

    def grid_at(self, lon: float, lat: float) -> AreaNode | None:
        for grid in self.grids():
            if grid.polygon and contains(grid.polygon, lon, lat):
                return grid
        return None

    def chain(self, code: str) -> list[AreaNode]:
        """The node and its parents below the grid, outermost first: estate, building, unit."""
        found: list[AreaNode] = []
        node = self.live(code)
        for _ in range(MAX_DEPTH):
            if node is None or node.kind not in BELOW_GRID:
                break
            found.insert(0, node)
            node = self.live(node.parent)
        return found

    def child_named(self, parent: str | None, kind: str, label: str) -> AreaNode | None:
        """A live node of `kind` whose code or name is `label`, under `parent` if given."""
        wanted = label.strip().lower()
        for node in self.nodes.values():
            if node.kind != kind or node.removed or (parent and node.parent != parent):
                continue
            if wanted in (node.code.lower(), node.name.lower()):
                return node
        return None

    def named_in(self, text: str) -> AreaNode | None:
        """The most specific live estate or building whose name the text contains."""
        best: AreaNode | None = None
        for node in self.nodes.values():
            if node.kind not in BELOW_GRID or node.removed or len(node.name) < 2:
                continue
            if _says(text, node.name) and (best is None or len(node.name) > len(best.name)):
                best = node
        return best


def locate(area: CommunityMap, location: Mapping[str, Any]) -> Located:
    """The grid of a report, from the most precise thing it says: an area code, the
    estate/building/unit it names, a point inside a grid's outline, an address naming a
    known estate or building, or else the grid it names. Raises UnknownArea (400)."""
    if not area.known:
        raise UnknownArea("community_id", f"Unknown community {area.community_id}.")
    found = _by_codes(area, location)
    if found is None and location.get("lat") is not None and location.get("lon") is not None:
        grid = area.grid_at(float(location["lon"]), float(location["lat"]))
        if grid is None:
            raise UnknownArea("location", "The point is outside every grid of the community.")
        found = _located(area, grid, None, location)
    if found is None and location.get("address"):
        node = area.named_in(location["address"])
        grid = area.grid_of(node.code) if node else None
        if grid is not None:
            found = _located(area, grid, node, location)
    named = location.get("grid_id")
    if named and (area.live(named) is None or area.nodes[named].kind != "grid"):
        raise UnknownArea("location.grid_id", f"Unknown grid {named} in {area.community_id}.")
    if found is None:
        if not named:
            raise UnknownArea(
                "location",
                "Give a grid_id, an area_code, lat and lon, or an address naming a known place.",
            )
        found = _located(area, area.nodes[named], None, location)
    if named and found.grid_id != named:
        raise UnknownArea("location.grid_id", f"The place is in grid {found.grid_id}, not {named}.")
    return found


def _by_codes(area: CommunityMap, location: Mapping[str, Any]) -> Located | None:
    code = location.get("area_code")
    if code:
        grid = area.grid_of(code)
        if grid is None or area.nodes[code].kind not in BELOW_GRID:
            raise UnknownArea("location.area_code", f"Unknown area code {code}.")
        return _located(area, grid, area.nodes[code], location)
    node = None
    for kind in BELOW_GRID:
        label = location.get(kind)
        if label:
            child = area.child_named(node.code if node else None, kind, label)
            if child is None:
                break
            node = child
    if node is None:
        return None
    grid = area.grid_of(node.code)
    return _located(area, grid, node, location) if grid is not None else None


def _located(
    area: CommunityMap, grid: AreaNode, node: AreaNode | None, location: Mapping[str, Any]
) -> Located:
    chain = area.chain(node.code) if node else []
    names = {part.kind: part.name for part in chain}
    place = place_name(chain) or location.get("address") or grid.name
    return Located(
        grid_id=grid.code,
        area_code=node.code if node else None,
        estate_code=next((part.code for part in chain if part.kind == "estate"), None),
        place=place,
        estate=names.get("estate", location.get("estate")),
        building=names.get("building", location.get("building")),
        unit=names.get("unit", location.get("unit")),
    )


def _says(text: str, name: str) -> bool:
    """`name` appears in `text` as itself: "7栋" is not in "17栋2单元", "3栋" is in "3栋门口".
    The substring test first: a community has more place names than `re` caches patterns."""
    return name in text and _standing_alone(name).search(text) is not None


@functools.lru_cache(maxsize=4096)
def _standing_alone(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(name)}")


def place_name(chain: list[AreaNode]) -> str:
    """The names from the estate down, each said once: registries often name a unit
    "3栋2单元" under the building "3栋", so a name that repeats its parent replaces it."""
    said: list[str] = []
    for part in chain:
        if said and part.name.startswith(said[-1]):
            said[-1] = part.name
        else:
            said.append(part.name)
    return "".join(said)


def contains(polygon: tuple[tuple[float, float], ...], lon: float, lat: float) -> bool:
    """Ray casting: whether (lon, lat) lies inside the outline. Grids are a few hundred
    metres across, so plane geometry on degrees is exact enough."""
    inside = False
    count = len(polygon)
    for index in range(count):
        x1, y1 = polygon[index]
        x2, y2 = polygon[(index + 1) % count]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def listing(area: CommunityMap) -> dict[str, Any]:
    """What the API shows of a community's areas: the live nodes, by kind."""
    return {
        "community_id": area.community_id,
        "name": area.name,
        "timezone": area.timezone,
        "areas": [
            {
                "code": node.code,
                "kind": node.kind,
                "parent": node.parent,
                "name": node.name,
                "grid_id": grid.code if (grid := area.grid_of(node.code)) else None,
            }
            for node in sorted(
                area.nodes.values(), key=lambda n: (AREA_KINDS.index(n.kind), n.code)
            )
            if not node.removed and node.kind in ("grid", *BELOW_GRID)
        ],
    }
