"""Care rounds (邻里守望): the register of residents looked after, their rounds, ticks and
the chain of checks that follows up a missed round.

Who sees a plan (404 to anyone else, as another community's): the community's staff, the
grid workers and grid leaders of the plan's grid, and its carer. Staff keep the register
(a plan, its carer, its end); only the carer ticks a round off. A plan is an aggregate
(care_plans/<id>); a tick is one (care_rounds/<plan>:<local day>), written once with its
`care.round_ticked` event, under the plan's lease so that a check of the same plan never
interleaves with it. The checks are deadlines of the plan's (kind CARE_ROUND_CHECK, in its
outbox): each looks at one round for one stage (domain/care.py `on_check`), remembers it
ran (its id among the plan's applied ones) and sets the next — never a scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError

from lianxin.access.actors import Actor
from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.contracts.roster import CARER_ROLES
from services.roster.app.registry import rebuild_people_listing
from services.roster.domain import care
from services.roster.domain.care import CarePlan, Check, Consent, PlanNotFound, Tick
from services.roster.events import EMITS
from services.roster.store import RosterStore

CARE_ROUND_CHECK = "care_round_check"
PLAN_NAMESPACE = uuid.UUID("0b6f3d4e-2a71-4c58-9e1d-7f5a3c2b8d90")
GRID_ROLES = ("grid_worker", "grid_leader")
DEFAULT_ZONE = "Asia/Shanghai"


class PlanKeyReused(Exception):
    """The Idempotency-Key already named a plan for another resident."""

    def __init__(self, plan_id: str):
        super().__init__("This key was already used for another plan.")
        self.plan_id = plan_id


def plan_id_for(actor: Actor, idempotency_key: str | None) -> str:
    """The same key of the same API key and person names the same plan (a retried POST
    finds it); without a key, a new one."""
    if not idempotency_key:
        return "CP-" + uuid.uuid4().hex[:16]
    named = f"{actor.key_id}\n{actor.person_id}\n{idempotency_key}"
    return "CP-" + uuid.uuid5(PLAN_NAMESPACE, named).hex[:16]


# -- the register ---------------------------------------------------------------------------


def register(
    store: RosterStore, body: Mapping[str, Any], actor: Actor, plan_id: str, now: datetime
) -> tuple[CarePlan, bool]:
    """A plan for a resident who agreed (`consent`), recorded by the staff member asking;
    the chain's first check set in the same write. Returns the plan and whether it is new:
    a repeat of the same request finds the plan it made."""
    actor.require_role("staff")
    place = _place(store, body["area_code"], actor)
    _require_carer(store, body["carer_id"], place["community_id"])
    community = store.definition("areas", place["community_id"]) or {}
    plan = CarePlan(
        id=plan_id,
        community_id=place["community_id"],
        grid_id=place["grid_id"],
        area_code=body["area_code"],
        name=body["name"],
        phone=body.get("phone") or "",
        need=body["need"],
        kind=body["kind"],
        cadence=body["cadence"],
        carer_id=body["carer_id"],
        starts_at=body["starts_at"].replace(microsecond=0),  # as stored: a repeat compares equal
        zone=community.get("timezone") or DEFAULT_ZONE,
        consent=Consent(actor.person_id or actor.key_id, now),
        created_at=now,
    )
    plan = replace(plan, first_round=care.first_round(plan, now))
    with store.care_plans.change(plan_id) as change:
        if change.value is not None:
            if not _same_request(change.value, plan):
                raise PlanKeyReused(plan_id)
            return change.value, False
        policy = store.policy(plan.community_id)
        change.save(plan, [_deadline(plan, care.first_check(plan, policy.care_reminder_after))])
    return plan, True


def _same_request(stored: CarePlan, asked: CarePlan) -> bool:
    keys = ("area_code", "name", "phone", "need", "kind", "cadence", "carer_id", "starts_at")
    return all(getattr(stored, key) == getattr(asked, key) for key in keys)


def change_carer(
    store: RosterStore, plan_id: str, carer_id: str, actor: Actor, now: datetime
) -> CarePlan:
    """Another carer for the plan (staff); rounds from now are theirs to tick. The same
    carer again changes nothing."""
    actor.require_role("staff")
    with store.care_plans.change(plan_id) as change:
        plan = _seen(change.value, actor, plan_id)
        if plan.carer_id == carer_id:
            return plan
        _require_carer(store, carer_id, plan.community_id)
        changed = replace(plan, carer_id=carer_id, version=plan.version + 1)
        change.save(changed)
    return changed


def end(store: RosterStore, plan_id: str, actor: Actor, now: datetime) -> CarePlan:
    """End the plan (the resident moved, withdrew their consent): no round is due after
    now, and its chain stops at its next check. Ending it again changes nothing."""
    actor.require_role("staff")
    with store.care_plans.change(plan_id) as change:
        plan = _seen(change.value, actor, plan_id)
        if plan.ended:
            return plan
        ended = replace(plan, ended_at=now, version=plan.version + 1)
        change.save(ended)
    return ended


def _place(store: RosterStore, code: str, actor: Actor) -> dict[str, Any]:
    """The area (a unit, building, estate or grid) of the actor's community, with its
    grid: found by walking up its parents (a few reads by `_id`)."""
    node = store.find("areas", code)
    if node is None or not actor.sees(node.get("community_id") or ""):
        raise ValidationError({"area_code": [f"No area {code} in your community."]})
    walked = node
    for _ in range(6):
        if walked is None or walked.get("kind") in ("community", "subdistrict"):
            break
        if walked.get("kind") == "grid":
            return {"community_id": node["community_id"], "grid_id": walked["_id"]}
        walked = store.find("areas", walked.get("parent") or "")
    raise ValidationError({"area_code": ["Name a grid or a place inside one."]})


def _require_carer(store: RosterStore, carer_id: str, community_id: str) -> None:
    """A carer is an active volunteer or unit leader of the plan's community."""
    person = store.find("people", carer_id)
    if (
        person is None
        or person.get("community_id") != community_id
        or not person.get("active", True)
        or not set(person.get("roles") or ()) & set(CARER_ROLES)
    ):
        raise ValidationError(
            {"carer_id": ["Name an active volunteer or unit leader of the community."]}
        )


