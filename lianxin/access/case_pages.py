"""The signed link from a message to one case's page in the console (`/v/<token>`).

Notify puts it in the message that offers or assigns a case to a person; the console opens
that case's page from it without a password. The link is signed with itsdangerous under
the services' token secret (TOKEN_SECRET, which both know) with a salt of its own, so it
is never taken for a person token or a notify action link, nor the reverse. It names the
person, the case, when it was issued (to the millisecond: an access change in the same
second counts) and until when; the role the page acts in is the person's as the console
knows it when the link is opened (any change of roles voids the link: it changes the
person's `access_since`).

A link is a bearer credential for that one case only: whoever holds it (a forwarded
message) sees and acts on that case, never on the person's other pages, and it is void
once its time is up or the person's access changes (lianxin.access.person_access).
Plain Python: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lianxin.console.case-page"
LINK_PATH = "/v/"  # the console's route; notify strips it from a group's copy of a message


class CasePageLinkInvalid(Exception):
    """Altered, cut short, signed with another secret or salt, or never issued."""


class CasePageLinkExpired(Exception):
    pass


@dataclass(frozen=True)
class CasePageLink:
    person_id: str
    case_id: str
    issued_at: datetime
    expires_at: datetime


class CasePageLinks:
    """Issues (notify) and reads (the console) the links to a person's case page."""

    def __init__(self, secret: str):
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def token(self, link: CasePageLink) -> str:
        return self._serializer.dumps(
            [
                link.person_id,
                link.case_id,
                int(link.issued_at.timestamp() * 1000),
                int(link.expires_at.timestamp()),
            ]
        )

    def url(self, console_url: str, link: CasePageLink) -> str:
        return console_url.rstrip("/") + LINK_PATH + self.token(link)

    def read(self, token: str, now: datetime) -> CasePageLink:
        """The link a token stands for; CasePageLinkInvalid or CasePageLinkExpired."""
        try:
            person_id, case_id, issued, expires = self._serializer.loads(token)
            link = CasePageLink(
                person_id=_text(person_id),
                case_id=_text(case_id),
                issued_at=datetime.fromtimestamp(int(issued) / 1000, UTC),
                expires_at=datetime.fromtimestamp(int(expires), UTC),
            )
        except (BadSignature, TypeError, ValueError, OverflowError, OSError):
            raise CasePageLinkInvalid("This link is not valid.") from None
        if now >= link.expires_at:
            raise CasePageLinkExpired("This link has expired.")
        return link


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a name")
    return value
