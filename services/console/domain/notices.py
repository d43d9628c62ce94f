"""Notices (通知) as the console shows them: the audience picker from the area registry,
and a form read into notify's body. Plain Python.

A grid worker or grid leader is offered only the areas inside their own grids (notify
refuses the rest whatever a form says); staff are offered the whole community too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

AUDIENCE_KINDS = ("community", "grid", "building", "unit")  # notify's, widest first
CHANNELS = ("group", "sms")


@dataclass(frozen=True)
class Choice:
    value: str  # `<kind>:<code>`, what the form sends
    name: str


def grid_of(code: str, areas: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The grid an area lies in (itself for a grid), by its parents; None above grids."""
    seen: set[str] = set()
    current: str | None = code
    while current and current in areas and current not in seen:
        seen.add(current)
        if areas[current].get("kind") == "grid":
            return current
        current = areas[current].get("parent")
    return None


def audience_choices(
    areas: Iterable[Mapping[str, Any]], community_id: str, community_name: str,
    grids: frozenset[str] | None,
) -> list[tuple[str, list[Choice]]]:  # fmt: skip
    """The areas a person may send to, by kind: `grids` None (staff) for all of them and
    the community; else only those inside the person's grids."""
    by_code = {area["code"]: area for area in areas if not area.get("removed")}
    offered: list[tuple[str, list[Choice]]] = []
    if grids is None:
        offered.append(("community", [Choice(f"community:{community_id}", community_name)]))
    for kind in AUDIENCE_KINDS[1:]:
        choices = [
            Choice(f"{kind}:{code}", area["name"])
            for code, area in sorted(by_code.items())
            if area.get("kind") == kind and (grids is None or grid_of(code, by_code) in grids)
        ]
        if choices:
            offered.append((kind, choices))
    return offered


def notify_body(form: Mapping[str, Any], channels: Sequence[str], community_id: str) -> dict:
    """notify's body of a checked form (`audience` is `<kind>:<code>`)."""
    kind, _, code = form["audience"].partition(":")
    return {
        "community_id": community_id, "audience": kind, "code": code,
        "title": form["title"].strip(), "body": form["body"].strip(),
        "urgent": bool(form.get("urgent")), "channels": list(channels),
    }  # fmt: skip


def field_of_notify(fields: Mapping[str, Any]) -> dict[str, Any]:
    """notify's field errors under the form's names (its `code` is the form's audience)."""
    renamed = {"code": "audience", "community_id": "audience"}
    return {renamed.get(name, name): errors for name, errors in fields.items()}
