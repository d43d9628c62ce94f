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


def apply_area(store: NotifyStore, payload: Mapping[str, Any]) -> None:
    node, version = payload["node"], int(payload["area_version"])
    with store.places.change(node["code"]) as change:
        if not is_after(change.value, version):
            return
        change.save({**node, "removed": bool(payload.get("removed")), "version": version})
