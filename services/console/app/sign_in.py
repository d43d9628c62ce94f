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
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from lianxin.access.person_access import PersonAccess
from lianxin.store.typed import AggregateChange
from services.console.apis import ApiError
from services.console.domain import codes, limits, sessions
from services.console.domain.codes import Outcome, SignInCode
from services.console.domain.limits import Limit
from services.console.domain.phones import normalized, phone_digest
from services.console.domain.sessions import Session
from services.console.store import ConsoleStore

log = logging.getLogger(__name__)


# a code's record of a number under its lease (ConsoleStore.code_change, report_code_change)
CodeChange = Callable[[str], AbstractContextManager[AggregateChange[SignInCode]]]


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
    def signing_in(digest: str) -> str | None:
        member = store.member_by_phone(digest)
        return member.person_id if member is not None and member.console_role else None

    issued = issue_code(
        store.code_change, limits.CODES_PER_ADDRESS, store, secret, phone_text, address, now,
        signing_in,
    )  # fmt: skip
    if issued.person_id is not None:
        try:
            sender.send_sign_in_code(issued.person_id, issued.code)
        except ApiError as exc:  # the person asks again; the answer stays the same
            log.warning("sign-in code for a person not sent: notify answered %s", exc.status)
    return issued.asked


@dataclass(frozen=True)
class Issued:
    """A code asked for: whether it was made, and for a made one the number, the code (to
    send, never to keep) and who it signs in (None: nobody, or a resident's code)."""

    asked: Asked
    phone: str = ""
    code: str = ""
    person_id: str | None = None


def issue_code(
    code_change: CodeChange,
    per_address: Limit,
    store: ConsoleStore,
    secret: str,
    phone_text: str,
    address: str,
    now: datetime,
    person_of: Callable[[str], str | None] = lambda digest: None,
) -> Issued:
    """A new code for the number (kept under its lease by `code_change`: the sign-in
    codes', or a resident's) unless the text is no number, or the address (`per_address`)
    or the number (CODES_PER_PHONE, whichever page asks) had their codes."""
    phone = normalized(phone_text)
    if phone is None:
        return Issued(Asked.INVALID)
    digest = phone_digest(secret, phone)
    if not (
        store.count(per_address, address, now)
        and store.count(limits.CODES_PER_PHONE, digest, now)
    ):
        return Issued(Asked.LIMITED)
    person_id = person_of(digest)
    code = codes.new_code()
    with code_change(digest) as change:
        change.save(codes.issue(secret, digest, person_id, code, now))
    return Issued(Asked.SENT, phone, code, person_id)


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
    tried = try_code(
        store.code_change, limits.TRIES_PER_ADDRESS, store, secret, phone_text, code, address, now
    )
    if tried.outcome is not Outcome.ACCEPTED or tried.kept is None or tried.kept.person_id is None:
        raise Refused(tried.outcome.value)
    member = store.member(tried.kept.person_id)
    role = member.console_role if member is not None else None
    if member is None or role is None:
        raise Refused(Outcome.NONE.value)
    session_id = sessions.new_session_id()
    session = sessions.start(
        session_id, member.person_id, member.display_name, role, member.scope(role), now
    )
    store.start_session(session)
    return SignedIn(session_id, session)


@dataclass(frozen=True)
class CodeTry:
    """A try of a code: the number it was for, the code's record as kept, the outcome."""

    phone: str
    kept: SignInCode | None
    outcome: Outcome


def try_code(
    code_change: CodeChange,
    tries: Limit,
    store: ConsoleStore,
    secret: str,
    phone_text: str,
    code: str,
    address: str,
    now: datetime,
    for_a_person: bool = True,
) -> CodeTry:
    """Try `code` for the number under its lease (`code_change`: the sign-in codes', or a
    resident's), the try counted (domain/codes.py); Refused when the text is no number or
    the address is over its `tries`."""
    phone = normalized(phone_text)
    if phone is None:
        raise Refused(Outcome.NONE.value)
    if not store.count(tries, address, now):
        raise Refused("limited")
    with code_change(phone_digest(secret, phone)) as change:
        kept, outcome = codes.attempt(change.value, secret, code, now, for_a_person)
        if kept is not None and kept != change.value:
            change.save(kept)
    return CodeTry(phone, kept, outcome)


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
