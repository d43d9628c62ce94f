"""A notice's reading link: the capability to read one notice and say it was read, without
an account.

Each SMS of a notice carries its own link to the console's public page,
`/r/notice/<token>`. The token names the notice and the delivery that carried it (so a
read is counted for that recipient, once) and when it expires. It is signed with the
services' token secret under a salt of its own, so it is never taken for a person token,
an action link or a progress link, nor the reverse. notify issues it and reads it; the
console's page only passes it on.

Why LIFETIME is 30 days: a notice (a water cut, a fire drill) is read within days;
past that a forwarded link stops showing it. Plain Python: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lianxin.notice"
LIFETIME = timedelta(days=30)
PAGE_PATH = "/r/notice/"  # under the console's address (NOTIFY_CONSOLE_URL)


class NoticeLinkRefused(Exception):
    """Altered, cut short, never issued, or expired: answered as a page that does not exist."""


@dataclass(frozen=True)
class NoticeReader:
    notice_id: str
    delivery_id: str


class NoticeLinks:
    def __init__(self, secret: str):
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def url(self, console_url: str, notice_id: str, delivery_id: str, issued_at: datetime) -> str:
        expires = int((issued_at + LIFETIME).timestamp())
        token = self._serializer.dumps([notice_id, delivery_id, expires])
        return console_url.rstrip("/") + PAGE_PATH + token

    def read(self, token: str, now: datetime) -> NoticeReader:
        """The notice and delivery a token names, or NoticeLinkRefused (the same for every
        reason)."""
        try:
            notice_id, delivery_id, expires = self._serializer.loads(token)
            if not (isinstance(notice_id, str) and isinstance(delivery_id, str)):
                raise ValueError("not a notice token")
            expired = now >= datetime.fromtimestamp(int(expires), UTC)
        except (BadSignature, TypeError, ValueError, OverflowError):
            raise NoticeLinkRefused("No such notice.") from None
        if expired:
            raise NoticeLinkRefused("No such notice.")
        return NoticeReader(notice_id, delivery_id)