# -- who sees what --------------------------------------------------------------------------


def _grids_of(store: RosterStore, actor: Actor) -> frozenset[str]:
    person = store.find("people", actor.person_id or "") or {}
    return frozenset(person.get("home_grids") or ())


def may_see(store: RosterStore, plan: CarePlan, actor: Actor) -> bool:
    """Staff of the community, the grid's workers and leaders, and the plan's carer (an
    admin key with no person sees every plan of its communities)."""
    if not actor.sees(plan.community_id):
        return False
    if actor.person_id is None:
        return actor.is_admin
    if actor.person_id == plan.carer_id or actor.role == "staff":
        return True
    return actor.role in GRID_ROLES and plan.grid_id in _grids_of(store, actor)


def _seen(plan: CarePlan | None, actor: Actor, plan_id: str) -> CarePlan:
    """The plan, if it exists and is in the actor's communities (writes are staff's, whose
    community is the plan's)."""
    if plan is None or not actor.sees(plan.community_id):
        raise PlanNotFound(f"No care plan {plan_id}.")
    return plan


def plan_of(store: RosterStore, plan_id: str, actor: Actor) -> CarePlan:
    plan = store.care_plans.get(plan_id)
    if plan is None or not may_see(store, plan, actor):
        raise PlanNotFound(f"No care plan {plan_id}.")
    return plan


def register_of(store: RosterStore, community_id: str, actor: Actor) -> list[CarePlan]:
    """The plans of the community the actor may see: all of them for staff, their grids'
    for grid workers and leaders, their own for a carer."""
    if not actor.sees(community_id):
        raise PlanNotFound(f"No community {community_id}.")
    if actor.person_id is not None and actor.role not in ("staff", *GRID_ROLES):
        plans = store.care_plans_of(carer_id=actor.person_id)
    else:
        plans = store.care_plans_of(community_id=community_id)
    return [
        plan for plan in plans if plan.community_id == community_id and may_see(store, plan, actor)
    ]


def rounds_of(store: RosterStore, plan: CarePlan, now: datetime) -> list[care.Round]:
    """The plan's open rounds with their ticks (each read by `_id`)."""
    ticks = {}
    for index in care.open_rounds(plan, now):
        found = store.care_rounds.get(care.round_id(plan.id, care.local_day(plan, index)))
        if found is not None:
            ticks[found.round_id] = found
    return care.rounds(plan, now, ticks)


def carer_rounds(store: RosterStore, person_id: str, actor: Actor, now: datetime) -> list:
    """A carer's plans in effect, each with its open rounds: their own page, or staff's."""
    if actor.person_id != person_id:
        actor.require_role("staff", *GRID_ROLES)
    plans = [
        plan
        for plan in store.care_plans_of(carer_id=person_id)
        if not plan.ended and may_see(store, plan, actor)
    ]
    return [(plan, rounds_of(store, plan, now)) for plan in plans]


