"""Registry use cases: importing areas, people, teams, rotas and policies, and the
lookups dispatch reads.

An import is checked whole (services.roster.domain.imports) and stored only when no row
is rejected. Storing it again changes nothing: a document equal to the stored one
is not written and publishes nothing. What an import does not name it leaves
alone; in particular it never touches leave, overrides, open cases or the ledger,
which live beside the definitions, not in them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lianxin.access.actors import Actor, Forbidden
from lianxin.privacy import mask_name
from services.roster.app.duty import restart_clock
from services.roster.domain import imports
from services.roster.domain.imports import ImportPlan
from services.roster.domain.rows import SECTIONS, Row
from services.roster.events import EMITS
from services.roster.store import RosterStore

PROFILE = (
    "community_id",
    "name",
    "phone",
    "roles",
    "teams",
    "skills",
    "home_grids",
    "max_open_cases",
    "contacts",
    "quiet_hours",
    "household_id",
    "unit_id",
    "active",
)

ACCESS = ("community_id", "roles", "active")  # what a person may do, and where
LISTED = ("name", "phone", "roles", "teams", "home_grids", "active")  # a person's listing entry


class StoredDefinitions:
    """What an import's rows may refer to besides each other: the stored documents."""

    def __init__(self, store: RosterStore):
        self._store = store

    def find(self, kind: str, key: str) -> Mapping[str, Any] | None:
        return self._store.find(kind, key)


@dataclass(frozen=True)
class ImportResult:
    plan: ImportPlan
    applied: bool
    changed: Mapping[str, int]


def importing_communities(actor: Actor) -> frozenset[str] | None:
    """The communities `actor` may import into (None: all). An admin key imports into its
    communities; a staff member, acting with their person token through a key that may
    `act` (the console's), into their own community only, whatever the key covers; anyone
    else into none (Forbidden). So a key that may only act imports nothing on its own."""
    if actor.is_admin:
        return actor.visible_communities()
    communities = actor.visible_communities()
    if actor.role == "staff" and actor.can("act") and communities:
        return communities
    raise Forbidden("Only an admin key, or a staff member for their own community, imports.")


def import_rows(
    store: RosterStore,
    rows: Iterable[Row],
    *,
    dry_run: bool,
    now: datetime,
    communities: Collection[str] | None,
) -> ImportResult:
    """Check the rows, and store them unless one is rejected or it is a dry run.
    `communities` are those the caller may change (None: all, the operator's CLI): an
    import that would change or move a record of any other community is refused
    (Forbidden) before anything is stored, dry run or not (imports: how ids are
    namespaced)."""
    plan = imports.plan(rows, StoredDefinitions(store))
    if communities is not None and not plan.communities() <= set(communities):
        raise Forbidden("This key may import only into its own communities, and move nothing in.")
    if dry_run or not plan.ok:
        return ImportResult(plan, applied=False, changed={})
    return ImportResult(plan, applied=True, changed=apply(store, plan, now))


def apply(store: RosterStore, plan: ImportPlan, now: datetime) -> dict[str, int]:
    changed = dict.fromkeys(SECTIONS, 0)
    communities: set[str] = set()
    changed_rotas: list[str] = []
    for document in plan.documents["policies"]:
        changed["policies"] += _replace(store, "policies", document)
    for document in plan.documents["areas"]:
        changed["areas"] += _save_area(store, document, now)
        communities.add(document["community_id"])
    for document in plan.documents["people"]:
        changed["people"] += _save_person(store, document, now)
        communities.add(document["community_id"])
    communities.update(move.source for move in plan.moves if move.kind == "people")
    for document in plan.documents["teams"]:
        changed["teams"] += _replace(store, "teams", document)
        communities.add(document["community_id"])
    for document in plan.documents["rotas"]:
        if _replace(store, "rotas", document):
            changed["rotas"] += 1
            changed_rotas.append(document["_id"])
        communities.add(document["community_id"])
    for community in sorted(c for c in communities if c):
        rebuild_lookups(store, community)
    store.forget()
    for rota_id in changed_rotas:
        restart_clock(store, rota_id, now)
    return changed


def _replace(store: RosterStore, collection: str, document: Mapping[str, Any]) -> bool:
    with store.change(collection, document["_id"]) as change:
        if change.value == dict(document):
            return False
        change.save(document)
    return True


def _save_area(store: RosterStore, document: Mapping[str, Any], now: datetime) -> bool:
    with store.change("areas", document["_id"]) as change:
        current = change.value or {}
        if {k: v for k, v in current.items() if k != "version"} == dict(document):
            return False
        version = current.get("version", 0) + 1
        change.save({**document, "version": version}, [area_changed(document, version, now)])
    return True


