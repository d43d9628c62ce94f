"""Two-way action links: signed, expiring, single-use links to accept, decline or resolve.

A link carries who may do what to which case, and until when, signed with
itsdangerous under the services' token secret (its own salt, so a link is never
taken for a person token, nor the reverse). The secret never leaves the
services: webhook receivers, who know the webhook signing secret, cannot forge
one. Single use is decided by a unique insert of the link's id (store.py), not
here. Plain Python: no I/O.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

ACTIONS = ("accept", "decline", "resolve")
SALT = "lianxin.notify.action-link"
DEFAULT_ROLE = "volunteer"
LINK_PATH = "/v1/links/"


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


class LinkUsed(LinkRefused):
    reason = "used"


class WrongPerson(LinkRefused):
    reason = "wrong_person"  # the case went to someone else


class NotPossible(LinkRefused):
    reason = "not_possible"  # already taken, or the case is past this step


class CasesUnavailable(LinkRefused):
    reason = "unavailable"  # the cases service did not answer: nothing was done


@dataclass(frozen=True)
class ActionLink:
    id: str
    case_id: str
    action: str
    person_id: str
    role: str
    expires_at: datetime


class ActionLinks:
    def __init__(self, secret: str, public_url: str):
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._base = public_url.rstrip("/") + LINK_PATH

    def issue(
        self,
        case_id: str,
        action: str,
        person_id: str,
        expires_at: datetime,
        role: str = DEFAULT_ROLE,
    ) -> str:
        if action not in ACTIONS:
            raise ValueError(f"no action link for {action!r}")
        token = self._serializer.dumps(
            {
                "i": secrets.token_urlsafe(9),
                "c": case_id,
                "a": action,
                "p": person_id,
                **({"r": role} if role != DEFAULT_ROLE else {}),  # short: it may go by SMS
                "e": int(expires_at.timestamp()),
            }
        )
        return self._base + token

    def read(self, token: str, now: datetime) -> ActionLink:
        """The link a token stands for; raises LinkInvalid or LinkExpired."""
        try:
            claims = self._serializer.loads(token)
            link = ActionLink(
                id=str(claims["i"]),
                case_id=str(claims["c"]),
                action=str(claims["a"]),
                person_id=str(claims["p"]),
                role=str(claims.get("r") or DEFAULT_ROLE),
                expires_at=datetime.fromtimestamp(int(claims["e"]), UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            raise LinkInvalid("This link is not valid.") from None
        if link.action not in ACTIONS:
            raise LinkInvalid("This link is not valid.")
        if now >= link.expires_at:
            raise LinkExpired("This link has expired.")
        return link