# -- ticking a round off --------------------------------------------------------------------


def tick(
    store: RosterStore,
    plan_id: str,
    day: date,
    body: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> tuple[Tick, bool]:
    """The carer ticks the round of `day` off (well, or needs help with the case it
    opened). A repeat saying the same finds the stored tick (False); saying anything else,
    AlreadyTicked. Taken under the plan's lease, so a check of the plan sees the round
    ticked or not, never half."""
    if body["outcome"] == "needs_help" and not body.get("case_id"):
        raise ValidationError({"case_id": ["A round that needs help names the case it opened."]})
    with store.care_plans.change(plan_id) as held:
        plan = held.value
        if plan is None or not may_see(store, plan, actor):
            raise PlanNotFound(f"No care plan {plan_id}.")
        asked = care.tick_of(
            plan, day, actor.person_id or "", body["outcome"], body["note"],
            body.get("case_id"), now,
        )  # fmt: skip
        with store.care_rounds.change(asked.round_id) as change:
            if change.value is not None:
                if not care.same_tick(change.value, asked):
                    raise care.AlreadyTicked(asked.round_id)
                return change.value, False
            change.save(asked, [ticked_event(asked)])
    return asked, True


def ticked_event(tick: Tick) -> Envelope:
    return EMITS.new_event(
        "care.round_ticked",
        {
            "plan_id": tick.plan_id,
            "round_id": tick.round_id,
            "community_id": tick.community_id,
            "grid_id": tick.grid_id,
            "carer_id": tick.carer_id,
            "outcome": tick.outcome,
            "due_at": tick.due_at,
            "ticked_at": tick.at,
            "case_id": tick.case_id,
        },
        correlation_id=f"care-{tick.plan_id}",
        at=tick.at,
        event_id=str(uuid.uuid5(PLAN_NAMESPACE, f"ticked\n{tick.round_id}")),
    )


# -- the checks -----------------------------------------------------------------------------


def on_round_check(store: RosterStore, deadline: Deadline, now: datetime) -> None:
    """A check of the plan's chain (domain/care.py `on_check`): a missed round is told to
    its carer, then to the grid worker; the next checks are set in the same write."""
    with store.care_plans.change(deadline.aggregate_id) as change:
        plan = change.value
        if plan is None or change.has_applied(deadline.id):
            return
        check = Check(deadline.payload["index"], deadline.payload["stage"], deadline.due_at)
        day = care.local_day(plan, check.index)
        ticked = store.care_rounds.get(care.round_id(plan.id, day)) is not None
        policy = store.policy(plan.community_id)
        found = care.on_check(
            plan, check, ticked, policy.care_reminder_after, policy.care_grid_after
        )
        events: list[Envelope | Deadline] = [
            _deadline(plan, next_check) for next_check in found.next_checks
        ]
        if found.missed is not None:
            told = plan.carer_id if found.missed == "carer" else grid_worker_of(store, plan)
            events.append(missed_event(plan, check, found.missed, told, now))
        change.save(plan, events, applied=deadline.id)


def grid_worker_of(store: RosterStore, plan: CarePlan) -> str | None:
    """The first active grid worker (by id) whose home grids hold the plan's grid, from
    the community's people listing (one read by `_id`)."""
    entries = store.people_listing(plan.community_id)
    if entries is None:
        entries = rebuild_people_listing(store, plan.community_id)
    for entry in entries:
        if (
            entry.get("active", True)
            and "grid_worker" in (entry.get("roles") or ())
            and plan.grid_id in (entry.get("home_grids") or ())
        ):
            return entry["id"]
    return None


def _deadline(plan: CarePlan, check: Check) -> Deadline:
    return Deadline(
        CARE_ROUND_CHECK, plan.id, check.at, {"index": check.index, "stage": check.stage}
    )


def missed_event(
    plan: CarePlan, check: Check, stage: str, person_id: str | None, now: datetime
) -> Envelope:
    round_id = care.round_id(plan.id, care.local_day(plan, check.index))
    return EMITS.new_event(
        "care.round_missed",
        {
            "plan_id": plan.id,
            "round_id": round_id,
            "community_id": plan.community_id,
            "grid_id": plan.grid_id,
            "carer_id": plan.carer_id,
            "kind": plan.kind,
            "due_at": care.due_at(plan, check.index),
            "stage": stage,
            "person_id": person_id,
        },
        correlation_id=f"care-{plan.id}",
        at=now,
        event_id=str(uuid.uuid5(PLAN_NAMESPACE, f"missed\n{round_id}\n{stage}")),
    )
