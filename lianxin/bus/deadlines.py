"""Deadlines that survive restarts without a scan of the database.

An SLA breach, an offer's expiry, the next escalation step, a shift reminder: each
is a Deadline, saved in the aggregate's outbox with the change that sets it, so it
exists exactly when that change does. The outbox relay sends it through the service's
own delay tiers (lianxin.bus.delays) to its queue `<service>.deadline.<kind>`,
hopping tier by tier until it is due; an early arrival goes round again.

A deadline is never cancelled. When it fires, its handler (lianxin.bus.consumer's
`on_deadline`) changes the aggregate under its lease and decides from the state
whether the deadline still matters: an offer already accepted ignores its expiry.
Two replicas compete on the same queue, so each deadline fires on one of them; a
redelivered one finds its work done. The last stretch, shorter than the shortest tier, is
waited out in the consumer, so a deadline fires on time to within the broker's latency.

Due times are domain time (lianxin.clock): under a simulated clock, the span to wait is
converted to real seconds before it picks a tier.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lianxin import clock
from lianxin.bus import delays

ROUTE = "route"
DEADLINE = "deadline"


@dataclass(frozen=True)
class Deadline:
    kind: str  # e.g. "case.accept_due": names the handler and its queue
    aggregate_id: str
    due_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_message(self) -> dict[str, Any]:
        return {
            ROUTE: DEADLINE,
            "deadline_id": self.id,
            "kind": self.kind,
            "aggregate_id": self.aggregate_id,
            "due_at": self.due_at.astimezone(UTC).isoformat(),
            "payload": dict(self.payload),
        }

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Deadline:
        return cls(
            kind=message["kind"],
            aggregate_id=message["aggregate_id"],
            due_at=datetime.fromisoformat(message["due_at"]),
            payload=dict(message.get("payload") or {}),
            id=message["deadline_id"],
        )

    def remaining(self, now: datetime) -> float:
        return (self.due_at - now).total_seconds()

    def real_wait(self) -> float:
        """Real seconds until due (negative: past due), by the process's clock."""
        return clock.real_seconds(self.remaining(clock.utc_now()))


def is_deadline(message: Mapping[str, Any]) -> bool:
    return message.get(ROUTE) == DEADLINE


def queue_name(service: str, kind: str) -> str:
    return f"{service}.deadline.{kind}"


def send(amqp_uri: str, service: str, message: Mapping[str, Any]) -> None:
    """Start the deadline on its way: the longest tier that does not overshoot, or its
    queue at once when it is due within the shortest tier."""
    deadline = Deadline.from_message(message)
    tier = delays.tier_at_most(deadline.real_wait())
    delays.publish(
        amqp_uri,
        service,
        json.dumps(dict(message), ensure_ascii=False),
        queue_name(service, deadline.kind),
        tier,
        headers={"x-lianxin-deadline": deadline.id},
    )
