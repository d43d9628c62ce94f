"""Whether a credential that names a person still stands: the person is active, holds the
role it names, and was issued after the person's access last changed.

A person token, a person-bound key, a signed action link and a console session all name
a person and a role. Roster owns the people; its `person.changed` carries `active`,
`roles`, `community_id` and `access_since`, the moment the person's access last changed
(first import, a change of roles, community or `active`). Every service keeps a replica
of those few fields (`person_access`, written by `PersonAccessReplica`), so that a
deactivation or a change of role voids every credential issued before it within
seconds, everywhere: the replica is read by `_id` on each request, with the same short
cache as the keys.

The rules are plain Python (`refusal`); the replica's write goes through the shared
aggregate store, so that two replicas applying two versions at once keep the newer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

PERSON_ACCESS_COLLECTION = "person_access"


@dataclass(frozen=True)
class PersonAccess:
    """What every service knows of a person, to judge the credentials naming them."""

    person_id: str
    community_id: str
    roles: tuple[str, ...]
    active: bool
    person_version: int
    access_since: datetime | None = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> PersonAccess:
        return cls(
            person_id=document["_id"],
            community_id=document["community_id"],
            roles=tuple(document.get("roles", ())),
            active=bool(document.get("active", False)),
            person_version=int(document.get("person_version", 0)),
            access_since=document.get("access_since"),
        )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PersonAccess:
        """What roster's `person.changed` says of the person's access (the contacts and
        the rest are roster's and notify's business)."""
        return cls.from_document({**payload, "_id": payload["person_id"]})

    def to_document(self) -> dict[str, Any]:
        return {
            "_id": self.person_id,
            "community_id": self.community_id,
            "roles": list(self.roles),
            "active": self.active,
            "person_version": self.person_version,
            "access_since": self.access_since,
        }


def refusal(
    access: PersonAccess | None, role: str | None, issued_at: datetime | None
) -> str | None:
    """Why a credential naming this person as `role`, issued at `issued_at`, no longer
    stands; None when it does. A person the roster never published is refused too: a
    credential vouches for someone the community knows."""
    if access is None:
        return "The person is not known."
    if not access.active:
        return "The person is no longer active."
    if role is not None and role not in access.roles:
        return "The person no longer holds this role."
    if access.access_since is not None and (issued_at is None or issued_at < access.access_since):
        return "The person's access changed after this was issued."
    return None


def merged(stored: PersonAccess | None, told: PersonAccess) -> PersonAccess | None:
    """What a replica keeps once told of a person: nothing new (None) unless the version is
    newer, as events arrive in any order. `access_since` only moves forward: an event that
    leaves it out, or names an earlier one, does not bring void credentials back."""
    if stored is not None and stored.person_version >= told.person_version:
        return None
    since = [at for at in (stored and stored.access_since, told.access_since) if at is not None]
    return replace(told, access_since=max(since, default=None))
