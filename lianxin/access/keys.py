"""API keys per integration: issued, parsed, stored hashed, and told to the replicas.

API keys look like `lx_<id>_<secret>`. Only the SHA-256 of the secret is stored;
the secret is 32 random bytes, so no password stretching is needed, and it is
compared in constant time. A key names its scopes, communities, channels, and
optionally its hotline and person (lianxin.access.actors). A key issued by another key
(and a person token issued by one) holds a subset of what the issuer holds: its scopes,
communities, channels and hotline (services/cases/app/keys.py).

The cases service owns the keys and publishes `apikey.changed` (its contract:
lianxin.contracts.cases); every other service keeps a replica in its own database
(lianxin.access.replicas).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lianxin.access.actors import DEFAULT_CHANNELS, Actor

KEY_PREFIX = "lx"
KEYS_COLLECTION = "api_keys"
KEY_HEADER = "X-Api-Key"


@dataclass(frozen=True)
class IssuedKey:
    id: str
    secret: str  # shown once, never stored

    @property
    def text(self) -> str:
        return f"{KEY_PREFIX}_{self.id}_{self.secret}"


def new_key() -> IssuedKey:
    return IssuedKey(secrets.token_hex(6), secrets.token_urlsafe(32))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(text: str) -> tuple[str, str] | None:
    prefix, _, rest = text.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret or len(text) > 200:
        return None
    return key_id, secret


@dataclass(frozen=True)
class KeyRecord:
    """A key as stored (by the owner) or replicated (by the others)."""

    id: str
    name: str
    secret_sha256: str
    scopes: tuple[str, ...]
    communities: tuple[str, ...]
    person_id: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    version: int = 1
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    hotline_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> KeyRecord:
        return cls(
            id=document["_id"],
            name=document["name"],
            secret_sha256=document["secret_sha256"],
            scopes=tuple(document["scopes"]),
            communities=tuple(document["communities"]),
            person_id=document.get("person_id"),
            role=document.get("role"),
            created_at=document.get("created_at"),
            revoked_at=document.get("revoked_at"),
            version=int(document.get("version", 1)),
            channels=tuple(document.get("channels") or DEFAULT_CHANNELS),
            hotline_id=document.get("hotline_id"),
        )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> KeyRecord:
        """The key an `apikey.changed` tells of; an event from before channels were
        told reads as the app's channel, as a stored record does."""
        return cls.from_document({**payload, "_id": payload["id"]})

    def to_document(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "name": self.name,
            "secret_sha256": self.secret_sha256,
            "scopes": list(self.scopes),
            "communities": list(self.communities),
            "person_id": self.person_id,
            "role": self.role,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "version": self.version,
            "channels": list(self.channels),
            "hotline_id": self.hotline_id,
        }

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_sha256, secret_hash(secret))

    def actor(self) -> Actor:
        return Actor(
            self.id,
            self.name,
            frozenset(self.scopes),
            frozenset(self.communities),
            self.person_id,
            self.role,
            frozenset(self.channels),
            self.hotline_id,
        )


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """`X-Api-Key: <key>` or `Authorization: ApiKey <key>`."""
    if headers.get(KEY_HEADER):
        return headers[KEY_HEADER]
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "apikey" else None
