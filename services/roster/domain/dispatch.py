"""Who gets the case: one case's dispatch, from triage to its end. Plain Python.

A case is offered to one person at a time. A decline or an expired offer passes it
to the next candidate; after the community's number of attempts, or when nobody
can take it, the escalation chain starts: grid leader, community staff on duty,
then a department referral, each step with its own wait. Acceptance (or a staff
assignment) stops the chain. Every rule is a function of the current Dispatch and
returns the next one with the effects it causes; services.roster.app.dispatch carries
them out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.roster.domain.credits import Credits

PRIORITIES = ("urgent", "high", "normal", "low")
APPLIED_KEPT = 16  # event ids a dispatch remembers: a case sees a few dozen events at most


@dataclass(frozen=True)
class EscalationStep:
    level: str
    wait: timedelta | None = None  # before the next step; None after the last


@dataclass(frozen=True)
class DispatchPolicy:
    """A community's dispatch rules, held in data (its policy in the import file)."""

    offer_window: Mapping[str, timedelta]  # by priority: how long an offer stays open
    attempts: int  # offers per round before the chain starts
    escalation: tuple[EscalationStep, ...]
    default_cap: int  # open cases a person may hold unless their profile says otherwise
    offer_caps: Mapping[str, int]  # by role: offers a person may have open at once

    def window(self, priority: str) -> timedelta:
        return self.offer_window.get(priority) or self.offer_window["normal"]

    def offer_cap(self, roles: Iterable[str]) -> int:
        """The largest of the person's roles' caps; with no role, a volunteer's."""
        caps = [self.offer_caps[role] for role in roles if role in self.offer_caps]
        return max(caps, default=self.offer_caps["volunteer"])


@dataclass(frozen=True)
class Candidate:
    """Someone on duty who could take the case, with what the fair choice weighs."""

    person_id: str
    display_name: str
    team: str
    grid_id: str
    distance: int  # 0: on duty for the case's grid; 1: for a neighbouring grid
    open_cases: int
    cap: int
    last_offer_at: datetime | None
    open_offers: int  # offered other cases and not yet answered
    offer_cap: int


def rank(candidate: Candidate, case_id: str) -> tuple:
    """Same grid first, then the fewest open cases, then the longest since their last
    offer (never offered is longest); a hash of case and person breaks ties so that
    equal people share the work rather than the first in a list taking it all."""
    waited = candidate.last_offer_at.timestamp() if candidate.last_offer_at else float("-inf")
    spread = hashlib.sha256(f"{case_id}:{candidate.person_id}".encode()).digest()[:8]
    return (candidate.distance, candidate.open_cases, waited, spread)


def eligible(candidates: Iterable[Candidate], passed: Iterable[str]) -> list[Candidate]:
    """Under their caps (open cases, open offers) and not among those who passed on this
    case; each person once, at their nearest."""
    excluded = set(passed)
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.person_id in excluded or candidate.open_cases >= candidate.cap:
            continue
        if candidate.open_offers >= candidate.offer_cap:
            continue
        known = best.get(candidate.person_id)
        if known is None or candidate.distance < known.distance:
            best[candidate.person_id] = candidate
    return list(best.values())


def choose(
    candidates: Iterable[Candidate], passed: Iterable[str], case_id: str
) -> Candidate | None:
    found = eligible(candidates, passed)
    return min(found, key=lambda candidate: rank(candidate, case_id)) if found else None


@dataclass(frozen=True)
class CaseRef:
    """What roster keeps of a case: enough to dispatch and escalate it."""

    case_id: str
    community_id: str
    grid_id: str
    category: str
    team: str
    priority: str
    correlation_id: str


@dataclass(frozen=True)
class Offer:
    id: str
    case_id: str
    person_id: str
    display_name: str
    team: str
    grid_id: str
    made_at: datetime
    expires_at: datetime
    attempt: int
    round: int


@dataclass(frozen=True)
class Dispatch:
    case: CaseRef
    state: str  # offered | escalated | accepted | resolved | ended
    round: int = 1
    attempt: int = 0
    offer: Offer | None = None
    passed: tuple[str, ...] = ()
    step: int = 0  # escalation steps taken in this round
    holder: str | None = None  # who has the case open
    awaits_shift: datetime | None = None  # a desk's case: offered when its next shift starts
    case_version: int = 0
    credits: Credits = field(default_factory=Credits)
    applied: tuple[str, ...] = field(default_factory=tuple)

    def seen(self, event_id: str) -> bool:
        return event_id in self.applied

    def remember(self, event_id: str, case_version: int) -> Dispatch:
        return replace(
            self,
            applied=(*self.applied, event_id)[-APPLIED_KEPT:],
            case_version=max(case_version, self.case_version),
        )

    def version_of(self, case_version: int | None) -> int:
        """An event's case version; for one without (a producer older than the contract),
        the next after the newest seen: its arrival order stands for it."""
        return self.case_version + 1 if case_version is None else case_version

    def is_stale(self, case_version: int) -> bool:
        """An event older than one already applied (events may arrive out of order): too
        old to move the dispatch, though its hours still count (services.roster.domain.credits)."""
        return case_version <= self.case_version


