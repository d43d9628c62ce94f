"""One-time codes: six digits, valid five minutes, five tries — a sign-in code, or a
resident's verification code on the scan-to-report page (kept apart, by the same rule).

A code is stored only as a keyed digest (with the phone's digest mixed in, so one code's
digest says nothing of another number's), beside who it signs in (None when the number
belongs to nobody who may sign in: the code is then never sent, but the record is kept
the same way, so that asking for a code answers the same whether or not the number is
known and a wrong guess counts the same). A fifth wrong try locks the code; a new code
replaces the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from lianxin.clock import real_span

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5


class Outcome(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # tries left
    LOCKED = "locked"  # the fifth wrong try, or a try after it
    EXPIRED = "expired"
    NONE = "none"  # no code was asked for this number, or it was used


@dataclass(frozen=True)
class SignInCode:
    phone_digest: str
    code_digest: str
    person_id: str | None
    issued_at: datetime
    tries: int = 0
    used: bool = False

    @property
    def locked(self) -> bool:
        return self.tries >= MAX_TRIES


def new_code() -> str:
    """Six random digits, leading zeros kept."""
    return str(secrets.randbelow(10**CODE_DIGITS)).zfill(CODE_DIGITS)


def code_digest(secret: str, phone_digest: str, code: str) -> str:
    message = f"code:{phone_digest}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue(secret: str, phone_digest: str, person_id: str | None, code: str, now: datetime):
    """The record of a new code for this number (it replaces any earlier one)."""
    return SignInCode(phone_digest, code_digest(secret, phone_digest, code), person_id, now)


def attempt(
    stored: SignInCode | None, secret: str, code: str, now: datetime, for_a_person: bool = True
) -> tuple[SignInCode | None, Outcome]:
    """Try `code` against the stored record: the record as it must be kept (a try counted,
    or the code used up) and the outcome. A sign-in code is accepted only when it was
    issued for a person (`for_a_person`); a resident's verification code, sent to every
    number it is asked for (domain/residents_report.py), is accepted whoever it is."""
    if stored is None or stored.used:
        return stored, Outcome.NONE
    if stored.locked:
        return stored, Outcome.LOCKED
    if real_span(now - stored.issued_at) >= CODE_LIFETIME:  # real time, as a session's
        return stored, Outcome.EXPIRED
    given = code_digest(secret, stored.phone_digest, code.strip())
    if hmac.compare_digest(given, stored.code_digest) and (
        stored.person_id is not None or not for_a_person
    ):
        return replace(stored, used=True), Outcome.ACCEPTED
    tried = replace(stored, tries=stored.tries + 1)
    return tried, (Outcome.LOCKED if tried.locked else Outcome.WRONG)
