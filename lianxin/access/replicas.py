"""The copies of what access is judged by, kept by every service from their owners' events.

The cases service owns the keys and publishes `apikey.changed`; every other service keeps
a replica in its own database (KeyReplica), and every service keeps one of the people's
access (PersonAccessReplica), each fed only by events that the source's broker user
published (lianxin.bus.consumer, `from_source_only`): anyone else who could put one on
the bus would otherwise mint keys or make someone staff.
"""

from __future__ import annotations

from lianxin.access.keys import KeyRecord
from lianxin.access.person_access import PersonAccess
from lianxin.access.store import AccessReplicaStore
from lianxin.bus.consumer import event_handler
from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.roster import ROSTER

# What the replicas need of their events: a person's access, and a key's identity and grant
PERSON_ACCESS = Reader(
    *ROSTER.reading(
        "person.changed", needs=("person_id", "community_id", "roles", "active", "person_version")
    )
)
KEY_CHANGES = Reader(
    *CASES.reading(
        "apikey.changed",
        needs=("id", "name", "secret_sha256", "scopes", "communities", "version"),
    )
)


class PersonAccessReplica:
    """Mixed into every service: keeps the people's access up to date, so a person token,
    a person-bound key or a signed link of someone deactivated, or whose role changed,
    is refused here within seconds of roster saying so."""

    access_replica = AccessReplicaStore()

    @event_handler("roster", "person.changed", from_source_only=True)
    def on_person_access_changed(self, message):
        self.access_replica.apply_person(
            PersonAccess.from_payload(PERSON_ACCESS.read(message).payload)
        )


class KeyReplica(PersonAccessReplica):
    """Mixed into every service but cases: keeps the key replica up to date. A revoked
    key is refused as soon as the event is applied and the KeyRing's short cache ends."""

    @event_handler("cases", "apikey.changed", from_source_only=True)
    def on_api_key_changed(self, message):
        self.access_replica.apply_key(KeyRecord.from_payload(KEY_CHANGES.read(message).payload))
