"""Console sessions: who is signed in, as what, where, and until when.

The browser holds a random session id in an HttpOnly cookie; the console stores only its
SHA-256 (an id read from a copy of the database opens nothing). A session ends when it
has been idle IDLE_LIMIT, when it is LIFETIME old (both in real time, under a simulated
clock too: lianxin.clock.real_span), at sign-out, and as soon as the person's access no
longer stands (deactivated, their role changed: lianxin.access.person_access,
the replica every service keeps), which every request checks. Each session carries its
own CSRF token, which every form must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from lianxin.access.person_access import PersonAccess, refusal
from lianxin.clock import real_span

IDLE_LIMIT = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)  # a person token lives 12 h too; sign in again after it
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


@dataclass(frozen=True)
class Scope:
    """What a signed-in person sees: their community, and for a grid leader or grid
    worker only their grids (None: every grid of the community)."""

    community_id: str
    grids: frozenset[str] | None

    def covers(self, community_id: str, grid_id: str | None) -> bool:
        if community_id != self.community_id:
            return False
        return self.grids is None or grid_id in self.grids


@dataclass(frozen=True)
class Session:
    id_digest: str
    person_id: str
    display_name: str  # masked
    role: str
    scope: Scope
    csrf: str
    created_at: datetime
    last_seen: datetime

    def touched(self, now: datetime) -> Session | None:
        """The session seen again now, when that is worth a write; else None."""
        if real_span(now - self.last_seen) < TOUCH_EVERY:
            return None
        return replace(self, last_seen=now)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(
    session_id: str,
    person_id: str,
    display_name: str,
    role: str,
    scope: Scope,
    now: datetime,
) -> Session:
    return Session(
        session_digest(session_id),
        person_id,
        display_name,
        role,
        scope,
        secrets.token_urlsafe(24),
        now,
        now,
    )


def ended(session: Session, access: PersonAccess | None, now: datetime) -> str | None:
    """Why the session no longer stands; None while it does. The person's access is judged
    as a person token's is: a change of roles or community, or a deactivation, after the
    session began ends it."""
    if real_span(now - session.last_seen) >= IDLE_LIMIT:
        return "idle"
    if real_span(now - session.created_at) >= LIFETIME:
        return "expired"
    reason = refusal(access, session.role, session.created_at)
    if reason is None and access is not None and access.community_id != session.scope.community_id:
        reason = "The person moved to another community."
    return reason
