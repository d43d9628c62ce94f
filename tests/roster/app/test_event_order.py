"""Effects never depend on arrival order (DESIGN.md rule 7): roster's use cases on the
in-memory store, fed a case's events in orders other than the one they happened in.

With two replicas, retry tiers or a redelivery, `case.closed` can land before
`case.resolved`, and a reopening after the next assignment: the hours a resolution
credits and a reopening takes back, and who holds the case open, come out the same.
The last test replays every order hypothesis picks of one long lifecycle.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from lianxin.bus.envelope import Envelope
from services.roster.app import dispatch, hours, registry
from services.roster.domain.rows import rows_from_document
from tests.roster.app.case_events import case_event
from tests.roster.conftest import FRIDAY_NOON_UTC

P, Q = "p-repair-1", "p-repair-2"


FIXED = "facility.lighting"  # a fixed 90 minutes by day
MEASURED = "facility.household_repair"  # the time from acceptance to resolution


def event(type_: str, case_id: str, version: int, category: str = FIXED, **payload) -> Envelope:
    made = case_event(type_, case_id, version, **payload)
    return Envelope(type_, {**made.payload, "category": category}, "test", case_id)


def accepted(case_id: str, version: int, person: str, at: datetime) -> Envelope:
    return event("case.accepted", case_id, version, person_id=person, accepted_at=at)


def resolved(
    case_id: str, version: int, person: str, start: datetime, minutes: int, category=FIXED
) -> Envelope:
    return event(
        "case.resolved", case_id, version, category, person_id=person,
        accepted_at=start, resolved_at=start + timedelta(minutes=minutes),
    )  # fmt: skip


def reopened(case_id: str, version: int, count: int, person: str, category=FIXED) -> Envelope:
    return event(
        "case.reopened", case_id, version, category,
        reopen_count=count, person_id=person, reason="没修好",
    )  # fmt: skip


def apply(store, *events: Envelope, now: datetime = FRIDAY_NOON_UTC) -> None:
    for event in events:
        dispatch.on_case_event(store, event, now)


def ledger_of(store, case_id: str) -> list[tuple[str, str, int, str]]:
    found = store.db["hours"].find({"case_id": case_id})
    return sorted((e["kind"], e["person_id"], e["minutes"], e["state"]) for e in found)


def holders(store, case_id: str) -> set[str]:
    return {person["_id"] for person in store.db["people"].find({"open_cases": case_id})}


def test_a_resolution_that_arrives_after_the_close_is_still_credited(store, community):
    case_id = "LX-LATE-RESOLVED"
    apply(
        store,
        accepted(case_id, 3, P, FRIDAY_NOON_UTC),
        event("case.closed", case_id, 5),
        resolved(case_id, 4, P, FRIDAY_NOON_UTC, 20),
    )
    assert ledger_of(store, case_id) == [("credit", P, 90, "approved")]
    assert holders(store, case_id) == set()


def test_a_reopening_that_arrives_after_the_next_assignment_still_takes_the_credit_back(
    store, community
):
    case_id = "LX-LATE-REOPENED"
    apply(
        store,
        accepted(case_id, 3, P, FRIDAY_NOON_UTC),
        resolved(case_id, 4, P, FRIDAY_NOON_UTC, 20),
        event("case.assigned", case_id, 6, person_id=Q),
        reopened(case_id, 5, 1, P),
    )
    assert ledger_of(store, case_id) == [
        ("credit", P, 90, "approved"),
        ("reversal", P, -90, "approved"),
    ]
    assert holders(store, case_id) == {Q}


def test_a_reopening_that_arrives_before_its_resolution_nets_to_nothing(store, community):
    case_id = "LX-EARLY-REOPENED"
    apply(
        store,
        accepted(case_id, 3, P, FRIDAY_NOON_UTC),
        reopened(case_id, 5, 1, P),
        resolved(case_id, 4, P, FRIDAY_NOON_UTC, 20),
    )
    assert ledger_of(store, case_id) == [
        ("credit", P, 90, "approved"),
        ("reversal", P, -90, "approved"),
    ]
    assert hours.ledger_of(store, person_id=P)["balance_minutes"] == 0
    assert holders(store, case_id) == set()  # the reopening let go of whoever held it


def test_a_pending_credit_whose_reopening_came_first_is_voided_not_left_to_approve(
    store, community
):
    stricter = rows_from_document(
        {"policies": [{"community": "jingxiang", "hours": {"approval_above": "1h"}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, stricter, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied
    case_id = "LX-EARLY-REOPENED-PENDING"
    apply(store, reopened(case_id, 5, 1, P), resolved(case_id, 4, P, FRIDAY_NOON_UTC, 20))
    ledger = hours.ledger_of(store, person_id=P)
    assert (ledger["balance_minutes"], ledger["pending_minutes"]) == (0, 0)
    assert ledger_of(store, case_id) == [
        ("correction", P, 0, "approved"),  # the void decision
        ("credit", P, 90, "pending_approval"),
    ]


# -- every order --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One event of the lifecycle, made for a given case id (each example has its own)."""

    type: str
    version: int
    fields: dict

    def event(self, case_id: str) -> Envelope:
        if self.type == "case.resolved":
            return resolved(case_id, self.version, **self.fields, category=MEASURED)
        if self.type == "case.reopened":
            return reopened(case_id, self.version, **self.fields, category=MEASURED)
        return event(self.type, case_id, self.version, MEASURED, **self.fields)


