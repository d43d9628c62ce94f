"""Known event sequences for the metrics tests: payloads as docs/events.md describes
them, and a fold of their facts that stands in for the store (plain Python)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.metrics.domain.measures import facts_of
from services.metrics.domain.totals import Fact, Partition, Totals

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # 09:00 in Changsha, 6 March 2026
DAY = date(2026, 3, 6)


@dataclass(frozen=True)
class Event:
    type: str
    payload: dict[str, Any]
    at: datetime
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def facts(self, zone: ZoneInfo = SHANGHAI) -> list[Fact]:
        return facts_of(self.event_id, self.type, self.at, self.payload, lambda _: zone)

    def message(self) -> dict[str, Any]:
        """The envelope a producer's outbox relay puts on the bus."""
        payload = json.loads(json.dumps(self.payload, default=lambda value: value.isoformat()))
        return {
            "event_id": self.event_id,
            "type": self.type,
            "version": 1,
            "occurred_at": self.at.astimezone(UTC).isoformat(),
            "correlation_id": "metrics-test",
            "case_id": self.payload.get("case_id"),
            "payload": payload,
        }


def about(case: str = "LX-1", **overrides: Any) -> dict[str, Any]:
    block = {
        "case_id": case,
        "number": f"JX-20260306-{case[-4:]}",
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "category": "facility.lighting",
        "team": "repair_crew",
        "priority": "normal",
        "channel": "hotline",
    }
    return block | overrides


def step(kind: str, state: str, previous: str | None, at: datetime, **payload: Any) -> Event:
    case = payload.pop("case", "LX-1")
    block = about(case, **payload.pop("about", {}))
    return Event(kind, {**block, "state": state, "previous_state": previous, **payload}, at)


def accepting(reported: datetime, accepted: datetime, common: dict[str, Any]) -> Event:
    """p-1 accepts the case, with the times metrics reads its time to accept from."""
    return step(
        "case.accepted",
        "accepted",
        "dispatched",
        accepted,
        person_id="p-1",
        reported_at=reported,
        accepted_at=accepted,
        **common,
    )


def resolving(
    reported: datetime, resolved: datetime, common: dict[str, Any], **outcome: bool
) -> Event:
    """p-1 resolves the case (`on_time`, `first_time`), with its time to resolve."""
    return step(
        "case.resolved",
        "resolved",
        "accepted",
        resolved,
        person_id="p-1",
        reported_at=reported,
        resolved_at=resolved,
        **outcome,
        **common,
    )


def lifecycle(case: str = "LX-1", reported: datetime = T0, **about_fields: Any) -> list[Event]:
    """A case reported over the hotline, dispatched, accepted after 20 minutes, overdue,
    resolved late after 30 hours (first time), closed and rated 4 (satisfied)."""
    accepted = reported + timedelta(minutes=20)
    resolved = reported + timedelta(hours=30)
    common = {"case": case, "about": about_fields}
    return [
        step("case.reported", "reported", None, reported, reported_at=reported, **common),
        step("case.triaged", "triaged", "reported", reported, **common),
        step("case.dispatched", "dispatched", "triaged", reported, person_id="p-1", **common),
        accepting(reported, accepted, common),
        step("case.overdue", "accepted", "accepted", resolved, which="resolve", **common),
        resolving(reported, resolved, common, on_time=False, first_time=True),
        step("case.closed", "closed", "resolved", resolved, on_time=False, **common),
        step("case.rated", "closed", "closed", resolved, rating=4, satisfied=True, **common),
    ]


def opened(case: str = "LX-2", reported: datetime = T0, **about_fields: Any) -> list[Event]:
    """A case reported over WeChat and dispatched, still open."""
    common = {"case": case, "about": {"channel": "wechat", **about_fields}}
    return [
        step("case.reported", "reported", None, reported, reported_at=reported, **common),
        step("case.triaged", "triaged", "reported", reported, **common),
        step("case.dispatched", "dispatched", "triaged", reported, person_id="p-2", **common),
    ]


@dataclass
class Folded:
    """Every partition's totals after folding some events' facts, as the store would."""

    partitions: dict[Partition, Totals] = field(default_factory=dict)

    def fold(self, events: Iterable[Event], zone: ZoneInfo = SHANGHAI) -> Folded:
        seen: set[str] = set()
        for event in events:
            for fact in event.facts(zone):
                if fact.id in seen:
                    continue  # the store's unique insert
                seen.add(fact.id)
                current = self.partitions.get(fact.partition, Totals(fact.partition))
                self.partitions[fact.partition] = current.fold([fact])
        return self

    def days(self, community: str = "jingxiang") -> dict[date, Totals]:
        return {
            p.day: totals
            for p, totals in self.partitions.items()
            if p.community_id == community and p.day is not None
        }

    def live(self, community: str = "jingxiang") -> Totals | None:
        return self.partitions.get(Partition(community))


def hours_entry(
    case: str,
    amount: float,
    at: datetime,
    kind: str = "credit",
    person: str = "p-1",
    **about_fields: Any,
) -> Event:
    """Roster's ledger line for a case's resolver, as `hours.credited` carries it."""
    payload = {
        "entry_id": str(uuid.uuid4()),
        "person_id": person,
        "case_id": case,
        "community_id": about_fields.get("community_id", "jingxiang"),
        "household_id": None,
        "hours": amount,
        "kind": kind,
        "state": "approved",
    }
    return Event("hours.credited", payload, at)


def reopened_lifecycle(
    case: str = "LX-1", reported: datetime = T0, **about_fields: Any
) -> list[Event]:
    """lifecycle() with roster's credit, then reopened two days after the report (the
    credit reversed), dispatched, accepted and resolved again on time, credited again,
    closed and rated 2 (not satisfied): a case's events over three days."""
    reopened_at = reported + timedelta(hours=50)
    accepted = reopened_at + timedelta(hours=1)
    resolved = reopened_at + timedelta(hours=4)
    common = {"case": case, "about": about_fields}
    first = lifecycle(case, reported, **about_fields)
    first_resolved = next(event.at for event in first if event.type == "case.resolved")
    return [
        *first,
        hours_entry(case, 1.5, first_resolved, **about_fields),
        step(
            "case.reopened",
            "reopened",
            "closed",
            reopened_at,
            reason="the light went out again",
            reopen_count=1,
            person_id="p-1",
            **common,
        ),
        hours_entry(case, 1.5, reopened_at, kind="reversal", **about_fields),
        step("case.dispatched", "dispatched", "reopened", reopened_at, person_id="p-1", **common),
        accepting(reported, accepted, common),
        resolving(reported, resolved, common, on_time=True, first_time=False),
        hours_entry(case, 1.5, resolved, **about_fields),
        step("case.closed", "closed", "resolved", resolved, on_time=True, **common),
        step("case.rated", "closed", "closed", resolved, rating=2, satisfied=False, **common),
    ]