# Effects: what a rule asks the handler to do besides storing the new Dispatch.


@dataclass(frozen=True)
class MakeOffer:
    offer: Offer


@dataclass(frozen=True)
class EndOffer:
    offer: Offer
    outcome: str  # accepted | declined | expired | withdrawn


@dataclass(frozen=True)
class Escalate:
    step: int  # 1-based
    level: str
    reason: str
    wait: timedelta | None


@dataclass(frozen=True)
class AwaitShift:
    """Nobody of a team that keeps hours (a desk) is on duty: wait for its next shift
    rather than escalate a case nobody could have taken yet."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Hold:
    person_id: str


@dataclass(frozen=True)
class Release:
    person_id: str


Effect = MakeOffer | EndOffer | Escalate | AwaitShift | Hold | Release


def open_offers(held: Iterable[Mapping[str, Any]], now: datetime) -> list[str]:
    """The offers a person has open now: an offer counts until it ends or its window is
    over, so one whose end was never recorded stops counting when it lapses."""
    return [entry["offer_id"] for entry in held if entry["expires_at"] > now]


def person_after(
    person: Mapping[str, Any], effects: Iterable[Effect], case_id: str, now: datetime
) -> dict[str, Any] | None:
    """A person's open cases, open offers and last offer after a dispatch's effects on
    them: set operations keyed by case and offer id, so a repeat changes nothing; offers
    past their window are dropped on the way. None when nothing changes."""
    before = (
        list(person.get("open_cases", ())),
        list(person.get("open_offers", ())),
        person.get("last_offer_at"),
    )
    open_cases, last_offer_at = list(before[0]), before[2]
    held = [entry for entry in before[1] if entry["expires_at"] > now]
    for effect in effects:
        if isinstance(effect, Hold) and case_id not in open_cases:
            open_cases.append(case_id)
        elif isinstance(effect, Release) and case_id in open_cases:
            open_cases.remove(case_id)
        elif isinstance(effect, MakeOffer):
            held = [*_without(held, effect.offer.id), _held(effect.offer)]
            made = effect.offer.made_at
            last_offer_at = made if last_offer_at is None else max(last_offer_at, made)
        elif isinstance(effect, EndOffer):
            held = _without(held, effect.offer.id)
    after = (open_cases, held, last_offer_at)
    if after == before:
        return None
    return {**person, "open_cases": open_cases, "open_offers": held, "last_offer_at": last_offer_at}


def _held(offer: Offer) -> dict[str, Any]:
    return {"offer_id": offer.id, "case_id": offer.case_id, "expires_at": offer.expires_at}


def _without(held: list[dict[str, Any]], offer_id: str) -> list[dict[str, Any]]:
    return [entry for entry in held if entry["offer_id"] != offer_id]


def affected(effect: Effect) -> str | None:
    """Whose document an effect changes, if anyone's."""
    if isinstance(effect, MakeOffer | EndOffer):
        return effect.offer.person_id
    if isinstance(effect, Hold | Release):
        return effect.person_id
    return None


def start(case: CaseRef) -> Dispatch:
    return Dispatch(case=case, state="offered")


def next_move(
    dispatch: Dispatch,
    candidates: Sequence[Candidate],
    offer_id: str,
    now: datetime,
    policy: DispatchPolicy,
    nobody: str,
    opens: datetime | None = None,
) -> tuple[Dispatch, list[Effect]]:
    """Offer the case to the best candidate, or start the escalation chain.
    `nobody` says why there is no candidate, should there be none; `opens`, when the
    case's team keeps hours (a desk) and nobody of it is on duty, is its next shift's
    start: the case waits for it."""
    if dispatch.attempt >= policy.attempts:
        return escalate(dispatch, f"no one accepted after {dispatch.attempt} offers", policy)
    if not candidates and opens is not None:
        waiting = replace(dispatch, state="offered", offer=None, awaits_shift=opens)
        return waiting, [AwaitShift(opens, nobody)]
    pick = choose(candidates, dispatch.passed, dispatch.case.case_id)
    if pick is None:
        reason = nobody if not dispatch.passed else f"{nobody}; {len(dispatch.passed)} passed"
        return escalate(dispatch, reason, policy)
    offer = Offer(
        id=offer_id,
        case_id=dispatch.case.case_id,
        person_id=pick.person_id,
        display_name=pick.display_name,
        team=pick.team,
        grid_id=pick.grid_id,
        made_at=now,
        expires_at=now + policy.window(dispatch.case.priority),
        attempt=dispatch.attempt + 1,
        round=dispatch.round,
    )
    moved = replace(
        dispatch, state="offered", offer=offer, attempt=offer.attempt, awaits_shift=None
    )
    return moved, [MakeOffer(offer)]