def area_changed(document: Mapping[str, Any], version: int, now: datetime):
    node = {
        "code": document["_id"],
        "kind": document["kind"],
        "parent": document.get("parent"),
        "community_id": document.get("community_id"),
        "name": document["name"],
        "households": document.get("households"),
        "polygon": document.get("polygon") or [],
        "timezone": document.get("timezone"),
        "unit_leader": document.get("unit_leader"),
    }
    return EMITS.new_event(
        "area.changed",
        {"node": node, "removed": bool(document.get("removed")), "area_version": version},
        correlation_id=f"area-{document['_id']}",
        at=now,
    )


def _save_person(store: RosterStore, document: Mapping[str, Any], now: datetime) -> bool:
    """The profile is replaced; leave, open cases and offers stay as they are."""
    with store.change("people", document["_id"]) as change:
        current = change.value or {}
        if all(current.get(field) == document.get(field) for field in PROFILE):
            return False
        person = {
            **current,
            **document,
            "version": current.get("version", 0) + 1,
            "access_since": access_since(current, document, now),
        }
        change.save(person, [person_changed(person, now)])
    return True


def access_since(current: Mapping[str, Any], document: Mapping[str, Any], now: datetime):
    """When the person's access last changed: now, on their first import or when their
    community, roles or `active` change; otherwise as it was (a new phone number or name
    changes nothing of what they may do). Person tokens, signed links and sessions issued
    before it are void."""
    if "access_since" not in current or any(
        current.get(field) != document.get(field) for field in ACCESS
    ):
        return now
    return current["access_since"]


def person_changed(person: Mapping[str, Any], now: datetime):
    """For notify's addressing: the only event that carries a person's contacts."""
    return EMITS.new_event(
        "person.changed",
        {
            "person_id": person["_id"],
            "community_id": person["community_id"],
            "display_name": mask_name(person["name"]),
            "roles": list(person["roles"]),
            "teams": list(person["teams"]),
            "home_grids": list(person["home_grids"]),
            "contacts": list(person["contacts"]),
            "quiet_hours": person.get("quiet_hours"),
            "unit_id": person.get("unit_id"),
            "active": person["active"],
            "access_since": person["access_since"],
            "person_version": person["version"],
        },
        correlation_id=f"person-{person['_id']}",
        at=now,
    )


def rebuild_lookups(store: RosterStore, community_id: str) -> None:
    """For each grid of the community, the rotas that can take its cases: those serving
    it (distance 0), then those serving a neighbouring grid (distance 1). For each team,
    its rotas. The community's people listing. Recomputed whole from the definitions, so
    running it twice is harmless."""
    rebuild_people_listing(store, community_id)
    areas = store.of_community("areas", community_id)
    grids = {a["_id"]: a for a in areas if a["kind"] == "grid" and not a.get("removed")}
    neighbours: dict[str, set[str]] = {grid: set() for grid in grids}
    for grid, area in grids.items():
        for other in area.get("neighbours") or []:
            if other in grids:
                neighbours[grid].add(other)
                neighbours[other].add(grid)
    teams = {team["code"]: team for team in store.of_community("teams", community_id)}
    rotas = [
        rota
        for rota in store.of_community("rotas", community_id)
        if rota["team"] in teams and "grids" in rota  # not a rota of the pre-import seed
    ]
    for grid in grids:
        entries = []
        for rota in rotas:
            served = [g for g in rota["grids"] if g == grid] or sorted(
                set(rota["grids"]) & neighbours[grid]
            )
            if served:
                entries.append(
                    {
                        "rota_id": rota["_id"],
                        "team": rota["team"],
                        "categories": teams[rota["team"]]["categories"],
                        # a desk keeping hours: its cases wait for its next shift
                        "around_the_clock": teams[rota["team"]].get("around_the_clock", True),
                        "grid_id": served[0],
                        "distance": 0 if served[0] == grid else 1,
                    }
                )
        store.put(
            "lookups", {"_id": f"grid:{grid}", "community_id": community_id, "rotas": entries}
        )
    for code in teams:
        ids = [rota["_id"] for rota in rotas if rota["team"] == code]
        store.put(
            "lookups",
            {"_id": f"team:{community_id}:{code}", "community_id": community_id, "rotas": ids},
        )


def rebuild_people_listing(store: RosterStore, community_id: str) -> list[dict[str, Any]]:
    """The community's people as its listing shows them (GET /v1/people), kept as one
    document read by `_id`: on FerretDB a page filtered by community scans every person of
    every community (0.91 s with 2,103 people), a page from this document takes 21 ms. A
    profile changes only by import, which rebuilds it for every community it touches."""
    entries = [
        {"id": person["_id"], **{name: person.get(name) for name in LISTED}}
        for person in sorted(store.of_community("people", community_id), key=lambda p: p["_id"])
    ]
    store.put_people_listing(community_id, entries)
    return entries
