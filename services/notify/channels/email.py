"""E-mail over SMTP: plain text and HTML, one total deadline for the whole conversation.

smtplib is imported green (eventlet.patcher) so that `eventlet.Timeout` bounds the
session in any process. A 5xx reply refuses for good; anything else is retried.
The Message-ID is derived from the delivery id, so a repeated send can be spotted.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import eventlet
from eventlet import patcher

from services.notify.channels.base import Target
from services.notify.domain.delivery import Delivery, DeliveryFailed, PermanentFailure
from services.notify.domain.messages import Message, one_line
from services.notify.domain.signatures import DELIVERY_HEADER
from services.notify.settings import NotifySettings


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
    ):
        self._smtplib = patcher.import_patched("smtplib")
        self._host, self._port = host, port
        self._sender = sender
        self._username, self._password = username, password
        self._starttls = starttls

    def send(self, delivery: Delivery, message: Message, target: Target, budget: float) -> str:
        email = self.compose(delivery, message, target.address)
        timeout = DeliveryFailed(f"SMTP {self._host}:{self._port} did not finish in {budget:g}s")
        try:
            with eventlet.Timeout(budget, timeout):
                return self._deliver(email, target.address, budget)
        except self._smtplib.SMTPResponseException as exc:
            error = f"SMTP {exc.smtp_code} from {self._host}"
            raise (PermanentFailure if exc.smtp_code >= 500 else DeliveryFailed)(error) from None
        except self._smtplib.SMTPRecipientsRefused:
            raise PermanentFailure(f"SMTP {self._host} refused the recipient") from None
        except (OSError, self._smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"{type(exc).__name__} talking to SMTP {self._host}") from None

    def compose(self, delivery: Delivery, message: Message, to: str) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = one_line(message.subject)  # a stored message may predate one_line
        email["From"] = formataddr(("连心 Lianxin", self._sender))
        email["To"] = to
        email["Message-ID"] = make_msgid(idstring=delivery.id, domain="lianxin.local")
        email[DELIVERY_HEADER] = delivery.id
        email.set_content(_with_links(message))
        email.add_alternative(message.html, subtype="html")
        return email

    def _deliver(self, email: EmailMessage, to: str, budget: float) -> str:
        with self._smtplib.SMTP(self._host, self._port, timeout=budget) as smtp:
            if self._starttls:
                smtp.starttls()
            if self._username:
                smtp.login(self._username, self._password)
            refused = smtp.send_message(email, to_addrs=[to])
        if refused:
            raise PermanentFailure(f"SMTP {self._host} refused the recipient")
        return f"250 accepted by {self._host}"


def _with_links(message: Message) -> str:
    links = "\n".join(f"{action}: {url}" for action, url in message.links.items())
    return f"{message.text}\n\n{links}".strip()


def from_settings(settings: NotifySettings) -> EmailChannel | None:
    """Only with an SMTP server configured."""
    if not settings.smtp:
        return None
    smtp = settings.smtp
    return EmailChannel(
        smtp.host, smtp.port, smtp.sender, smtp.username, smtp.password, smtp.starttls
    )
