"""Access control for every service: API keys per integration, and the person acting.

API keys look like `lx_<id>_<secret>`. Only the SHA-256 of the secret is stored;
the secret is 32 random bytes, so no password stretching is needed, and it is
compared in constant time. A key names:
- its scopes: `report` (file cases), `read` (see cases, statistics, ledgers),
  `act` (volunteer and staff actions), `tokens` (issue person tokens: an app's back
  end), `alerts` (post Alertmanager's alerts), `admin` (everything, keys included);
- its communities, or `*` for all: a key never sees another community's data, and
  is told "not found" rather than "forbidden", so it cannot probe for ids;
- optionally a person (and their role): a person-bound key, as a volunteer's own
  app would hold, acts as that person.

The person acting through an integration's key is named by a person token
(`X-Lianxin-Person`): signed and timed with itsdangerous, never taken from a
request body. The actor then has the key's scopes, the token's person and role,
and the communities both allow.

The cases service owns the keys and publishes `apikey.changed`; every other
service keeps a replica in its own database (KeyReplica), fed only by events that
cases' broker user published (lianxin.consumer, `from_source_only`): anyone else who
could put one on the bus would otherwise mint keys. Either way the keys are read by
`_id` on every request, with a short cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, fields, post_load, validate
from nameko.extensions import DependencyProvider, SharedExtension
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from lianxin.config import DEV_TOKEN_SECRET, Settings
from lianxin.consumer import event_handler
from lianxin.envelope import PayloadSchemas

SCOPES = ("report", "read", "act", "tokens", "alerts", "admin")
ROLES = ("volunteer", "grid_worker", "unit_leader", "grid_leader", "staff")
ALL_COMMUNITIES = "*"
KEY_PREFIX = "lx"
KEYS_COLLECTION = "api_keys"
PERSON_HEADER = "X-Lianxin-Person"
KEY_HEADER = "X-Api-Key"
CACHE_SECONDS = 2.0  # how long a revoked key may still pass, at most, once its event is in
TOKEN_SALT = "lianxin.person"


class Unauthenticated(Exception):
    """No key, an unknown or revoked key, or a bad person token: 401."""


class Forbidden(Exception):
    """A valid key without the scope (or role) this needs: 403."""


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
class Actor:
    """Who is asking: the key, and the person when one acts."""

    key_id: str
    key_name: str
    scopes: frozenset[str]
    communities: frozenset[str]
    person_id: str | None = None
    role: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def all_communities(self) -> bool:
        return ALL_COMMUNITIES in self.communities

    def can(self, scope: str) -> bool:
        return self.is_admin or scope in self.scopes

    def require(self, scope: str) -> None:
        if not self.can(scope):
            raise Forbidden(f"This key may not {scope}.")

    def sees(self, community_id: str) -> bool:
        return self.all_communities or community_id in self.communities

    def require_role(self, *roles: str) -> None:
        if self.is_admin and self.person_id is None:
            return
        if self.role not in roles:
            raise Forbidden(f"Only {' or '.join(roles)} may do this.")

    def visible_communities(self) -> frozenset[str] | None:
        """The communities a listing is limited to; None for all."""
        return None if self.all_communities else self.communities


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
        )

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
        )


class PersonTokens:
    """Signed, expiring statements of who acts: person, role, communities."""

    def __init__(self, secret: str):
        self._serializer = URLSafeTimedSerializer(secret, salt=TOKEN_SALT)

    def issue(self, person_id: str, role: str, communities: Iterable[str]) -> str:
        return self._serializer.dumps({"p": person_id, "r": role, "c": sorted(communities)})

    def verify(self, token: str, max_age_seconds: int) -> dict[str, Any]:
        try:
            claims = self._serializer.loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise Unauthenticated("The person token has expired.") from None
        except BadSignature:
            raise Unauthenticated("The person token is not valid.") from None
        return {"person_id": claims["p"], "role": claims["r"], "communities": claims["c"]}


def combine(key: Actor, claims: Mapping[str, Any]) -> Actor:
    """The person acting through an integration's key."""
    if key.person_id is not None:
        raise Unauthenticated("A person-bound key cannot act for someone else.")
    token_communities = frozenset(claims["communities"])
    if key.all_communities:
        communities = token_communities
    elif ALL_COMMUNITIES in token_communities:
        communities = key.communities
    else:
        communities = key.communities & token_communities
    return Actor(
        key.key_id, key.key_name, key.scopes, communities, claims["person_id"], claims["role"]
    )


