"""Deliveries, their life and their signatures. Plain Python: no nameko, no pymongo.

A delivery is one message to one recipient over one channel, for one cause (an
event, an alert). Its id is derived from the three, so a redelivered event finds
the delivery it already made and sends nothing twice.

    pending ──send──► sent
       │  ▲
       │  └─ retry due ─┐
       └─fail─► failed ─┘──last attempt──► dead ──► the next channel in the chain
    pending ──burst──► bundled (into one digest delivery)

Webhook bodies are signed like Stripe's: HMAC-SHA256 over "<timestamp>.<body>",
sent as `X-Lianxin-Signature: t=<timestamp>,v1=<hex>`, so a receiver can check
both who sent it and that it is fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lianxin.backoff import BackOff

SIGNATURE_HEADER = "X-Lianxin-Signature"
DELIVERY_HEADER = "X-Lianxin-Delivery"
DEV_SIGNING_SECRET = "dev-only-signing-secret"  # accepted in dev mode only (lianxin.config)

OPEN_STATES = frozenset({"pending", "failed"})
# Messages whose worth runs out with a deadline (an offer's, a time limit's) or that ask
# for action now: never held back for a digest, whatever the rate. A digest may bundle
# the rest (decisions, notices, non-urgent alerts).
TIME_CRITICAL = frozenset(
    {
        "case.dispatched",
        "case.assigned",
        "case.escalated",
        "case.emergency",
        "case.warning",
        "case.overdue",
        "shift.starting",
    }
)
DELIVERY_NAMESPACE = uuid.UUID("a3d2e1f0-5b6c-4d7e-8f90-1a2b3c4d5e6f")
ERROR_LIMIT = 300
HISTORY_LIMIT = 12  # attempts kept per delivery; max_attempts stays below it


class DeliveryFailed(Exception):
    """The channel did not take the message this time; another attempt may succeed."""


class PermanentFailure(DeliveryFailed):
    """Retrying cannot help (no such address, the channel is not configured, 4xx):
    the delivery goes dead at once and the next channel is tried."""


# Signatures


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """True when the signature matches and is no older than `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), header.encode())


# Redaction: what may be shown of an address or an error


URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
SECRET_PARAMETER = re.compile(
    r"((?:access_token|token|key|secret|sign|signature|password|passwd|api_key|apikey)=)"
    r"[^&\s'\"]+",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """scheme://host/path with the query (robot keys, DingTalk signatures) and any user
    info cut: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """An error or provider answer fit for the API, events, headers and logs: URLs without
    their query, `key=…` parameters blanked, and every known secret replaced."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    text = URL.sub(lambda match: redact_url(match.group()), text)
    return SECRET_PARAMETER.sub(r"\1[redacted]", text)[:ERROR_LIMIT]


def show_address(channel: str, address: str) -> str:
    """An address as the API shows it: phones and e-mail masked, URLs without secrets."""
    if address.startswith("group:"):
        return address
    if channel == "sms":
        return address[:3] + "****" + address[-4:] if len(address) >= 7 else "****"
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return redact_url(address) if "://" in address else address


# Deliveries


@dataclass(frozen=True)
class Recipient:
    kind: str  # person | group | resident | hotline | staff
    key: str  # person id, group name, case id (resident), hotline id
    name: str = ""  # masked display name


@dataclass(frozen=True)
class Contact:
    """One way to reach a recipient: a channel and an address on it. A group address
    (`group:<community>/<name>`) is resolved from the routes when sent."""

    channel: str
    address: str

    @property
    def route(self) -> str:
        """Part of the delivery id: the channel, and the group when sent to one."""
        if self.address.startswith("group:"):
            return f"{self.channel}@{self.address}"
        return self.channel

    def to_dict(self) -> dict[str, str]:
        return {"channel": self.channel, "address": self.address}


def delivery_id(cause_id: str, recipient: Recipient, contact: Contact) -> str:
    """One delivery per (cause, recipient, channel): the id is derived from the three."""
    name = f"{cause_id}|{recipient.kind}:{recipient.key}|{contact.route}"
    return "DL-" + uuid.uuid5(DELIVERY_NAMESPACE, name).hex[:20].upper()


@dataclass(frozen=True)
class Attempt:
    at: datetime
    ok: bool
    error: str = ""
    response: str = ""


@dataclass(frozen=True)
class Delivery:
    id: str
    cause_id: str  # the event (or alert) that called for it
    kind: str  # the event type, `alert`, or `digest`
    recipient: Recipient
    contact: Contact
    message: Mapping[str, Any]  # the rendered Message (messages.py), sent as is on retries
    created_at: datetime
    community_id: str = ""
    case_id: str | None = None
    category: str = ""
    urgent: bool = False
    fallbacks: tuple[Contact, ...] = ()  # the next channels, in order, should this one die
    state: str = "pending"
    attempts: int = 0
    history: tuple[Attempt, ...] = ()
    next_attempt_at: datetime | None = None
    expected_deadline: str | None = None  # the one attempt deadline that may still act
    sent_at: datetime | None = None
    dead_at: datetime | None = None
    bundled_into: str | None = None
    bundle: tuple[Mapping[str, Any], ...] = field(default=())  # a digest's items

    @property
    def last_error(self) -> str:
        return next((attempt.error for attempt in reversed(self.history) if not attempt.ok), "")

    @property
    def provider_response(self) -> str:
        return self.history[-1].response if self.history else ""

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def may_wait_for_a_digest(self) -> bool:
        """Whether a person's rate limit may bundle it: a first attempt of a message that
        is not urgent nor time-critical, to the person's own channel."""
        return (
            self.recipient.kind == "person"
            and not self.urgent
            and self.kind not in TIME_CRITICAL
            and self.kind != "digest"
            and self.attempts == 0
            and not self.contact.address.startswith("group:")
        )

    def due(self, at: datetime, deadline_id: str) -> Delivery:
        """The next attempt is scheduled: only the deadline `deadline_id` may make it."""
        return replace(self, next_attempt_at=at, expected_deadline=deadline_id)

    def succeeded(self, at: datetime, response: str = "") -> Delivery:
        return replace(
            self,
            state="sent",
            attempts=self.attempts + 1,
            history=self._with(Attempt(at, True, response=response[:ERROR_LIMIT])),
            sent_at=at,
            next_attempt_at=None,
            expected_deadline=None,
        )

    def failed(self, at: datetime, error: str, back_off: BackOff, permanent: bool) -> Delivery:
        """A failed attempt: `failed` with the next attempt due, or `dead` when none is left."""
        attempts = self.attempts + 1
        delay = None if permanent else back_off.delay(attempts)
        history = self._with(Attempt(at, False, error=error[:ERROR_LIMIT]))
        if delay is None:
            return replace(
                self,
                state="dead",
                attempts=attempts,
                history=history,
                dead_at=at,
                next_attempt_at=None,
                expected_deadline=None,
            )
        return replace(
            self, state="failed", attempts=attempts, history=history, next_attempt_at=at + delay
        )

    def bundled(self, digest_id: str) -> Delivery:
        return replace(
            self,
            state="bundled",
            bundled_into=digest_id,
            next_attempt_at=None,
            expected_deadline=None,
        )

    def revived(self, at: datetime) -> Delivery:
        """An operator sends a dead delivery again (its cause fixed): a fresh set of attempts."""
        return replace(self, state="pending", attempts=0, dead_at=None, next_attempt_at=at)

    def next_in_chain(self) -> tuple[Contact, tuple[Contact, ...]] | None:
        return (self.fallbacks[0], self.fallbacks[1:]) if self.fallbacks else None

    def _with(self, attempt: Attempt) -> tuple[Attempt, ...]:
        return (*self.history, attempt)[-HISTORY_LIMIT:]
