"""Dispatch use cases: a case's events and deadlines, each under the case's lease.

Every case event and every deadline of a case changes its Dispatch (dispatches/<case>)
under the case's lease: one offer at a time per case, however many replicas run,
and a step of the escalation chain never fires twice. The events and deadlines a
change causes ride in the same write (the outbox). What a person holds is kept on
their document (people/<person>, under their lease, one change per person a
dispatch's change touches): their open cases and open offers, changed by set
operations keyed by case and offer id so that a repeat changes nothing, and when
they were last offered a case (for the fair choice). The caps are read without a
lease when candidates are ranked, so two dispatches at the same instant may each
give the last offer a cap allows: a cap may be passed by as many as run at once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lianxin.bus.deadlines import Deadline
from lianxin.bus.envelope import Envelope
from lianxin.contracts.calendars import is_holiday
from lianxin.privacy import mask_name
from services.roster.app import hours
from services.roster.app.duty import on_duty_now
from services.roster.domain import dispatch as dispatching
from services.roster.domain.dispatch import (
    AwaitShift,
    Candidate,
    CaseRef,
    Dispatch,
    EndOffer,
    Escalate,
    Hold,
    MakeOffer,
    Release,
)
from services.roster.events import EMITS
from services.roster.store import RosterStore, offer_document

log = logging.getLogger(__name__)
Move = tuple[Dispatch, list]  # the dispatch after a change, and what it causes

OFFER_ID_NAMESPACE = uuid.UUID("0b8f5d7e-2a1c-4f6b-8e3d-9c4a7b1e2f60")
OFFER_EXPIRY = "offer_expiry"
ESCALATION_STEP = "escalation_step"
SHIFT_START = "shift_start"  # a desk's next shift: its waiting cases are offered then
# a desk's rota with no shift held in three weeks (the Spring Festival closes a desk for
# nine days, so a weekly desk's next session may be two weeks off): escalate
DESK_LOOK_AHEAD = timedelta(days=22)


def offer_id_for(case_id: str, round: int, attempt: int) -> str:
    """The same attempt of the same round is the same offer: a redelivered event, or a
    retry after a crash, makes no second one."""
    name = f"{case_id}:{round}:{attempt}"
    return "OF-" + uuid.uuid5(OFFER_ID_NAMESPACE, name).hex[:16].upper()


# -- events from cases ----------------------------------------------------------------------


def on_case_event(store: RosterStore, event: Envelope, now: datetime) -> None:
    """Apply one case event to the case's dispatch, once. The hours it credits or takes
    back count whatever order the events arrive in (DESIGN.md rule 7); the dispatch
    itself (offers, the chain, who holds the case) moves on only for an event newer than
    any it has seen, by case version: an older one is stale for offering."""
    payload = event.payload
    with store.dispatches.change(payload["case_id"]) as change:
        current = change.value
        if current is not None and current.seen(event.event_id):
            return
        dispatch = current or dispatching.start(_case_ref(payload, event.correlation_id))
        version = dispatch.version_of(payload.get("case_version"))
        dispatch = hours.count(store, dispatch, event, version)
        effects: list = []
        if current is not None and current.is_stale(version):
            log.info(
                "%s %s is older than what case %s has seen: its hours count, no dispatch",
                event.type,
                event.event_id,
                payload["case_id"],
            )
        else:
            dispatch, effects = REACTIONS[event.type](store, dispatch, event, now)
        moved = dispatch.remember(event.event_id, version)
        _save(store, change, moved, effects, event, now)


def _triaged(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    if dispatch.attempt or dispatch.step or dispatch.state != "offered":
        return dispatch, []  # triaged again: the dispatch under way goes on
    return offer_round(store, dispatch, now)


def _declined(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    payload = event.payload
    moved, effects = dispatching.decline(dispatch, payload["person_id"], payload.get("offer_id"))
    if moved.offer is not None or moved.state != "offered":
        return moved, effects  # an offer to someone else is open, or the chain runs
    after, more = offer_round(store, moved, now)
    return after, [*effects, *more]


def _taken(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    return dispatching.take(dispatch, event.payload["person_id"])


def _resolved(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    return dispatching.resolve(dispatch)


def _reopened(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    moved, effects = dispatching.reopen(dispatch)
    after, more = offer_round(store, moved, now)
    return after, [*effects, *more]


def _ended(store: RosterStore, dispatch: Dispatch, event: Envelope, now: datetime) -> Move:
    return dispatching.end(dispatch)


REACTIONS: dict[str, Callable[[RosterStore, Dispatch, Envelope, datetime], Move]] = {
    "case.triaged": _triaged,
    "case.declined": _declined,
    "case.accepted": _taken,
    "case.assigned": _taken,
    "case.resolved": _resolved,
    "case.reopened": _reopened,
    "case.withdrawn": _ended,
    "case.closed": _ended,
    "case.rejected": _ended,
    "case.merged": _ended,
}


def _case_ref(payload: dict, correlation_id: str) -> CaseRef:
    return CaseRef(
        case_id=payload["case_id"],
        community_id=payload["community_id"],
        grid_id=payload["grid_id"],
        category=payload["category"],
        team=payload["team"],
        priority=payload["priority"],
        correlation_id=correlation_id,
    )


# -- deadlines ------------------------------------------------------------------------------


def on_offer_expiry(store: RosterStore, deadline: Deadline, now: datetime) -> None:
    """An offer's time is up: unless it was answered meanwhile, the next candidate."""
    with store.dispatches.change(deadline.aggregate_id) as change:
        dispatch = change.value
        passed = (
            dispatching.pass_on(dispatch, deadline.payload["offer_id"], "expired")
            if dispatch
            else None
        )
        if passed is None:
            return
        moved, effects = passed
        after, more = offer_round(store, moved, now)
        _save(store, change, after, [*effects, *more], None, now)


