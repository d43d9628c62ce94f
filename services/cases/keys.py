"""API keys: issued, listed and revoked here, the owner; replicated by the other services.

A key is immutable but for its revocation, which is final: to change a key's
scopes or communities, issue a new one and revoke the old. That keeps every
replica right whatever order the `apikey.changed` events arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lianxin.auth import (
    ALL_COMMUNITIES,
    KEY_EVENTS,
    IssuedKey,
    KeyRecord,
    PersonTokens,
    new_key,
    secret_hash,
)
from lianxin.envelope import Envelope

if TYPE_CHECKING:
    from services.cases.store import KeyStore


class KeyNotFound(Exception):
    def __init__(self, key_id: str):
        super().__init__(f"No key {key_id}.")


class KeyExists(Exception):
    pass


def issue(
    store: KeyStore,
    name: str,
    scopes: Iterable[str],
    communities: Iterable[str],
    now: datetime,
    person_id: str | None = None,
    role: str | None = None,
) -> tuple[KeyRecord, IssuedKey]:
    """A new key; its secret is in the IssuedKey and nowhere else."""
    issued = new_key()
    communities = sorted(set(communities))
    record = KeyRecord(
        id=issued.id,
        name=name,
        secret_sha256=secret_hash(issued.secret),
        scopes=tuple(sorted(set(scopes))),
        communities=(ALL_COMMUNITIES,) if ALL_COMMUNITIES in communities else tuple(communities),
        person_id=person_id,
        role=role,
        created_at=now,
    )
    store.save(record, _changed(record, now), expect_new=True)
    return record, issued


def revoke(store: KeyStore, key_id: str, now: datetime) -> KeyRecord:
    current = store.get(key_id)
    if current is None:
        raise KeyNotFound(key_id)
    if current.revoked_at is not None:
        return current
    revoked = KeyRecord(**{**_fields(current), "revoked_at": now, "version": current.version + 1})
    return store.save(revoked, _changed(revoked, now), expect_new=False)


def person_token(
    tokens: PersonTokens, person_id: str, role: str, communities: Iterable[str]
) -> str:
    return tokens.issue(person_id, role, communities)


def describe(record: KeyRecord) -> dict[str, Any]:
    """What the API shows of a key: never its secret, nor the secret's hash."""
    return {
        "id": record.id,
        "name": record.name,
        "scopes": list(record.scopes),
        "communities": list(record.communities),
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
    return KEY_EVENTS.new_event(
        "apikey.changed", payload, correlation_id=f"key-{record.id}", at=now
    )
