"""The person acting through an integration's key: signed, timed person tokens.

The person is named by a person token (`X-Lianxin-Person`): signed and timed with
itsdangerous, never taken from a request body. The actor then has the key's scopes, the
token's person and role, and the communities both allow. A token stands only while the
person is active in the roster, holds the role it names, and was issued after the
person's access last changed (lianxin.access.person_access; checked by the key ring).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from nameko.extensions import DependencyProvider

from lianxin.access.actors import ALL_COMMUNITIES, Actor, Unauthenticated
from lianxin.access.progress_links import ProgressLinks
from lianxin.clock import utc_now
from lianxin.config import DEV_TOKEN_SECRET, Settings

PERSON_HEADER = "X-Lianxin-Person"
TOKEN_SALT = "lianxin.person"


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
        issued = int(utc_now().timestamp() * 1000)  # domain time, as access changes are
        claims = {"p": person_id, "r": role, "c": sorted(communities), "i": issued}
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


class TokenIssuer(DependencyProvider):
    """Person tokens for a worker to issue (an admin endpoint, action links), and the
    residents' progress links to read (lianxin.access.progress_links): both signed with
    the services' token secret, each under its own salt."""

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        self.max_age_seconds = settings.person_token_max_age_seconds
        secret = settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET)
        self.tokens = PersonTokens(secret)
        self.progress_links = ProgressLinks(secret)

    def get_dependency(self, worker_ctx) -> TokenIssuer:
        return self