def on_escalation_step(store: RosterStore, deadline: Deadline, now: datetime) -> None:
    """A step's wait is over: unless someone took the case, the next level."""
    with store.dispatches.change(deadline.aggregate_id) as change:
        dispatch = change.value
        if dispatch is None:
            return
        policy = store.policy(dispatch.case.community_id).dispatch
        step = dispatching.next_step(
            dispatch, deadline.payload["step"], deadline.payload["round"], policy
        )
        if step is None:
            return
        _save(store, change, *step, None, now)


def on_shift_start(store: RosterStore, deadline: Deadline, now: datetime) -> None:
    """A desk's shift starts: a case waiting for it (no offer open, the same round, no
    step of the chain taken) is offered now."""
    with store.dispatches.change(deadline.aggregate_id) as change:
        dispatch = change.value
        if dispatch is None or dispatch.round != deadline.payload["round"]:
            return
        if dispatch.state != "offered" or dispatch.offer is not None or dispatch.step:
            return
        _save(store, change, *offer_round(store, dispatch, now), None, now)


# -- the choice -----------------------------------------------------------------------------


@dataclass
class Pool:
    candidates: list[Candidate] = field(default_factory=list)
    nobody: str = ""
    opens: datetime | None = None  # nobody on duty at a desk: its next shift's start


def offer_round(store: RosterStore, dispatch: Dispatch, now: datetime) -> Move:
    """Offer the case to the best candidate on duty, or escalate."""
    policy = store.policy(dispatch.case.community_id).dispatch
    offer_id = offer_id_for(dispatch.case.case_id, dispatch.round, dispatch.attempt + 1)
    pool = candidates(store, dispatch, now)
    return dispatching.next_move(
        dispatch, pool.candidates, offer_id, now, policy, pool.nobody, pool.opens
    )


