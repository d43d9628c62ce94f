"""API keys and person tokens: issued, listed and revoked here, the owner; keys are
replicated by the other services.

A key is immutable but for its revocation, which is final: to change a key's
scopes or communities, issue a new one and revoke the old. That keeps every
replica right whatever order the `apikey.changed` events arrive in.

What a key may grant is a subset of what it holds (DESIGN.md, trust boundary):
- scopes it has (`admin` has them all);
- communities it covers (`*` only from a key that covers all);
- intake channels it may claim; `hotline` only on a key bound to a hotline;
- a hotline binding only from a key bound to that hotline, or an all-communities admin:
  a hotline serves a whole city, so a community's admin cannot mint its keys;
- a person-bound key only for an active person of the roster who holds the role and
  belongs to a community the issuer sees.
A community's admin sees and revokes only keys that lie wholly within its communities.
Person tokens follow the same rule: the person must be active in the roster with the
role and belong to a community the issuing key sees; the token names no community the
key does not cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from lianxin.access.actors import ALL_COMMUNITIES, DEFAULT_CHANNELS, Actor, Forbidden
from lianxin.access.keys import IssuedKey, KeyRecord, new_key, secret_hash
from lianxin.access.person_access import PersonAccess, refusal
from lianxin.access.tokens import PersonTokens
from lianxin.bus.envelope import Envelope
from services.cases.events import EMITS
from services.cases.store import KeyNotFound


class KeyRepository(Protocol):
    """What issuing, listing and revoking need of the keys' store (store.KeyStore, or
    a fake of it in a test)."""

    def save(self, record: KeyRecord, event: Envelope, expect_new: bool) -> KeyRecord: ...
    def get(self, key_id: str) -> KeyRecord | None: ...
    def all(self) -> list[KeyRecord]: ...


class UnknownPerson(Exception):
    """The person named is not an active member of the roster with that role, in a
    community the caller sees: 400 on `person_id`, the same whichever it is, so that a
    community's key learns nothing of another community's people."""

    def __init__(self):
        super().__init__("No active person with this role in the communities you cover.")

    def details(self) -> dict[str, Any]:
        return {"fields": {"person_id": [str(self)]}}


@dataclass(frozen=True)
class Grant:
    """What a new key is to hold."""

    name: str
    scopes: tuple[str, ...]
    communities: tuple[str, ...]
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    hotline_id: str | None = None
    person_id: str | None = None
    role: str | None = None

    @classmethod
    def of(
        cls,
        name: str,
        scopes: Iterable[str],
        communities: Iterable[str],
        channels: Iterable[str] | None = None,
        hotline_id: str | None = None,
        person_id: str | None = None,
        role: str | None = None,
    ) -> Grant:
        """Normalised: sorted, without repeats, `*` alone when present. A key bound to a
        hotline claims the hotline channel unless it says otherwise."""
        communities = sorted(set(communities))
        if ALL_COMMUNITIES in communities:
            communities = [ALL_COMMUNITIES]
        if channels is None:
            channels = ("hotline",) if hotline_id else DEFAULT_CHANNELS
        return cls(
            name=name,
            scopes=tuple(sorted(set(scopes))),
            communities=tuple(communities),
            channels=tuple(sorted(set(channels))),
            hotline_id=hotline_id,
            person_id=person_id,
            role=role,
        )


def vetted(issuer: Actor, grant: Grant, person: PersonAccess | None, now: datetime) -> Grant:
    """The grant as it may be issued; refused (403, or 400 for the person) when the key
    would hold more than its issuer."""
    beyond = [scope for scope in grant.scopes if not issuer.can(scope)]
    if beyond:
        raise Forbidden(f"You may not grant scopes you do not hold: {', '.join(beyond)}.")
    if not issuer.covers(grant.communities):
        raise Forbidden("You may not grant communities beyond your own.")
    if grant.hotline_id is not None and not _may_bind(issuer, grant.hotline_id):
        raise Forbidden("Only a key of that hotline, or an admin of every community, binds one.")
    if "hotline" in grant.channels and grant.hotline_id is None:
        raise Forbidden("Only a key bound to a hotline may claim the hotline channel.")
    if not issuer.is_admin:
        beyond = [channel for channel in grant.channels if not issuer.may_claim(channel)]
        if beyond:
            raise Forbidden(f"You may not grant channels you do not hold: {', '.join(beyond)}.")
    if grant.person_id is not None:
        _require_member(issuer, person, grant.role, now)
    return grant


def _may_bind(issuer: Actor, hotline_id: str) -> bool:
    if issuer.hotline_id is not None:
        return issuer.hotline_id == hotline_id
    return issuer.is_admin and issuer.all_communities


def _require_member(
    issuer: Actor, person: PersonAccess | None, role: str | None, now: datetime
) -> PersonAccess:
    """The person, active with the role, of a community the issuer sees."""
    if person is None or refusal(person, role, now) is not None:
        raise UnknownPerson()
    if not issuer.sees(person.community_id):
        raise UnknownPerson()
    return person


def issue(store: KeyRepository, grant: Grant, now: datetime) -> tuple[KeyRecord, IssuedKey]:
    """A new key; its secret is in the IssuedKey and nowhere else."""
    issued = new_key()
    record = KeyRecord(
        id=issued.id,
        name=grant.name,
        secret_sha256=secret_hash(issued.secret),
        scopes=grant.scopes,
        communities=grant.communities,
        person_id=grant.person_id,
        role=grant.role,
        created_at=now,
        channels=grant.channels,
        hotline_id=grant.hotline_id,
    )
    store.save(record, _changed(record, now), expect_new=True)
    return record, issued


def visible_to(issuer: Actor, record: KeyRecord) -> bool:
    """A community's admin sees the keys that lie wholly within its communities."""
    return issuer.covers(record.communities)


