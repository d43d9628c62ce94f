"""Access control for every service: API keys per integration, and the person acting.

API keys look like `lx_<id>_<secret>`. Only the SHA-256 of the secret is stored;
the secret is 32 random bytes, so no password stretching is needed, and it is
compared in constant time. A key names:
- its scopes: `report` (file cases), `read` (see cases, statistics, ledgers),
  `act` (volunteer and staff actions), `tokens` (issue person tokens: an app's back
  end), `alerts` (post Alertmanager's alerts), `admin` (everything, keys included);
- its communities, or `*` for all: a key never sees another community's data, and
  is told "not found" rather than "forbidden", so it cannot probe for ids;
- the intake channels it may claim for a report (`app`, `wechat`, `patrol`, …);
- optionally the 12345 hotline it is bound to: only such a key files that hotline's
  work orders, and the order numbers it files are the bound hotline's;
- optionally a person (and their role): a person-bound key, as a volunteer's own
  app would hold, acts as that person.

A key issued by another key (and a person token issued by one) holds a subset of what
the issuer holds: its scopes, communities, channels and hotline (services/cases/keys.py).

The person acting through an integration's key is named by a person token
(`X-Lianxin-Person`): signed and timed with itsdangerous, never taken from a
request body. The actor then has the key's scopes, the token's person and role,
and the communities both allow. A token or person-bound key stands only while the
person is active in the roster, holds the role it names, and was issued after the
person's access last changed (lianxin.person_access).

The cases service owns the keys and publishes `apikey.changed`; every other
service keeps a replica in its own database (KeyReplica), and every service keeps
one of the people's access (PersonAccessReplica), each fed only by events that the
source's broker user published (lianxin.consumer, `from_source_only`): anyone else who
could put one on the bus would otherwise mint keys or make someone staff. Either way
keys and people are read by `_id` on every request, with a short cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, fields, post_load, validate
from nameko.extensions import DependencyProvider, SharedExtension
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from lianxin.aggregates import AggregateStore
from lianxin.config import DEV_TOKEN_SECRET, Settings
from lianxin.consumer import event_handler
from lianxin.engine import ConditionalWrites, Engine
from lianxin.envelope import PayloadSchemas
from lianxin.lease import Leases
from lianxin.person_access import (
    PERSON_ACCESS_COLLECTION,
    PersonAccess,
    PersonAccessChanged,
    merged,
    refusal,
)

SCOPES = ("report", "read", "act", "tokens", "alerts", "admin")
ROLES = ("volunteer", "grid_worker", "unit_leader", "grid_leader", "staff")
ALL_COMMUNITIES = "*"
# what a report may say it came through; `hotline` only from a key bound to a hotline
CHANNELS = ("app", "wechat", "hotline", "patrol", "walk_in", "door_knocking", "open311")
DEFAULT_CHANNELS = ("app",)
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
    channels: frozenset[str] = frozenset(DEFAULT_CHANNELS)
    hotline_id: str | None = None

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

    def covers(self, communities: Iterable[str]) -> bool:
        """Whether every one of `communities` (`*` meaning all) is within this key's."""
        wanted = set(communities)
        if self.all_communities:
            return True
        return ALL_COMMUNITIES not in wanted and wanted <= self.communities

    def may_claim(self, channel: str) -> bool:
        """Whether a report through this key may say it came through `channel`: an
        admin's may say anything; `hotline` needs a key bound to a hotline."""
        if self.is_admin:
            return True
        return channel in self.channels and (channel != "hotline" or self.hotline_id is not None)

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


@dataclass(frozen=True)
class PersonClaims:
    """What a verified person token says: who, as what, where, and since when."""

    person_id: str
    role: str
    communities: frozenset[str]
    issued_at: datetime | None