def candidates(store: RosterStore, dispatch: Dispatch, now: datetime) -> Pool:
    """People on duty now, in teams that handle the category, for the case's grid, then
    for its neighbours (read only when nobody in the grid itself can take it)."""
    case = dispatch.case
    lookup = store.definition("lookups", f"grid:{case.grid_id}")
    if lookup is None:
        return Pool(nobody=f"no rota serves grid {case.grid_id}")
    entries = [e for e in lookup["rotas"] if dispatching.handles(e, case.category, case.team)]
    if not entries:
        return Pool(nobody=f"no rota for {case.category} serves grid {case.grid_id}")
    pool = Pool(nobody=f"nobody on duty for {case.category} in {case.grid_id} or next to it")
    people: dict[str, dict | None] = {}
    for distance in sorted({entry["distance"] for entry in entries}):
        for entry in (e for e in entries if e["distance"] == distance):
            rota = store.rota(entry["rota_id"])
            if rota is None or _desk_closed(entry, case.community_id, now):
                continue
            for person_id in on_duty_now(store, rota, now, people):
                person = people[person_id]
                if person and person.get("active", True):
                    pool.candidates.append(_candidate(store, person, entry, distance, now))
        if dispatching.eligible(pool.candidates, dispatch.passed):
            break
    if pool.candidates and not dispatching.eligible(pool.candidates, dispatch.passed):
        pool.nobody = "everyone on duty has passed on it or is at their cap"
    if not pool.candidates and not any(e.get("around_the_clock", True) for e in entries):
        pool.opens = next_shift(store, entries, case.community_id, now)
    return pool


def _desk_closed(entry: dict, community_id: str, now: datetime) -> bool:
    """A desk's rota on one of the community's holidays: nobody sits at it."""
    return not entry.get("around_the_clock", True) and is_holiday(community_id, now)


def next_shift(
    store: RosterStore, entries: list[dict], community_id: str, now: datetime
) -> datetime | None:
    """The earliest start of a shift to come of these rotas (a desk's), within
    DESK_LOOK_AHEAD, a shift on one of the community's holidays not held (the shared
    calendar, lianxin/contracts/calendars.yaml); None when there is none, and the chain
    runs as for any team."""
    starts = []
    for entry in entries:
        rota = store.rota(entry["rota_id"])
        upcoming = rota.shifts(now, now + DESK_LOOK_AHEAD) if rota else ()
        held = (s.start for s in upcoming if not is_holiday(community_id, s.start))
        starts += [start for start in held if start > now][:1]
    return min(starts, default=None)


def _candidate(
    store: RosterStore, person: dict, entry: dict, distance: int, now: datetime
) -> Candidate:
    """Someone on duty, with their caps as their own community's policy sets them."""
    policy = store.policy(person["community_id"])
    return Candidate(
        person_id=person["_id"],
        display_name=mask_name(person["name"]),
        team=entry["team"],
        grid_id=entry["grid_id"],
        distance=distance,
        open_cases=len(person.get("open_cases", ())),
        cap=person.get("max_open_cases") or policy.dispatch.default_cap,
        last_offer_at=person.get("last_offer_at"),
        open_offers=len(dispatching.open_offers(person.get("open_offers", ()), now)),
        offer_cap=policy.dispatch.offer_cap(person.get("roles", ())),
    )


# -- carrying out what a change decided -----------------------------------------------------


def _save(
    store, change, dispatch: Dispatch, effects, cause: Envelope | None, now: datetime
) -> None:
    outbox: list = []
    correlation = cause.correlation_id if cause else dispatch.case.correlation_id
    for effect in effects:
        outbox.extend(_carry_out(store, dispatch, effect, correlation, now))
    _people(store, effects, dispatch.case.case_id, now)
    change.save(dispatch, outbox)


def _people(store: RosterStore, effects, case_id: str, now: datetime) -> None:
    """What the effects change of each person they touch: one change per person."""
    touched: dict[str, list] = {}
    for effect in effects:
        person_id = dispatching.affected(effect)
        if person_id:
            touched.setdefault(person_id, []).append(effect)
    for person_id, theirs in touched.items():
        with store.change("people", person_id) as change:
            if change.value is None:
                continue
            after = dispatching.person_after(change.value, theirs, case_id, now)
            if after is not None:
                change.save(after)


def _carry_out(store, dispatch: Dispatch, effect, correlation: str, now: datetime) -> list:
    case_id = dispatch.case.case_id
    if isinstance(effect, MakeOffer):
        offer = effect.offer
        store.put("offers", offer_document(offer, "open", now))
        return [
            offer_made(offer, correlation, case_id, now),
            Deadline(OFFER_EXPIRY, case_id, offer.expires_at, {"offer_id": offer.id}),
        ]
    if isinstance(effect, EndOffer):
        store.put("offers", offer_document(effect.offer, effect.outcome, now))
        if effect.outcome == "expired":
            return [offer_expired(effect.offer, correlation, case_id, now)]
        return []
    if isinstance(effect, Escalate):
        return _escalation(store, dispatch, effect, correlation, now)
    if isinstance(effect, AwaitShift):
        log.info("case %s waits for its desk: %s", case_id, effect.reason)
        return [Deadline(SHIFT_START, case_id, effect.at, {"round": dispatch.round})]
    if isinstance(effect, Hold | Release):
        return []  # on the person's document (_people)
    raise TypeError(f"unknown effect {effect!r}")


