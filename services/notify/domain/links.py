"""Two-way action links: signed, expiring, single-use links to accept, decline or resolve.

A link carries who may do what to which case, when it was issued and until when,
signed with itsdangerous under the services' token secret (its own salt, so a link
is never taken for a person token, nor the reverse). The secret never leaves the
services: webhook receivers, who know the webhook signing secret, cannot forge one.

Opening a link (GET) shows the case and a confirm button and changes nothing: chat
previews and mail scanners fetch every link. Only the POST of that page acts; it
carries a confirmation tied to the link (`confirmation`), so a POST that did not come
from the page is refused. A link names the delivery that carried it (`key`): the page
shows what that message told the person, and each action of a delivery is used once
(its use is a unique insert, in store.py). Plain Python: no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

ACTIONS = ("accept", "decline", "resolve")
CODES = {"accept": "a", "decline": "d", "resolve": "r"}  # short: a link may go by SMS
SALT = "lianxin.notify.action-link"
CONFIRM_SALT = b"lianxin.notify.action-link.confirm"
DEFAULT_ROLE = "volunteer"
LINK_PATH = "/v1/links/"
# Links of the messages that ask a person to take a case (accept, decline); resolving is
# offered once they have accepted, on the page that says so.
OFFERING = frozenset({"case.dispatched", "case.assigned"})


class LinkRefused(Exception):
    """The link did not act; the subclass says why, `state` is the case's state if known."""

    reason = "refused"

    def __init__(self, message: str, state: str | None = None):
        super().__init__(message)
        self.state = state

    def details(self) -> dict[str, str]:
        """Added to the error answer: the case's state, when known (the code says why)."""
        return {"state": self.state} if self.state else {}


class LinkInvalid(LinkRefused):
    reason = "invalid"  # altered, cut short, or never issued


class LinkExpired(LinkRefused):
    reason = "expired"


class LinkRevoked(LinkRefused):
    reason = "revoked"  # the person is inactive, or their access was reset after it was issued


class LinkUsed(LinkRefused):
    reason = "used"

    def __init__(self, message: str, state: str | None = None, follow_up: Any = None):
        super().__init__(message, state)
        self.follow_up: dict[str, str] = dict(follow_up or {})  # e.g. resolve, once accepted


class Unconfirmed(LinkRefused):
    reason = "unconfirmed"  # a POST that did not come from the link's own page


class WrongPerson(LinkRefused):
    reason = "wrong_person"  # the case went to someone else


class NotPossible(LinkRefused):
    reason = "not_possible"  # already taken, or the case is past this step


class CasesUnavailable(LinkRefused):
    reason = "unavailable"  # the cases service did not answer: nothing was done


@dataclass(frozen=True)
class ActionLink:
    key: str  # the delivery that carried it
    case_id: str
    action: str
    person_id: str
    role: str
    issued_at: datetime
    expires_at: datetime

    @property
    def use_id(self) -> str:
        """What its single use is recorded under: one use per action of a delivery."""
        return f"{self.key}:{self.action}"


class ActionLinks:
    def __init__(self, secret: str, public_url: str):
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._confirm_key = hmac.new(secret.encode(), CONFIRM_SALT, hashlib.sha256).digest()
        self._base = public_url.rstrip("/") + LINK_PATH
        parts = urlsplit(public_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def issue(
        self,
        key: str,
        case_id: str,
        action: str,
        person_id: str,
        issued_at: datetime,
        expires_at: datetime,
        role: str = DEFAULT_ROLE,
    ) -> str:
        if action not in ACTIONS:
            raise ValueError(f"no action link for {action!r}")
        claims: list[Any] = [
            key,
            case_id,
            CODES[action],
            person_id,
            int(issued_at.timestamp() * 1000),  # ms: a revocation in the same second counts
            int(expires_at.timestamp()),
        ]
        if role != DEFAULT_ROLE:
            claims.append(role)
        return self._base + self._serializer.dumps(claims)

    def read(self, token: str, now: datetime) -> ActionLink:
        """The link a token stands for; raises LinkInvalid or LinkExpired."""
        try:
            claims = self._serializer.loads(token)
            key, case_id, code, person_id, issued, expires = claims[:6]
            actions = {short: action for action, short in CODES.items()}
            issued_at = datetime.fromtimestamp(int(issued) / 1000, UTC)
            link = ActionLink(
                key=str(key),
                case_id=str(case_id),
                action=actions[code],
                person_id=str(person_id),
                role=str(claims[6]) if len(claims) > 6 else DEFAULT_ROLE,
                issued_at=issued_at,
                expires_at=datetime.fromtimestamp(int(expires), UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError, IndexError, OverflowError):
            raise LinkInvalid("This link is not valid.") from None
        if now >= link.expires_at:
            raise LinkExpired("This link has expired.")
        return link

    def confirmation(self, link: ActionLink) -> str:
        """What the link's page sends back with its POST: tied to this link's use, and
        made with the services' secret, so no other page can make it."""
        mac = hmac.new(self._confirm_key, link.use_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def confirms(self, link: ActionLink, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.confirmation(link), str(given))


def lifetimes(
    template: str,
    payload: Mapping[str, Any],
    now: datetime,
    accept_for: timedelta,
    longest: timedelta,
) -> dict[str, datetime]:
    """Until when each action link of a message is good: accept and decline until the
    offer expires (or the accept deadline), else for `accept_for`; never past `longest`.
    Only the messages that offer a case carry links."""
    if template not in OFFERING:
        return {}
    known = payload.get("offer_expires_at") or payload.get("accept_by")
    until = min(known if isinstance(known, datetime) else now + accept_for, now + longest)
    return {"accept": until, "decline": until}
