"""Time limits on the running services, with two replicas of cases competing for the
timers: a breach marks the case overdue and escalates it once, the warning comes first,
and a suspended case's timer finds nothing to do and sets no other."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.cases_support import People, Probe
from tests.e2e.conftest import community, ensure_community, get_case, wait_until
from tests.e2e.test_faults import counter

pytestmark = pytest.mark.e2e

SOON = 10  # seconds to the hotline's deadline: the limit every timer here runs to


@pytest.fixture(scope="module")
def crew(stack, keys) -> People:
    return People(stack, keys, community("sla"))


@pytest.fixture(scope="module")
def probe(stack):
    watching = Probe(stack.amqp_uri, "case.#")
    yield watching
    watching.delete()


def hotline_order(stack, crew: People, seconds: int = SOON, **overrides) -> dict:
    """A work order whose hotline deadline is `seconds` away: it sets both limits."""
    ensure_community(stack, crew.place)
    order = {
        "hotline_id": "changsha-12345",
        "order_no": f"GD-{uuid.uuid4().hex[:10]}",
        "community_id": crew.place,
        "description": "5栋楼道灯坏了",
        "location": {"area_code": "jx-e1-b5-u1"},
        "deadline": (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(),
        **overrides,
    }
    answer = requests.post(
        f"{stack.url('cases')}/v1/hotline/orders", json=order, headers=crew.hotline, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def timers_fired(stack) -> float:
    return counter(stack, "cases", "lianxin_events_handled_total", event="case.time", outcome="ok")


def test_a_breach_marks_the_case_overdue_and_the_timer_escalates_it_once(stack, crew, probe):
    case = hotline_order(stack, crew)
    assert case["accept_by"] == case["resolve_by"] == case["hotline"]["deadline"]

    def both_overdue():
        current = get_case(stack, case["id"])
        return sorted(current["overdue"]) == ["accept", "resolve"] and current

    current = wait_until("both limits to pass", both_overdue, timeout=SOON + 30)
    by_timer = [
        step
        for step in current["timeline"]
        if step["action"] == "escalate" and step["by"] == "timer"
    ]
    assert len(by_timer) == 1
    overdue = probe.events(case["id"], "case.overdue")
    assert sorted(event["payload"]["which"] for event in overdue) == ["accept", "resolve"]
    escalations = [
        event
        for event in probe.events(case["id"], "case.escalated")
        if "time limit" in event["payload"]["reason"]
    ]
    assert len(escalations) == 1
    warnings = probe.events(case["id"], "case.warning")
    assert sorted(event["payload"]["which"] for event in warnings) == ["accept", "resolve"]
    first_warning = min(event["occurred_at"] for event in warnings)
    assert first_warning < min(event["occurred_at"] for event in overdue)


def test_no_timer_acts_on_a_suspended_case(stack, crew, probe):
    before = timers_fired(stack)
    case = hotline_order(
        stack, crew, description="17栋下水道堵了", location={"area_code": "jx-e2-b17-u1"}
    )
    suspended = crew.post(case["id"], "suspend", crew.staff, {"reason": "等市政排水公司"})
    assert suspended.status_code == 200, suspended.text
    # its first timer (the accept warning) still fires; it finds an older clock and sets
    # no next one, so neither limit is ever waited for
    wait_until("its first timer to fire", lambda: timers_fired(stack) >= before + 1, SOON + 30)
    current = get_case(stack, case["id"])
    assert current["overdue"] == [] and current["suspended"] is True
    assert probe.events(case["id"], "case.overdue") == []
    assert probe.events(case["id"], "case.warning") == []
    assert [event["type"] for event in probe.events(case["id"], "case.suspended")] == [
        "case.suspended"
    ]