class PersonTokens:
    """Signed, expiring statements of who acts: person, role, communities, and the moment
    of issue (to the millisecond, so a token issued right after a change of access is not
    mistaken for one issued before it)."""

    def __init__(self, secret: str):
        self._serializer = URLSafeTimedSerializer(secret, salt=TOKEN_SALT)

    def issue(self, person_id: str, role: str, communities: Iterable[str]) -> str:
        claims = {"p": person_id, "r": role, "c": sorted(communities), "i": int(time.time() * 1000)}
        return self._serializer.dumps(claims)

    def verify(self, token: str, max_age_seconds: int) -> PersonClaims:
        try:
            claims = self._serializer.loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise Unauthenticated("The person token has expired.") from None
        except BadSignature:
            raise Unauthenticated("The person token is not valid.") from None
        issued = claims.get("i")
        return PersonClaims(
            claims["p"],
            claims["r"],
            frozenset(claims["c"]),
            datetime.fromtimestamp(issued / 1000, UTC) if issued is not None else None,
        )


def combine(key: Actor, claims: PersonClaims) -> Actor:
    """The person acting through an integration's key: the key's scopes and channels, the
    token's person and role, the communities both allow."""
    if key.person_id is not None:
        raise Unauthenticated("A person-bound key cannot act for someone else.")
    if key.all_communities:
        communities = claims.communities
    elif ALL_COMMUNITIES in claims.communities:
        communities = key.communities
    else:
        communities = key.communities & claims.communities
    return Actor(
        key.key_id,
        key.key_name,
        key.scopes,
        communities,
        claims.person_id,
        claims.role,
        key.channels,
        key.hotline_id,
    )


class RecentReads:
    """Documents read by `_id`, kept CACHE_SECONDS: how long a revocation, a deactivation
    or a change of role may still go unnoticed once its event is in, at most."""

    def __init__(self, collection: Collection, parse: Callable[[Mapping[str, Any]], Any]):
        self._collection = collection
        self._parse = parse
        self._cache: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        document = self._collection.find_one({"_id": key})
        found = self._parse(document) if document else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found


class KeyRing(SharedExtension):
    """Verifies keys against the service's own `api_keys` collection, and the person a
    token or key names against its `person_access` replica, both by `_id`. The one
    client of the process for access: the replica's writes use it too."""

    client: MongoClient | None = None

    def setup(self) -> None:
        self.open()

    def open(self) -> None:
        """Idempotent: nameko sets extensions up concurrently, and the replica's store may
        need the client before this extension's own setup has run."""
        if self.client is not None:
            return
        self.settings = Settings.from_config(self.container.service_name, self.container.config)
        self.client = MongoClient(
            self.settings.mongo_uri,
            serverSelectionTimeoutMS=self.settings.mongo_timeout_ms,
            connect=False,
            tz_aware=True,
        )
        self.database = self.client[self.settings.database]
        self._keys = RecentReads(self.database[KEYS_COLLECTION], KeyRecord.from_document)
        self._people = RecentReads(
            self.database[PERSON_ACCESS_COLLECTION], PersonAccess.from_document
        )
        self._tokens = PersonTokens(
            self.settings.secret("TOKEN_SECRET", self.settings.token_secret, DEV_TOKEN_SECRET)
        )
        self._token_max_age = self.settings.person_token_max_age_seconds

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()

    def authenticate(self, key_text: str | None, person_token: str | None = None) -> Actor:
        if not key_text:
            raise Unauthenticated("An API key is required (X-Api-Key).")
        parsed = parse_key(key_text)
        record = self._keys.get(parsed[0]) if parsed else None
        if parsed is None or record is None or not record.matches(parsed[1]):
            raise Unauthenticated("The API key is not valid.")
        if record.revoked_at is not None:
            raise Unauthenticated("The API key has been revoked.")
        actor = record.actor()
        if record.person_id is not None:
            self.admit(record.person_id, record.role, record.created_at)
        if person_token:
            claims = self._tokens.verify(person_token, self._token_max_age)
            self.admit(claims.person_id, claims.role, claims.issued_at)
            actor = combine(actor, claims)
        return actor

    def person(self, person_id: str) -> PersonAccess | None:
        return self._people.get(person_id)

    def admit(self, person_id: str, role: str | None, issued_at: datetime | None) -> None:
        """Raise Unauthenticated unless a credential naming this person as `role`, issued
        at `issued_at`, still stands (lianxin.person_access.refusal)."""
        reason = refusal(self.person(person_id), role, issued_at)
        if reason is not None:
            raise Unauthenticated(reason)


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
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)), load_default=list(DEFAULT_CHANNELS)
    )
    hotline_id = fields.String(allow_none=True, load_default=None)

    @post_load
    def record(self, data: dict[str, Any], **kwargs: Any) -> KeyRecord:
        return KeyRecord(
            **{
                **data,
                "scopes": tuple(data["scopes"]),
                "communities": tuple(data["communities"]),
                "channels": tuple(data["channels"]),
            }
        )


