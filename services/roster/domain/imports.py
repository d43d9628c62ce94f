"""Importing a community: turn CSV text and YAML documents into rows, check every one,
and say why any is rejected. Nothing here reads a file or writes: the operator's CLI
reads the files (services.roster.admin), the plan says what would be stored, and
services.roster.app.registry stores it only when no row is rejected (a dry run stops at
the plan).

A row is checked on its own (its columns) and against the others (its parent
area, its community, its team, the people in its crews), in the file or already
stored. A row that leans on a rejected one is rejected too, with that reason.

How ids are namespaced. Area codes, person ids and rota ids are one namespace for
every community (one registry, read by `_id`): a row naming an id that is stored
already changes that record, wherever it is. Team ids are `<community>:<code>` and
a policy is its community's, so those never reach into another community. A row
that would change a record of another community moves it: the plan lists each
such move (`moves`), and the import is allowed only to a caller that may change
both communities (registry.import_rows), which the operator's CLI may and a key of
one community may not. Household ids are written by each community's staff and
are unique only within it: the same household id in two communities is two
households (their ledgers are per community), never one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from lianxin.contracts.roster import AREA_KINDS
from services.roster.domain.areas import AreaNode, Point, community_of, problems
from services.roster.domain.policy import storable
from services.roster.domain.rota import InvalidRota, Slot, compile_plan
from services.roster.domain.rows import ROWS, SECTIONS, Row


@dataclass(frozen=True)
class Rejected:
    source: str
    kind: str
    key: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Move:
    """A stored record the import would take from one community into another."""

    kind: str
    key: str
    source: str | None
    destination: str | None


@dataclass
class ImportPlan:
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def counts(self) -> dict[str, int]:
        return {kind: len(self.documents.get(kind, [])) for kind in SECTIONS}

    def communities(self) -> set[str | None]:
        """Every community the import would change: where its records go, and where those
        it moves come from (None: a subdistrict, which belongs to no one community)."""
        found = {
            document["_id"] if kind == "policies" else document.get("community_id")
            for kind, documents in self.documents.items()
            for document in documents
        }
        return found | {move.source for move in self.moves}


class Existing(Protocol):
    """What is stored already, by `_id` (areas by code, people by id, teams by
    `<community>:<code>`, ...)."""

    def find(self, kind: str, key: str) -> Mapping[str, Any] | None: ...


# -- reading --------------------------------------------------------------------------------


# -- checking -------------------------------------------------------------------------------


def key_of(kind: str, clean: Mapping[str, Any]) -> str:
    if kind == "areas":
        return clean["code"]
    if kind == "teams":
        return f"{clean['community']}:{clean['code']}"
    if kind == "policies":
        return clean["community"]
    return clean["id"]


class _Registry:
    """The rows still standing, and the store behind them, as stored documents."""

    def __init__(self, alive: dict[str, dict[str, tuple[Row, dict]]], existing: Existing):
        self.alive = alive
        self.existing = existing
        self._areas: dict[str, dict | None] = {}

    def find(self, kind: str, key: str) -> Mapping[str, Any] | None:
        if kind == "areas":
            return self.area(key)
        if key in self.alive[kind]:
            return document(kind, self.alive[kind][key][1], self)
        return self.existing.find(kind, key)

    def area(
        self, code: str | None, depth: int = 0, removed: bool = False
    ) -> dict[str, Any] | None:
        """The area as it would be stored; a removed one only when asked for."""
        if code is None or depth > len(AREA_KINDS):
            return None
        if code not in self._areas:
            if code in self.alive["areas"]:
                clean = self.alive["areas"][code][1]
                parent = self.area(clean.get("parent"), depth + 1)
                found = _area_document(clean, parent)
            else:
                stored = self.existing.find("areas", code)
                found = dict(stored) if stored else None
            self._areas[code] = found
        found = self._areas[code]
        return None if found is None or (found.get("removed") and not removed) else found

    def community(self, code: str) -> Mapping[str, Any] | None:
        area = self.area(code)
        return area if area and area["kind"] == "community" else None

    def grid_of(self, code: str, community: str) -> bool:
        return self._of_kind(code, "grid", community)

    def unit_of(self, code: str, community: str) -> bool:
        return self._of_kind(code, "unit", community)

    def _of_kind(self, code: str, kind: str, community: str) -> bool:
        area = self.area(code)
        return bool(area) and area["kind"] == kind and area["community_id"] == community


def plan(rows: Iterable[Row], existing: Existing) -> ImportPlan:
    """Check every row; the documents to store, or every rejected row and why."""
    result = ImportPlan()
    alive: dict[str, dict[str, tuple[Row, dict]]] = {kind: {} for kind in SECTIONS}
    for row in rows:
        try:
            clean = ROWS[row.kind]().load(row.data if isinstance(row.data, Mapping) else {})
        except ValidationError as exc:
            result.rejected.append(Rejected(row.source, row.kind, _raw_key(row), _reasons(exc)))
            continue
        key = key_of(row.kind, clean)
        if key in alive[row.kind]:
            first = alive[row.kind][key][0].source
            result.rejected.append(Rejected(row.source, row.kind, key, (f"Also at {first}.",)))
            continue
        alive[row.kind][key] = (row, clean)
    while True:
        registry = _Registry(alive, existing)
        failing = [
            (kind, key, reasons)
            for kind in SECTIONS
            for key, (_, clean) in alive[kind].items()
            if (reasons := CHECKS[kind](clean, registry))
        ]
        if not failing:
            break
        for kind, key, reasons in failing:
            row, _ = alive[kind].pop(key)
            result.rejected.append(Rejected(row.source, kind, key, tuple(reasons)))
    registry = _Registry(alive, existing)
    for kind in SECTIONS:
        entries = [document(kind, clean, registry) for _, clean in alive[kind].values()]
        if kind == "areas":
            entries.sort(key=lambda area: AREA_KINDS.index(area["kind"]))
        result.documents[kind] = entries
        result.moves.extend(moves(kind, entries, existing))
    result.rejected.sort(key=lambda rejected: rejected.source)
    return result


def moves(kind: str, documents: Iterable[Mapping[str, Any]], existing: Existing) -> list[Move]:
    """The stored records of another community these documents would take over."""
    if kind in ("teams", "policies"):  # their ids carry their community
        return []
    found = []
    for document in documents:
        stored = existing.find(kind, document["_id"])
        if stored is not None and stored.get("community_id") != document.get("community_id"):
            found.append(
                Move(kind, document["_id"], stored.get("community_id"), document["community_id"])
            )
    return found


def _raw_key(row: Row) -> str:
    data = row.data if isinstance(row.data, Mapping) else {}
    for name in ("id", "code", "community"):
        if data.get(name):
            return str(data[name])
    return "?"


def _reasons(error: ValidationError) -> tuple[str, ...]:
    messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
    return tuple(_flatten(messages))


def _flatten(messages: Any, path: str = "") -> list[str]:
    if isinstance(messages, dict):
        found = []
        for name, inner in messages.items():
            where = path if name == "_schema" else f"{path}.{name}" if path else str(name)
            found.extend(_flatten(inner, where))
        return found
    if isinstance(messages, list):
        return [item for inner in messages for item in _flatten(inner, path)]
    return [f"{path}: {messages}" if path and path != "_" else str(messages)]


def _check_area(clean: Mapping[str, Any], registry: _Registry) -> list[str]:
    parent = registry.area(clean.get("parent"))
    node = _node(clean, parent)
    found = problems(node, _node(parent, None) if parent else None)
    community = node.community_id
    for person in node.people():
        stored = registry.find("people", person)
        if stored is None:
            found.append(f"No person {person}.")
        elif stored["community_id"] != community:
            found.append(f"{person} belongs to {stored['community_id']}, not {community}.")
    for grid in node.neighbours:
        if not registry.grid_of(grid, community or ""):
            found.append(f"Neighbour {grid} is not a grid of {community}.")
    return found


def _check_person(clean: Mapping[str, Any], registry: _Registry) -> list[str]:
    community = clean["community"]
    if registry.community(community) is None:
        return [f"No community {community}."]
    found = [
        f"{grid} is not a grid of {community}."
        for grid in clean["home_grids"]
        if not registry.grid_of(grid, community)
    ]
    found += [
        f"No team {team} in {community}."
        for team in clean["teams"]
        if registry.find("teams", f"{community}:{team}") is None
    ]
    if clean.get("unit") and not registry.unit_of(clean["unit"], community):
        found.append(f"{clean['unit']} is not a unit of {community}.")
    return found


def _check_team(clean: Mapping[str, Any], registry: _Registry) -> list[str]:
    community = clean["community"]
    if registry.community(community) is None:
        return [f"No community {community}."]
    return [
        f"{grid} is not a grid of {community}."
        for grid in clean["grids"]
        if not registry.grid_of(grid, community)
    ]


def _check_rota(clean: Mapping[str, Any], registry: _Registry) -> list[str]:
    community = clean["community"]
    if registry.community(community) is None:
        return [f"No community {community}."]
    team = registry.find("teams", f"{community}:{clean['team']}")
    if team is None:
        return [f"No team {clean['team']} in {community}."]
    found = [
        f"Team {clean['team']} does not serve {grid}."
        for grid in clean.get("grids", ())
        if grid not in team["grids"]
    ]
    for person in dict.fromkeys(p for crew in clean["crews"] for p in crew):
        stored = registry.find("people", person)
        if stored is None:
            found.append(f"No person {person}.")
        elif stored["community_id"] != community or clean["team"] not in stored["teams"]:
            found.append(f"{person} is not in team {clean['team']} of {community}.")
    if clean.get("until") and clean["until"] < clean["starts"]:
        found.append("until: The rota ends before it starts.")
    try:
        compile_plan(_slots(clean), clean["starts"], len(clean["crews"]))
    except InvalidRota as exc:
        found.append(f"slots: {exc}")
    return found


def _check_policy(clean: Mapping[str, Any], registry: _Registry) -> list[str]:
    community = clean["community"]
    return [] if registry.community(community) else [f"No community {community}."]


CHECKS = {
    "areas": _check_area,
    "people": _check_person,
    "teams": _check_team,
    "rotas": _check_rota,
    "policies": _check_policy,
}


# -- the documents roster stores ------------------------------------------------------------


def document(kind: str, clean: Mapping[str, Any], registry: _Registry) -> dict[str, Any]:
    if kind == "areas":
        return dict(registry.area(clean["code"], removed=True) or _area_document(clean, None))
    if kind == "people":
        return _person_document(clean)
    if kind == "teams":
        return {
            "_id": key_of("teams", clean),
            "community_id": clean["community"],
            "code": clean["code"],
            "name": clean["name"],
            "categories": list(clean["categories"]),
            "grids": list(clean["grids"]),
            "around_the_clock": clean["around_the_clock"],
        }
    if kind == "rotas":
        return _rota_document(clean, registry)
    overrides = {key: value for key, value in clean.items() if key != "community"}
    return {"_id": clean["community"], "policy": storable(overrides)}


def _node(clean: Mapping[str, Any], parent: Mapping[str, Any] | None) -> AreaNode:
    node = AreaNode(
        code=clean.get("code") or clean["_id"],
        kind=clean["kind"],
        name=clean["name"],
        parent=clean.get("parent"),
        households=clean.get("households"),
        polygon=tuple(Point(p["lat"], p["lon"]) for p in clean.get("polygon") or ()),
        timezone=clean.get("timezone"),
        neighbours=tuple(clean.get("neighbours") or ()),
        leader=clean.get("leader"),
        workers=tuple(clean.get("workers") or ()),
        unit_leader=clean.get("unit_leader"),
        staff=tuple(clean.get("staff") or ()),
        removed=bool(clean.get("removed")),
    )
    parent_node = _node(parent, None) if parent else None
    community = clean.get("community_id") or community_of(node, parent_node)
    return AreaNode(**{**node.__dict__, "community_id": community})


def _area_document(clean: Mapping[str, Any], parent: Mapping[str, Any] | None) -> dict[str, Any]:
    node = _node(clean, parent)
    return {
        "_id": node.code,
        "kind": node.kind,
        "name": node.name,
        "parent": node.parent,
        "community_id": node.community_id,
        "households": node.households,
        "polygon": [{"lat": p.lat, "lon": p.lon} for p in node.polygon],
        "timezone": node.timezone,
        "neighbours": list(node.neighbours),
        "leader": node.leader,
        "workers": list(node.workers),
        "unit_leader": node.unit_leader,
        "staff": list(node.staff),
        "removed": node.removed,
    }


def _person_document(clean: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "_id": clean["id"],
        "community_id": clean["community"],
        "name": clean["name"],
        "phone": clean.get("phone"),
        "roles": list(clean["roles"]),
        "teams": list(clean["teams"]),
        "skills": list(clean["skills"]),
        "home_grids": list(clean["home_grids"]),
        "max_open_cases": clean.get("max_open_cases"),
        "contacts": [dict(contact) for contact in clean["contacts"]],
        "quiet_hours": clean.get("quiet_hours"),
        "household_id": clean.get("household"),
        "unit_id": clean.get("unit"),
        "active": clean["active"],
    }


def _slots(clean: Mapping[str, Any]) -> list[Slot]:
    return [Slot(slot["rule"], round(slot["hours"] * 60)) for slot in clean["slots"]]


def _rota_document(clean: Mapping[str, Any], registry: _Registry) -> dict[str, Any]:
    community = registry.community(clean["community"]) or {}
    team = registry.find("teams", f"{clean['community']}:{clean['team']}") or {"grids": []}
    slots = _slots(clean)
    compiled = compile_plan(slots, clean["starts"], len(clean["crews"]))
    return {
        "_id": clean["id"],
        "community_id": clean["community"],
        "team": clean["team"],
        "grids": list(clean.get("grids") or team["grids"]),
        "timezone": str(ZoneInfo(community.get("timezone") or "Asia/Shanghai")),
        "starts": clean["starts"].isoformat(),
        "until": clean["until"].isoformat() if clean.get("until") else None,
        "slots": [{"rule": slot.rule, "minutes": slot.minutes} for slot in slots],
        "crews": [{"people": list(crew)} for crew in clean["crews"]],  # no nested arrays
        "check_in_required": clean["check_in"] == "required",
        "plan": {
            "anchor": compiled.anchor.isoformat(),
            "days": compiled.days,
            "shifts": [
                {"day": s.day, "start": s.start.isoformat(), "minutes": s.minutes, "crew": s.crew}
                for s in compiled.shifts
            ],
        },
    }
