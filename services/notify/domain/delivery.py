"""Deliveries, their life and their signatures. Plain Python: no nameko, no pymongo.

A delivery is one message to one recipient over one channel, for one cause (an
event, an alert). Its id is derived from the three, so a redelivered event finds
the delivery it already made and sends nothing twice.

    pending ──send──► sent
       │  ▲
       │  └─ retry due ─┐
       └─fail─► failed ─┘──last attempt──► dead ──► the next channel in the chain
    pending ──burst──► bundled (into one digest delivery)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lianxin.backoff import BackOff

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
# Messages a digest would lose: a notice's own text and its reader's link (a digest lists
# only subjects). Never bundled, whatever the rate.
ON_THEIR_OWN = frozenset({"notice"})
DELIVERY_NAMESPACE = uuid.UUID("a3d2e1f0-5b6c-4d7e-8f90-1a2b3c4d5e6f")
ERROR_LIMIT = 300
HISTORY_LIMIT = 12  # attempts kept per delivery; max_attempts stays below it


class DeliveryFailed(Exception):
    """The channel did not take the message this time; another attempt may succeed."""


class PermanentFailure(DeliveryFailed):
    """Retrying cannot help (no such address, the channel is not configured, 4xx):
    the delivery goes dead at once and the next channel is tried."""


class DeliveryNotFound(Exception):
    pass


class NotDead(Exception):
    """Only a dead delivery may be sent again (an operator's retry)."""

    def __init__(self, state: str):
        super().__init__(f"Only a dead delivery can be sent again; this one is {state}.")
        self.state = state

    def details(self) -> dict[str, str]:
        return {"state": self.state}


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

    @classmethod
    def over(
        cls,
        chain: Sequence[Contact],
        cause_id: str,
        kind: str,
        recipient: Recipient,
        message: Mapping[str, Any],
        created_at: datetime,
        about: Mapping[str, Any],
        *,
        urgent: bool = False,
        bundle: tuple[Mapping[str, Any], ...] = (),
    ) -> Delivery:
        """A new delivery over the first channel of `chain`, the rest to follow should it
        die; `about` names its community, case and category."""
        contact = chain[0]
        return cls(
            id=delivery_id(cause_id, recipient, contact),
            cause_id=cause_id,
            kind=kind,
            recipient=recipient,
            contact=contact,
            message=message,
            created_at=created_at,
            community_id=about.get("community_id") or "",
            case_id=about.get("case_id"),
            category=about.get("category") or "",
            urgent=urgent,
            fallbacks=tuple(chain[1:]),
            bundle=bundle,
        )

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
            and self.kind not in ON_THEIR_OWN
            and self.kind != "digest"
            and self.attempts == 0
            and not self.contact.address.startswith("group:")
        )

    def expects(self, deadline_id: str) -> bool:
        """Whether an attempt deadline may act on it: one that arrives twice, or late after
        the delivery moved on, finds it no longer expecting it and does nothing."""
        return self.open and self.expected_deadline in (None, deadline_id)

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

    def on_next_channel(self, at: datetime) -> Delivery | None:
        """The same message to the same recipient over the next channel of its chain, once
        this one died; None when no channel is left."""
        if not self.fallbacks:
            return None
        about = {"community_id": self.community_id, "case_id": self.case_id}
        return Delivery.over(
            self.fallbacks,
            self.cause_id,
            self.kind,
            self.recipient,
            self.message,
            at,
            {**about, "category": self.category},
            urgent=self.urgent,
            bundle=self.bundle,
        )

    def _with(self, attempt: Attempt) -> tuple[Attempt, ...]:
        return (*self.history, attempt)[-HISTORY_LIMIT:]
