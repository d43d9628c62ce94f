"""Who may sign in to the console, as what, and what they see.

The console learns people from roster's `person.changed`. People with a staff, grid leader,
grid worker, unit leader or volunteer role may sign in, by the first SMS number among their
contacts; one who holds several of those roles signs in with the widest (staff over grid
leader over grid worker over unit leader over volunteer). Staff see their community; grid
leaders and grid workers their home grids. A unit leader and a volunteer see only their own
pages (`/my`: their cases, duty, hours, care rounds, and a unit leader's pact
observations); the staff's pages refuse them (STAFF_ROLES).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lianxin.privacy import mask_name
from services.console.domain.sessions import Scope

# widest first; a unit leader (单元长) and a volunteer have only their own pages (/my)
CONSOLE_ROLES = ("staff", "grid_leader", "grid_worker", "unit_leader", "volunteer")
STAFF_ROLES = frozenset(CONSOLE_ROLES[:3])  # who the staff's pages (board, rota, ...) serve


@dataclass(frozen=True)
class StaffMember:
    """What the console keeps of a person: never their phone number (only its digest, as
    the `_id` of its phone index)."""

    person_id: str
    community_id: str
    display_name: str  # masked
    roles: tuple[str, ...]
    home_grids: tuple[str, ...]
    active: bool
    person_version: int
    phone_digest: str | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], phone_digest: str | None) -> StaffMember:
        return cls(
            person_id=payload["person_id"],
            community_id=payload["community_id"],
            display_name=mask_name(payload.get("display_name") or ""),
            roles=tuple(payload.get("roles", ())),
            home_grids=tuple(payload.get("home_grids", ())),
            active=bool(payload.get("active", True)),
            person_version=int(payload["person_version"]),
            phone_digest=phone_digest,
        )

    @property
    def console_role(self) -> str | None:
        """The role the person signs in with, or None when they may not sign in."""
        if not self.active:
            return None
        return next((role for role in CONSOLE_ROLES if role in self.roles), None)

    def scope(self, role: str) -> Scope:
        grids = None if role == "staff" else frozenset(self.home_grids)
        return Scope(self.community_id, grids)


def sms_number(contacts: Iterable[Mapping[str, Any]]) -> str | None:
    """The number a sign-in code goes to: the first SMS contact."""
    return next((c["address"] for c in contacts if c.get("channel") == "sms"), None)


def widest(roles: Sequence[str]) -> str | None:
    return next((role for role in CONSOLE_ROLES if role in roles), None)
