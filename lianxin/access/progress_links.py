"""A resident's progress link: the capability to follow one case, without an account.

Each progress message to a resident (notify) carries a link to the console's progress
page, `/r/<token>`. The token names the case whose progress it shows and the case that
resident reported: the same case for its reporter, or a duplicate merged into it for a
resident who joined it that way (a follower). It is signed with the services' token secret
under its own salt, so it is never taken for a person token or an action link, nor the
reverse; notify issues it, cases reads it (and decides what it shows: the rule is cases').

Why it lasts LIFETIME (90 days from the message that carried it): the first message
(dispatched) must still open the page when the case closes — time limits, extensions and
suspensions stretch a case over weeks — and the closing message's link must still let the
resident rate and look back a season later; past that a forwarded or leaked link stops
showing the case. Each message carries a fresh token, so the last one sets the window.

Plain Python: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lianxin.progress"
LIFETIME = timedelta(days=90)
PAGE_PATH = "/r/"  # under the console's address (NOTIFY_CONSOLE_URL)


class ProgressLinkRefused(Exception):
    """Altered, cut short, never issued, or expired: answered as a page that does not exist."""


@dataclass(frozen=True)
class ProgressReader:
    """Whom a progress link was sent to: the case it shows, the case they reported."""

    case_id: str
    reported: str

    @property
    def is_reporter(self) -> bool:
        """The case's own reporter (not a follower who joined it by a merged duplicate)."""
        return self.case_id == self.reported


class ProgressLinks:
    """Issue and read progress tokens with the services' token secret."""

    def __init__(self, secret: str):
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def token(self, case_id: str, reported: str, issued_at: datetime) -> str:
        """The token of a link good for LIFETIME from `issued_at`; short for its reporter
        (it may go by SMS)."""
        expires = int((issued_at + LIFETIME).timestamp())
        claims: list[str | int] = [case_id, expires]
        if reported != case_id:
            claims.append(reported)
        return self._serializer.dumps(claims)

    def url(self, console_url: str, case_id: str, reported: str, issued_at: datetime) -> str:
        return console_url.rstrip("/") + PAGE_PATH + self.token(case_id, reported, issued_at)

    def read(self, token: str, now: datetime) -> ProgressReader:
        """The reader a token names, or ProgressLinkRefused (the same for every reason)."""
        try:
            claims = self._serializer.loads(token)
            case_id, expires = str(claims[0]), int(claims[1])
            reported = str(claims[2]) if len(claims) > 2 else case_id
            if len(claims) > 3 or not case_id or not reported:
                raise ValueError("not a progress token")
            expired = now >= datetime.fromtimestamp(expires, UTC)
        except (BadSignature, TypeError, ValueError, IndexError, KeyError, OverflowError):
            raise ProgressLinkRefused("No such progress page.") from None
        if expired:
            raise ProgressLinkRefused("No such progress page.")
        return ProgressReader(case_id, reported)