class KeyRing(SharedExtension):
    """Verifies keys against the service's own `api_keys` collection, by `_id`."""

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self._client = MongoClient(
            settings.mongo_uri,
            serverSelectionTimeoutMS=settings.mongo_timeout_ms,
            connect=False,
            tz_aware=True,
        )
        self._keys = self._client[settings.database][KEYS_COLLECTION]
        self._tokens = PersonTokens(
            settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET)
        )
        self._token_max_age = settings.person_token_max_age_seconds
        self._cache: dict[str, tuple[float, KeyRecord | None]] = {}

    def stop(self) -> None:
        self._client.close()

    def authenticate(self, key_text: str | None, person_token: str | None = None) -> Actor:
        if not key_text:
            raise Unauthenticated("An API key is required (X-Api-Key).")
        parsed = parse_key(key_text)
        record = self._record(parsed[0]) if parsed else None
        if parsed is None or record is None or not record.matches(parsed[1]):
            raise Unauthenticated("The API key is not valid.")
        if record.revoked_at is not None:
            raise Unauthenticated("The API key has been revoked.")
        actor = record.actor()
        if person_token:
            actor = combine(actor, self._tokens.verify(person_token, self._token_max_age))
        return actor

    def _record(self, key_id: str) -> KeyRecord | None:
        now = time.monotonic()
        cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._keys.find_one({"_id": key_id})
        record = KeyRecord.from_document(document) if document else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key_id] = (now, record)
        return record


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """`X-Api-Key: <key>` or `Authorization: ApiKey <key>`."""
    if headers.get(KEY_HEADER):
        return headers[KEY_HEADER]
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "apikey" else None


class KeyChanged(Schema):
    """`apikey.changed`: a key's whole state, never its secret (only the secret's hash)."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    secret_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    communities = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)
    person_id = fields.String(allow_none=True, load_default=None)
    role = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ROLES))
    created_at = fields.AwareDateTime(allow_none=True, load_default=None)
    revoked_at = fields.AwareDateTime(allow_none=True, load_default=None)
    version = fields.Integer(required=True, strict=True)

    @post_load
    def record(self, data: dict[str, Any], **kwargs: Any) -> KeyRecord:
        return KeyRecord(
            **{**data, "scopes": tuple(data["scopes"]), "communities": tuple(data["communities"])}
        )


KEY_EVENTS = PayloadSchemas({("apikey.changed", 1): KeyChanged()})


class KeyReplicaStore(DependencyProvider):
    """A service's copy of the keys the cases service issues, in its own database.

    Keys never change except to be revoked, and a revocation is final, so events
    apply in any order: a key is inserted if absent, and a revoked state overwrites
    whatever is there. No lease is needed for that."""

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self._client = MongoClient(
            settings.mongo_uri, serverSelectionTimeoutMS=settings.mongo_timeout_ms, connect=False
        )
        self._keys = self._client[settings.database][KEYS_COLLECTION]

    def stop(self) -> None:
        self._client.close()

    def get_dependency(self, worker_ctx) -> KeyReplicaStore:
        return self

    def apply(self, record: KeyRecord) -> None:
        document = record.to_document()
        if record.revoked_at is not None:
            self._keys.replace_one({"_id": record.id}, document, upsert=True)
            return
        with contextlib.suppress(DuplicateKeyError):  # known already, perhaps revoked
            self._keys.insert_one(document)


class KeyReplica:
    """Mixed into every service but cases: keeps the key replica up to date. A revoked
    key is refused as soon as the event is applied and the KeyRing's short cache ends."""

    key_replica = KeyReplicaStore()

    @event_handler("cases", "apikey.changed", from_source_only=True)
    def on_api_key_changed(self, message):
        self.key_replica.apply(KEY_EVENTS.read(message).payload)


class TokenIssuer(DependencyProvider):
    """Person tokens for a worker to issue (an admin endpoint, action links)."""

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.max_age_seconds = settings.person_token_max_age_seconds
        self.tokens = PersonTokens(
            settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET)
        )

    def get_dependency(self, worker_ctx) -> TokenIssuer:
        return self