def offer_made(offer: dispatching.Offer, correlation: str, case_id: str, now: datetime) -> Envelope:
    """`offer.made`: cases records the dispatch and tells the volunteer (through notify)."""
    payload = {
        **_offer_payload(offer),
        "display_name": offer.display_name,
        "team": offer.team,
        "grid_id": offer.grid_id,
        "expires_at": offer.expires_at,
    }
    return _event("offer.made", payload, correlation, case_id, now)


def offer_expired(
    offer: dispatching.Offer, correlation: str, case_id: str, now: datetime
) -> Envelope:
    return _event("offer.expired", _offer_payload(offer), correlation, case_id, now)


def _offer_payload(offer: dispatching.Offer) -> dict:
    return {
        "case_id": offer.case_id,
        "offer_id": offer.id,
        "person_id": offer.person_id,
        "attempt": offer.attempt,
    }


def escalation_required(
    case: CaseRef, effect: Escalate, target: dict, reason: str, correlation: str, now: datetime
) -> Envelope:
    """`escalation.required`: a step of the chain, to `target` (escalation_target)."""
    payload = {
        "case_id": case.case_id,
        "community_id": case.community_id,
        "grid_id": case.grid_id,
        "level": effect.level,
        "step": effect.step,
        "reason": reason,
        "target": target,
    }
    return _event("escalation.required", payload, correlation, case.case_id, now)


def _escalation(store, dispatch: Dispatch, effect: Escalate, correlation: str, now: datetime):
    case = dispatch.case
    target, note = escalation_target(store, case, effect.level, now)
    reason = f"{effect.reason}; {note}" if note else effect.reason
    events: list = [escalation_required(case, effect, target, reason, correlation, now)]
    if effect.wait is not None:
        events.append(
            Deadline(
                ESCALATION_STEP,
                case.case_id,
                now + effect.wait,
                {"step": effect.step + 1, "round": dispatch.round},
            )
        )
    return events


def escalation_target(store: RosterStore, case: CaseRef, level: str, now: datetime):
    """Who the step goes to: the grid's leader; the community staff on duty (or, with
    none on duty, the first listed); a department the category suggests."""
    if level == "department":
        department = store.policy(case.community_id).department_for(case.category)
        return {"person_id": None, "display_name": None, "department": department.name}, ""
    if level == "grid_leader":
        grid = store.definition("areas", case.grid_id) or {}
        return _person_target(store, grid.get("leader"), "the grid has no leader on record")
    staff_team = store.policy(case.community_id).staff_team
    lookup = store.definition("lookups", f"grid:{case.grid_id}") or {"rotas": []}
    people: dict[str, dict | None] = {}
    for entry in (e for e in lookup["rotas"] if e["team"] == staff_team):
        rota = store.rota(entry["rota_id"])
        on_duty = on_duty_now(store, rota, now, people) if rota else []
        if on_duty:
            return _person_target(store, on_duty[0], "")
    community = store.definition("areas", case.community_id) or {}
    listed = (community.get("staff") or [None])[0]
    return _person_target(store, listed, "no staff on duty: the community's first listed staff")


def _person_target(store: RosterStore, person_id: str | None, note: str):
    person = store.find("people", person_id) if person_id else None
    if person is None:
        return {
            "person_id": None,
            "display_name": None,
            "department": None,
        }, note or "nobody on record"
    return {
        "person_id": person_id,
        "display_name": mask_name(person["name"]),
        "department": None,
    }, note


def _event(type_: str, payload: dict, correlation: str, case_id: str | None, now: datetime):
    return EMITS.new_event(type_, payload, correlation_id=correlation, case_id=case_id, at=now)