def listing(store: KeyRepository, issuer: Actor) -> list[KeyRecord]:
    return [record for record in store.all() if visible_to(issuer, record)]


def revoke(
    store: KeyRepository, key_id: str, now: datetime, issuer: Actor | None = None
) -> KeyRecord:
    """Revoke for good. `issuer` None is the operator's CLI, which may revoke any key."""
    current = store.get(key_id)
    if current is None or (issuer is not None and not visible_to(issuer, current)):
        raise KeyNotFound(key_id)
    if current.revoked_at is not None:
        return current
    revoked = KeyRecord(**{**_fields(current), "revoked_at": now, "version": current.version + 1})
    return store.save(revoked, _changed(revoked, now), expect_new=False)


def person_token(
    tokens: PersonTokens,
    issuer: Actor,
    person: PersonAccess | None,
    role: str,
    communities: Iterable[str],
    now: datetime,
) -> str:
    """A token naming who acts through the issuer's key: only for an active person with
    the role, of a community the issuer sees, and for communities the issuer covers."""
    communities = set(communities)
    if not issuer.covers(communities):
        raise Forbidden("You may not issue tokens beyond your communities.")
    member = _require_member(issuer, person, role, now)
    return tokens.issue(member.person_id, role, communities)


def describe(record: KeyRecord) -> dict[str, Any]:
    """What the API shows of a key: never its secret, nor the secret's hash."""
    return {
        "id": record.id,
        "name": record.name,
        "scopes": list(record.scopes),
        "communities": list(record.communities),
        "channels": list(record.channels),
        "hotline_id": record.hotline_id,
        "person_id": record.person_id,
        "role": record.role,
        "created_at": record.created_at,
        "revoked_at": record.revoked_at,
    }


def _fields(record: KeyRecord) -> dict[str, Any]:
    return {
        name: getattr(record, name) for name in KeyRecord.__dataclass_fields__ if name != "extra"
    }


def _changed(record: KeyRecord, now: datetime) -> Envelope:
    payload = _fields(record)
    return EMITS.new_event("apikey.changed", payload, correlation_id=f"key-{record.id}", at=now)
