"""The approvals queue (hours_waiting/<community>): a credit over the limit is listed once
whatever redelivers it, leaves the list when decided or voided, and a late redelivery of a
decided credit's resolution lists it no more."""

from __future__ import annotations

import pytest

from lianxin.access.actors import Actor
from services.roster.admin import OPERATOR
from services.roster.app import dispatch, hours, views
from tests.roster.app.case_events import case_event, resolved_lighting, staff, stricter_approval
from tests.roster.conftest import FRIDAY_NOON_UTC

NOW = FRIDAY_NOON_UTC
ELSEWHERE = Actor("k", "other", frozenset({"read"}), frozenset({"elsewhere"}))


def resolve(store, case_id: str, person_id: str):
    dispatch.on_case_event(store, case_event("case.accepted", case_id, 3, person_id=person_id), NOW)
    resolved = resolved_lighting(case_id, 4, person_id)
    dispatch.on_case_event(store, resolved, NOW)
    return resolved


def queue(store, after=None, limit=50) -> tuple[int, list[str]]:
    count, page = hours.waiting(store, "jingxiang", after, limit)
    return count, [entry.case_id for entry in page]


def test_credits_over_the_limit_wait_in_order_and_leave_when_decided_or_voided(store, community):
    stricter_approval(store)
    first = resolve(store, "LX-W1", "p-repair-2")
    resolve(store, "LX-W2", "p-repair-3")
    resolve(store, "LX-W3", "p-repair-2")
    hours.credit_resolution(store, store.dispatches.get("LX-W1").case, first)  # redelivered
    assert queue(store) == (3, ["LX-W1", "LX-W2", "LX-W3"])
    assert queue(store, limit=2) == (3, ["LX-W1", "LX-W2"])
    assert queue(store, after=f"H-{first.event_id}") == (3, ["LX-W2", "LX-W3"])

    hours.decide(store, f"H-{first.event_id}", True, None, "", staff("p-staff-1"), NOW)
    assert queue(store) == (2, ["LX-W2", "LX-W3"])
    hours.credit_resolution(store, store.dispatches.get("LX-W1").case, first)  # very late
    assert queue(store) == (2, ["LX-W2", "LX-W3"])

    reopened = case_event("case.reopened", "LX-W2", 5, reopen_count=1, reason="没修好")
    dispatch.on_case_event(store, reopened, NOW)  # voids the pending credit
    assert queue(store) == (1, ["LX-W3"])


def test_the_queue_names_whose_credit_it_is_masked_and_is_one_communitys(store, community):
    stricter_approval(store)
    resolve(store, "LX-W4", "p-repair-2")
    shown = views.waiting_hours(store, "jingxiang", None, 50, OPERATOR)
    (entry,) = shown["entries"]
    assert (shown["waiting"], entry["minutes"], entry["state"]) == (1, 90, "pending_approval")
    assert (
        entry["display_name"]
        and entry["display_name"] != store.find("people", "p-repair-2")["name"]
    )
    assert shown["next_after"] is None
    with pytest.raises(views.NotFound):
        views.waiting_hours(store, "jingxiang", None, 50, ELSEWHERE)


def test_a_credit_within_the_limit_never_waits(store, community):
    resolve(store, "LX-W5", "p-repair-2")  # 90 minutes, under the default 4 h
    assert queue(store) == (0, [])