T0 = FRIDAY_NOON_UTC
LIFECYCLE = (
    Step("case.triaged", 2, {}),
    Step("case.accepted", 4, {"person_id": P, "accepted_at": T0}),
    Step("case.resolved", 5, {"person": P, "start": T0, "minutes": 60}),
    Step("case.closed", 6, {}),
    Step("case.reopened", 8, {"count": 1, "person": P}),
    Step("case.assigned", 9, {"person_id": Q}),
    Step("case.accepted", 10, {"person_id": Q, "accepted_at": T0 + timedelta(hours=2)}),
    Step("case.resolved", 11, {"person": Q, "start": T0 + timedelta(hours=2), "minutes": 45}),
    Step("case.reopened", 12, {"count": 2, "person": Q}),
    Step("case.accepted", 14, {"person_id": P, "accepted_at": T0 + timedelta(hours=4)}),
)


DAYS = itertools.count()


def outcome(store, steps, order) -> tuple:
    """The hours of the case's ledger, who holds it open, and its open offers (as the
    offers and as the people's open offers count them), after the steps were handled in
    `order`. Each run is a case of its own, handled on a day of its own, when the offers
    of the runs before have lapsed and count against nobody's cap."""
    case_id = f"LX-ORDER-{uuid.uuid4().hex[:8].upper()}"
    events = [steps[index].event(case_id) for index in order]
    apply(store, *events, now=FRIDAY_NOON_UTC + timedelta(days=next(DAYS)))
    offers = store.db["offers"].count_documents({"case_id": case_id, "state": "open"})
    held = [
        entry
        for person in store.db["people"].find({}, {"open_offers": 1})
        for entry in person.get("open_offers", ())
        if entry["case_id"] == case_id
    ]
    return ledger_of(store, case_id), holders(store, case_id), offers, len(held)


def test_every_order_of_a_cases_events_credits_the_same_hours_and_holds_the_same_cases(
    store, community
):
    in_order: dict[int, tuple] = {}

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.integers(2, len(LIFECYCLE)).flatmap(lambda n: st.permutations(range(n))))
    def replay(order: list[int]) -> None:
        note(f"the steps in the order {order}")
        steps = LIFECYCLE[: len(order)]
        if len(order) not in in_order:
            in_order[len(order)] = outcome(store, steps, range(len(order)))
        assert outcome(store, steps, order) == in_order[len(order)]

    replay()
    whole = in_order.get(len(LIFECYCLE)) or outcome(store, LIFECYCLE, range(len(LIFECYCLE)))
    assert whole == (
        [
            ("credit", P, 60, "approved"),
            ("credit", Q, 45, "approved"),
            ("reversal", P, -60, "approved"),
            ("reversal", Q, -45, "approved"),
        ],
        {P},
        0,
        0,
    )
