"""Care rounds' use cases (services.roster.app.care) on the in-memory store: the register
kept by staff with the resident's consent, who sees a plan, the carer's tick (once), and
the chain of checks that reminds the carer of a missed round and then tells the grid
worker — each check a deadline in the plan's outbox, applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from marshmallow import ValidationError

from lianxin.access.actors import Actor, Forbidden
from lianxin.bus.deadlines import Deadline, is_deadline
from services.roster.app import care
from services.roster.domain import care as rules
from tests.roster.conftest import FRIDAY_NOON_UTC

NOW = FRIDAY_NOON_UTC  # Friday 6 March 2026, 12:00 in Changsha
CARER, OTHER_CARER, GRID_WORKER = "p-g1-red-1", "p-g2-red-1", "p-g1-gw-1"


def token(person_id: str, role: str, community: str = "jingxiang") -> Actor:
    return Actor("k", "console", frozenset({"read", "act"}), frozenset({community}),
                 person_id=person_id, role=role)  # fmt: skip


STAFF = token("p-staff-1", "staff")
BODY = {
    "name": "王秀英", "phone": "13800000001", "need": "elderly_alone", "kind": "call",
    "cadence": "weekly", "area_code": "jingxiang-b01-u1", "carer_id": CARER,
    "starts_at": NOW + timedelta(hours=6), "consent": True,
}  # fmt: skip


def published(memory_backend) -> tuple[list[dict], list[Deadline]]:
    """What the store published since the last look: events, and deadlines."""
    taken = memory_backend.published.take()
    return (
        [m for m in taken if not is_deadline(m)],
        [Deadline.from_message(m) for m in taken if is_deadline(m)],
    )


def missed(events: list[dict]) -> list[tuple[str, str]]:
    return [
        (e["payload"]["stage"], e["payload"]["person_id"])
        for e in events
        if e["type"] == "care.round_missed"
    ]


@pytest.fixture
def registered(store, community, memory_backend):
    plan, created = care.register(store, BODY, STAFF, "CP-00000000000000a1", NOW)
    assert created
    return plan


def test_staff_register_a_plan_with_the_residents_consent(store, registered, memory_backend):
    assert registered.grid_id == "jingxiang-g1"  # from the unit, up its parents
    assert registered.consent == rules.Consent("p-staff-1", NOW)
    assert registered.zone == "Asia/Shanghai"
    again, created = care.register(store, BODY, STAFF, registered.id, NOW + timedelta(seconds=5))
    assert not created and again == registered
    with pytest.raises(care.PlanKeyReused):
        care.register(store, {**BODY, "name": "张三"}, STAFF, registered.id, NOW)


def test_only_staff_register_and_only_a_carer_of_their_community(store, community):
    with pytest.raises(Forbidden):
        care.register(store, BODY, token(GRID_WORKER, "grid_worker"), "CP-00000000000000b1", NOW)
    with pytest.raises(ValidationError) as refused:
        care.register(store, {**BODY, "carer_id": GRID_WORKER}, STAFF, "CP-00000000000000b2", NOW)
    assert "carer_id" in refused.value.messages
    with pytest.raises(ValidationError) as refused:
        care.register(store, {**BODY, "area_code": "jingxiang"}, STAFF, "CP-00000000000000b3", NOW)
    assert "area_code" in refused.value.messages
    elsewhere = token("p-x", "staff", community="other")
    with pytest.raises(ValidationError):  # another community's unit is no area of theirs
        care.register(store, BODY, elsewhere, "CP-00000000000000b4", NOW)
    assert store.care_plans.get("CP-00000000000000b2") is None


def test_who_sees_a_plan(store, registered):
    for reader in (STAFF, token(CARER, "volunteer"), token(GRID_WORKER, "grid_worker")):
        assert care.plan_of(store, registered.id, reader) == registered
    for stranger in (
        token(OTHER_CARER, "volunteer"),
        token("p-g2-gw-1", "grid_worker"),  # another grid's worker
        token("p-staff-1", "staff", community="other"),
    ):
        with pytest.raises(rules.PlanNotFound):
            care.plan_of(store, registered.id, stranger)
    assert care.register_of(store, "jingxiang", token(OTHER_CARER, "volunteer")) == []
    assert care.register_of(store, "jingxiang", token("p-g2-gw-1", "grid_worker")) == []
    assert [p.id for p in care.register_of(store, "jingxiang", STAFF)] == [registered.id]


def test_the_carer_ticks_a_round_once(store, registered, probe):
    day = rules.local_day(registered, registered.first_round)
    body = {"outcome": "well", "note": "电话里一切都好"}
    later = NOW + timedelta(hours=7)
    tick, created = care.tick(store, registered.id, day, body, token(CARER, "volunteer"), later)
    assert created and tick.outcome == "well"
    again, created = care.tick(store, registered.id, day, body, token(CARER, "volunteer"), later)
    assert not created and again == tick
    with pytest.raises(rules.AlreadyTicked):
        care.tick(store, registered.id, day, {**body, "note": "改了"}, token(CARER, "volunteer"),
                  later)  # fmt: skip
    ticked = [e for e in probe() if e["type"] == "care.round_ticked"]
    assert len(ticked) == 1 and ticked[0]["payload"]["outcome"] == "well"
    assert "王" not in str(ticked[0]) and "13800000001" not in str(ticked[0])


def test_another_carer_cannot_tick_and_staff_are_not_the_carer(store, registered):
    day = rules.local_day(registered, registered.first_round)
    body = {"outcome": "well", "note": "好"}
    with pytest.raises(rules.PlanNotFound):
        care.tick(store, registered.id, day, body, token(OTHER_CARER, "volunteer"), NOW)
    with pytest.raises(rules.NotTheCarer):
        care.tick(store, registered.id, day, body, STAFF, NOW)
    with pytest.raises(ValidationError):  # needs help names the case it opened
        care.tick(store, registered.id, day, {"outcome": "needs_help", "note": "摔倒"},
                  token(CARER, "volunteer"), NOW)  # fmt: skip
    assert store.care_rounds.get(rules.round_id(registered.id, day)) is None


def test_a_missed_round_reminds_the_carer_then_tells_the_grid_worker(
    store, community, memory_backend
):
    memory_backend.published.take()
    care.register(store, BODY, STAFF, "CP-00000000000000c1", NOW)
    _, (first,) = published(memory_backend)
    assert first.kind == care.CARE_ROUND_CHECK
    assert first.due_at == NOW + timedelta(hours=6) + timedelta(days=1)  # due, then a day
    care.on_round_check(store, first, first.due_at)
    events, following = published(memory_backend)
    assert missed(events) == [("carer", CARER)]
    escalation, after = sorted(following, key=lambda d: d.due_at)
    assert escalation.payload == {"index": 0, "stage": "grid_worker"}
    assert escalation.due_at == first.due_at + timedelta(days=1)
    assert after.payload == {"index": 1, "stage": "carer"}
    care.on_round_check(store, first, first.due_at)  # redelivered: nothing twice
    assert published(memory_backend) == ([], [])
    care.on_round_check(store, escalation, escalation.due_at)
    events, _ = published(memory_backend)
    assert missed(events) == [("grid_worker", GRID_WORKER)]
    told = next(e for e in events if e["type"] == "care.round_missed")
    assert "王" not in str(told) and "13800000001" not in str(told)


def test_a_round_ticked_in_time_is_never_reported_missed(store, community, memory_backend):
    memory_backend.published.take()
    plan, _ = care.register(store, BODY, STAFF, "CP-00000000000000d1", NOW)
    _, (first,) = published(memory_backend)
    day = rules.local_day(plan, 0)
    care.tick(store, plan.id, day, {"outcome": "well", "note": "好"}, token(CARER, "volunteer"),
              NOW + timedelta(hours=1))  # fmt: skip
    published(memory_backend)
    care.on_round_check(store, first, first.due_at)
    events, (following,) = published(memory_backend)
    assert missed(events) == []
    assert following.payload == {"index": 1, "stage": "carer"}


def test_staff_change_the_carer_and_end_the_plan(store, community, memory_backend):
    memory_backend.published.take()
    registered, _ = care.register(store, BODY, STAFF, "CP-00000000000000e1", NOW)
    _, (first,) = published(memory_backend)
    changed = care.change_carer(store, registered.id, "p-ul-001", STAFF, NOW)
    assert changed.carer_id == "p-ul-001"
    with pytest.raises(rules.PlanNotFound):  # the old carer sees it no more
        care.plan_of(store, registered.id, token(CARER, "volunteer"))
    with pytest.raises(Forbidden):
        care.end(store, registered.id, token(CARER, "volunteer"), NOW)
    ended = care.end(store, registered.id, STAFF, NOW)
    assert care.end(store, registered.id, STAFF, NOW + timedelta(hours=1)) == ended
    published(memory_backend)
    care.on_round_check(store, first, first.due_at)
    assert published(memory_backend) == ([], [])
