"""Who may sign in, kept from roster's `person.changed`: the person (masked name, roles,
grids, community) and the index of them by the digest of their SMS number.

Events arrive in any order: a person changes only to a newer `person_version`. The phone
index is changed first and checked again by version, so a number that moved from one
person to another ends with the newer owner whichever event comes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.domain.phones import normalized, phone_digest
from services.console.domain.staff import StaffMember, sms_number
from services.console.store import ConsoleStore


def on_person_changed(store: ConsoleStore, secret: str, payload: Mapping[str, Any]) -> None:
    number = normalized(sms_number(payload.get("contacts", ())) or "")
    digest = phone_digest(secret, number) if number else None
    told = StaffMember.from_payload(payload, digest)
    with store.member_change(told.person_id) as change:
        stored = change.value
        if stored is not None and stored.person_version >= told.person_version:
            return
        if stored is not None and stored.phone_digest not in (None, digest):
            store.unindex_phone(stored.phone_digest, told.person_id)
        if digest is not None:
            store.index_phone(digest, told.person_id, told.person_version)
        change.save(told)