def escalate(
    dispatch: Dispatch, reason: str, policy: DispatchPolicy
) -> tuple[Dispatch, list[Effect]]:
    """Take the next step of the chain, if there is one left."""
    if dispatch.step >= len(policy.escalation):
        return replace(dispatch, state="escalated", offer=None), []
    step = policy.escalation[dispatch.step]
    moved = replace(
        dispatch, state="escalated", offer=None, step=dispatch.step + 1, awaits_shift=None
    )
    return moved, [Escalate(moved.step, step.level, reason, step.wait)]


def pass_on(
    dispatch: Dispatch, offer_id: str, outcome: str
) -> tuple[Dispatch, list[Effect]] | None:
    """The open offer was declined or expired: its person passes. None when that offer
    is no longer the open one (already accepted, passed, or replaced)."""
    offer = dispatch.offer
    if dispatch.state != "offered" or offer is None or offer.id != offer_id:
        return None
    moved = replace(dispatch, offer=None, passed=(*dispatch.passed, offer.person_id))
    return moved, [EndOffer(offer, outcome)]


def next_step(
    dispatch: Dispatch, step: int, round: int, policy: DispatchPolicy
) -> tuple[Dispatch, list[Effect]] | None:
    """The wait of step `step - 1` is over. None when the chain has moved on: the case
    was accepted, ended, re-dispatched, or this step already fired."""
    if dispatch.state != "escalated" or dispatch.round != round or dispatch.step != step - 1:
        return None
    if dispatch.step >= len(policy.escalation):
        return None
    return escalate(dispatch, "no one took the case at the previous level", policy)


# Who holds the case open follows the newest event alone: each event that moves the
# dispatch says who holds it after (the person accepting or assigned; after any other,
# nobody), releasing whoever held it before. So an event that arrives late, and is
# stale for the dispatch, can never leave someone holding a case they no longer have.


def take(dispatch: Dispatch, person_id: str) -> tuple[Dispatch, list[Effect]]:
    """Accepted by the offered person, or assigned by staff: the chain stops."""
    effects: list[Effect] = []
    if dispatch.offer is not None:
        taken = "accepted" if dispatch.offer.person_id == person_id else "withdrawn"
        effects.append(EndOffer(dispatch.offer, taken))
    if dispatch.holder and dispatch.holder != person_id:
        effects.append(Release(dispatch.holder))
    effects.append(Hold(person_id))
    return replace(dispatch, state="accepted", offer=None, holder=person_id), effects


def let_go(dispatch: Dispatch) -> list[Effect]:
    """What a change that leaves nobody with the case causes: the open offer ends, whoever
    held the case no longer does."""
    effects: list[Effect] = []
    if dispatch.offer is not None:
        effects.append(EndOffer(dispatch.offer, "withdrawn"))
    if dispatch.holder:
        effects.append(Release(dispatch.holder))
    return effects


def resolve(dispatch: Dispatch) -> tuple[Dispatch, list[Effect]]:
    return replace(dispatch, state="resolved", holder=None, offer=None), let_go(dispatch)


def end(dispatch: Dispatch) -> tuple[Dispatch, list[Effect]]:
    """Closed, withdrawn, returned (退单) or merged: nothing more to offer or escalate,
    nobody holds it."""
    return replace(dispatch, state="ended", holder=None, offer=None), let_go(dispatch)


def decline(
    dispatch: Dispatch, person_id: str, offer_id: str | None
) -> tuple[Dispatch, list[Effect]]:
    """The person offered the case, or assigned it, passes on it: they are not asked again
    this round, and nobody holds it. An open offer to someone else stays open."""
    effects: list[Effect] = []
    offer = dispatch.offer
    if offer is not None and offer.person_id == person_id and offer_id in (None, offer.id):
        effects.append(EndOffer(offer, "declined"))
        offer = None
    if dispatch.holder:
        effects.append(Release(dispatch.holder))
    passed = dispatch.passed if person_id in dispatch.passed else (*dispatch.passed, person_id)
    state = "offered" if dispatch.state in ("offered", "accepted") else dispatch.state
    return replace(dispatch, state=state, offer=offer, holder=None, passed=passed), effects


def reopen(dispatch: Dispatch) -> tuple[Dispatch, list[Effect]]:
    """A new round: everyone may be offered the case again, the chain starts afresh."""
    moved = replace(
        dispatch,
        state="offered",
        round=dispatch.round + 1,
        attempt=0,
        passed=(),
        step=0,
        offer=None,
        holder=None,
    )
    return moved, let_go(dispatch)


def handles(entry: Mapping[str, object], category: str, taxonomy_team: str) -> bool:
    """A rota takes a category when its team is the one the taxonomy names for it, or
    when the team lists the category (a code, a `prefix.*`, or `*`) among its own."""
    if entry["team"] == taxonomy_team:
        return True
    prefix = category.split(".")[0] + ".*"
    return any(pattern in (category, prefix, "*") for pattern in entry["categories"])