KEY_EVENTS = PayloadSchemas({("apikey.changed", 1): KeyChanged()})


class AccessReplicaStore(DependencyProvider):
    """A service's copies of what access is judged by: the keys the cases service issues
    (every service but cases) and the people's access roster publishes (every service).

    Keys never change except to be revoked, and a revocation is final, so key events
    apply in any order: a key is inserted if absent, and a revoked state overwrites
    whatever is there. A person's access moves by `person_version`, under the person's
    lease (its own leases collection, as nothing here has an outbox), so that two
    replicas applying two versions at once keep the newer."""

    keyring = KeyRing()

    def setup(self) -> None:
        self.keyring.open()
        database = self.keyring.database
        settings = self.keyring.settings
        writes = ConditionalWrites(Engine.detect(database, settings.mongo_engine))
        leases = Leases(
            database[f"{PERSON_ACCESS_COLLECTION}_leases"],
            writes,
            settings.lease_ttl_seconds,
            settings.lease_wait_seconds,
        )
        self._keys = database[KEYS_COLLECTION]
        self._people = AggregateStore(
            database[PERSON_ACCESS_COLLECTION], leases, writes, _no_outbox
        )

    def get_dependency(self, worker_ctx) -> AccessReplicaStore:
        return self

    def apply_key(self, record: KeyRecord) -> None:
        document = record.to_document()
        if record.revoked_at is not None:
            self._keys.replace_one({"_id": record.id}, document, upsert=True)
            return
        with contextlib.suppress(DuplicateKeyError):  # known already, perhaps revoked
            self._keys.insert_one(document)

    def apply_person(self, access: PersonAccess) -> None:
        with self._people.change(access.person_id) as change:
            stored = PersonAccess.from_document(change.document) if change.document else None
            kept = merged(stored, access)
            if kept is not None:
                change.save(kept.to_document())

    def person(self, person_id: str) -> PersonAccess | None:
        return self.keyring.person(person_id)


def _no_outbox(message: Mapping[str, Any]) -> None:
    raise AssertionError("the access replica emits no events")  # pragma: no cover


PERSON_EVENTS = PayloadSchemas({("person.changed", 1): PersonAccessChanged()})


class PersonAccessReplica:
    """Mixed into every service: keeps the people's access up to date, so a person token,
    a person-bound key or a signed link of someone deactivated, or whose role changed,
    is refused here within seconds of roster saying so."""

    access_replica = AccessReplicaStore()

    @event_handler("roster", "person.changed", from_source_only=True)
    def on_person_access_changed(self, message):
        self.access_replica.apply_person(PERSON_EVENTS.read(message).payload)


class KeyReplica(PersonAccessReplica):
    """Mixed into every service but cases: keeps the key replica up to date. A revoked
    key is refused as soon as the event is applied and the KeyRing's short cache ends."""

    @event_handler("cases", "apikey.changed", from_source_only=True)
    def on_api_key_changed(self, message):
        self.access_replica.apply_key(KEY_EVENTS.read(message).payload)


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
