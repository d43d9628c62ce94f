"""notify's replicas of roster's people and places, newest version first, whatever order
their events arrive in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notify.store import NotifyStore, is_after


def apply_person(store: NotifyStore, payload: Mapping[str, Any]) -> None:
    """Keep roster's person, newest version wins; the staff index first, so a repeat
    after a crash between the two finishes the job."""
    community, person_id = payload["community_id"], payload["person_id"]
    version = int(payload["person_version"])
    key = person_id
    if not is_after(store.people.get(key), version):
        return
    _index_staff(
        store,
        community,
        person_id,
        version,
        "staff" in payload.get("roles", []) and payload.get("active", True),
    )
    moved_from = (store.people.get(key) or {}).get("unit_id")
    if moved_from != payload.get("unit_id"):
        _index_home(store, moved_from, person_id, version, None)
    _index_home(store, payload.get("unit_id"), person_id, version, _texted(payload))
    with store.people.change(key) as change:
        if not is_after(change.value, version):
            return
        change.save(
            {
                **(change.value or {}),  # keeps the person's recent sends and pending bundle
                "person_id": person_id,
                "community_id": community,
                "display_name": payload.get("display_name", ""),
                "roles": list(payload.get("roles", [])),
                "home_grids": list(payload.get("home_grids", [])),
                "contacts": [dict(contact) for contact in payload.get("contacts", [])],
                "quiet_hours": payload.get("quiet_hours"),
                "unit_id": payload.get("unit_id"),
                "active": bool(payload.get("active", True)),
                "version": version,
            }
        )


def _index_staff(
    store: NotifyStore, community: str, person_id: str, version: int, is_staff: bool
) -> None:
    with store.staff.change(community) as change:
        stored = (change.value or {}).get("members", [])
        members = [m for m in stored if m["id"] != person_id]
        previous = next((m for m in stored if m["id"] == person_id), None)
        if previous is not None and previous["version"] >= version:
            return
        if is_staff:
            members.append({"id": person_id, "version": version})
        if previous is None and not is_staff:
            return
        change.save({"members": members})


def _texted(payload: Mapping[str, Any]) -> bool | None:
    """Whether a notice may text the person: active with an SMS number (None: not home)."""
    contacts = payload.get("contacts", [])
    return bool(payload.get("active", True)) and any(c["channel"] == "sms" for c in contacts)


def _index_home(
    store: NotifyStore, unit_id: str | None, person_id: str, version: int, texted: bool | None
) -> None:
    """The unit's index of who lives there (`texted` None: the person left it). A version
    older than the one indexed changes nothing, so events in any order end the same."""
    if not unit_id:
        return
    with store.homes.change(unit_id) as change:
        members = dict((change.value or {}).get("members", {}))
        previous = members.get(person_id)
        if previous is not None and previous["version"] >= version:
            return
        if texted is None:
            if previous is None:
                return
            members.pop(person_id)
        else:
            members[person_id] = {"sms": texted, "version": version}
        change.save({"members": members})


def apply_area(store: NotifyStore, payload: Mapping[str, Any]) -> None:
    node, version = payload["node"], int(payload["area_version"])
    removed = bool(payload.get("removed"))
    if node.get("community_id"):
        _index_area(store, node, version, removed)
    with store.places.change(node["code"]) as change:
        if not is_after(change.value, version):
            return
        change.save({**node, "removed": removed, "version": version})


def _index_area(store: NotifyStore, node: Mapping[str, Any], version: int, removed: bool) -> None:
    """The community's area tree (a notice's audience), newest version of each node wins."""
    with store.area_trees.change(node["community_id"]) as change:
        nodes = dict((change.value or {}).get("nodes", {}))
        if not is_after(nodes.get(node["code"]), version):
            return
        nodes[node["code"]] = {
            "kind": node["kind"],
            "parent": node.get("parent"),
            "community_id": node["community_id"],
            "name": node["name"],
            "removed": removed,
            "version": version,
        }
        change.save({"nodes": nodes})
