"""Roster's areas as the pact needs them (pact_places/<code>): an estate's, building's and
unit's name for the list, a unit's leader for who may record, the community's zone for
the quarter. Kept from roster's `area.changed` (one document per area, by `_id`); a late
or repeated event older than what is kept changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.estate.domain.households import Household
from services.estate.domain.pact import Place
from services.estate.store import EstateStore

DEFAULT_ZONE = "Asia/Shanghai"


def on_area_changed(store: EstateStore, payload: Mapping[str, Any]) -> None:
    """Keep the area as told, unless a newer version of it is kept already."""
    node = payload["node"]
    with store.pact.places.change(node["code"]) as change:
        kept = change.value or {}
        if kept.get("area_version", 0) >= payload["area_version"]:
            return
        change.save(
            {
                "kind": node["kind"],
                "name": node["name"],
                "parent": node.get("parent"),
                "community_id": node.get("community_id"),
                "unit_leader": node.get("unit_leader"),
                "timezone": node.get("timezone"),
                "removed": payload["removed"],
                "area_version": payload["area_version"],
            }
        )


def _place(store: EstateStore, code: str) -> dict[str, Any]:
    found = store.pact.places.get(code)
    return found if found is not None and not found.get("removed") else {}


def is_estate_of(store: EstateStore, estate_id: str, community_id: str) -> bool:
    found = _place(store, estate_id)
    return found.get("kind") == "estate" and found.get("community_id") == community_id


def leads(store: EstateStore, person_id: str, unit_code: str) -> bool:
    """Whether `person_id` is the unit's leader, as roster last said."""
    return bool(person_id) and _place(store, unit_code).get("unit_leader") == person_id


def zone_of(store: EstateStore, community_id: str) -> str:
    return _place(store, community_id).get("timezone") or DEFAULT_ZONE


def place_of(store: EstateStore, household: Household) -> Place:
    """Where the household lives, named as roster names its building and unit (their
    codes while roster has not told them)."""
    return Place(
        household_id=household.household_id,
        building_id=household.building,
        building_name=_place(store, household.building).get("name") or household.building,
        unit_id=household.unit,
        unit_name=_place(store, household.unit).get("name") or household.unit,
        room=household.room,
    )


def estates(store: EstateStore, community_id: str) -> list[dict[str, str]]:
    """The community's estates, by code, with their names."""
    return [
        {"estate_id": found["_id"], "name": found["name"]}
        for found in store.pact.estates_of(community_id)
        if not found.get("removed")
    ]
