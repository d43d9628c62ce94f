"""Signing in by phone number and a one-time SMS code, staying signed in, signing out.

Asking for a code answers the same whatever the number: a number of nobody who may sign
in gets a code record too (never sent), is counted by the same limits, and the page says
"if this number may sign in, a code is on its way" either way. The code goes to the person
through notify (apis.Services.send_sign_in_code), never into a log, an event or a stored
delivery in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from lianxin.access.person_access import PersonAccess
from services.console.apis import ApiError
from services.console.domain import codes, limits, sessions
from services.console.domain.codes import Outcome
from services.console.domain.phones import normalized, phone_digest
from services.console.domain.sessions import Session
from services.console.store import ConsoleStore

log = logging.getLogger(__name__)


class CodeSender(Protocol):
    def send_sign_in_code(self, person_id: str, code: str) -> None: ...


class Asked(Enum):
    SENT = "sent"  # what every number is told, sent or not
    INVALID = "invalid"  # not a mobile number: the form says so
    LIMITED = "limited"  # too many codes for this number or from this address


@dataclass(frozen=True)
class SignedIn:
    session_id: str  # for the cookie; the store keeps only its digest
    session: Session


def ask_for_code(
    store: ConsoleStore,
    sender: CodeSender,
    secret: str,
    phone_text: str,
    address: str,
    now: datetime,
) -> Asked:
    phone = normalized(phone_text)
    if phone is None:
        return Asked.INVALID
    digest = phone_digest(secret, phone)
    if not (
        store.count(limits.CODES_PER_ADDRESS, address, now)
        and store.count(limits.CODES_PER_PHONE, digest, now)
    ):
        return Asked.LIMITED
    member = store.member_by_phone(digest)
    person_id = member.person_id if member is not None and member.console_role else None
    code = codes.new_code()
    with store.code_change(digest) as change:
        change.save(codes.issue(secret, digest, person_id, code, now))
    if person_id is not None:
        try:
            sender.send_sign_in_code(person_id, code)
        except ApiError as exc:  # the person asks again; the answer stays the same
            log.warning("sign-in code for a person not sent: notify answered %s", exc.status)
    return Asked.SENT


class Refused(Exception):
    """A sign-in refused: the outcome says why (wrong, locked, expired, none, limited)."""

    def __init__(self, outcome: str):
        super().__init__(outcome)
        self.outcome = outcome


def sign_in(
    store: ConsoleStore,
    secret: str,
    phone_text: str,
    code: str,
    address: str,
    now: datetime,
) -> SignedIn:
    """A new session for the person the code was sent to, or Refused."""
    phone = normalized(phone_text)
    if phone is None:
        raise Refused(Outcome.NONE.value)
    if not store.count(limits.TRIES_PER_ADDRESS, address, now):
        raise Refused("limited")
    digest = phone_digest(secret, phone)
    with store.code_change(digest) as change:
        kept, outcome = codes.attempt(change.value, secret, code, now)
        if kept is not None and kept != change.value:
            change.save(kept)
    if outcome is not Outcome.ACCEPTED or kept is None or kept.person_id is None:
        raise Refused(outcome.value)
    member = store.member(kept.person_id)
    role = member.console_role if member is not None else None
    if member is None or role is None:
        raise Refused(Outcome.NONE.value)
    session_id = sessions.new_session_id()
    session = sessions.start(
        session_id, member.person_id, member.display_name, role, member.scope(role), now
    )
    store.start_session(session)
    return SignedIn(session_id, session)


def current(
    store: ConsoleStore,
    session_id: str | None,
    access_of: Callable[[str], PersonAccess | None],
    now: datetime,
) -> Session | None:
    """The session the cookie names, while it stands (the person's access read from the
    shared replica by `access_of`); an ended one is removed."""
    if not session_id:
        return None
    digest = sessions.session_digest(session_id)
    session = store.session(digest)
    if session is None:
        return None
    if sessions.ended(session, access_of(session.person_id), now) is not None:
        store.end_session(digest)
        return None
    touched = session.touched(now)
    if touched is not None:
        store.touch_session(touched)
        return touched
    return session


def sign_out(store: ConsoleStore, session: Session) -> None:
    store.end_session(session.id_digest)
