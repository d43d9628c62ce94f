"""Use cases of the residents' pact (居民公约): its articles, the observations recorded
against them, the household's answer and staff's decision (rules: domain/pact.py).

Who may (another community's pact, observation or household is 404, whoever asks):
- staff of the community (a person token through an `act`/`read` key, or an admin key):
  edit articles, record observations for any household of the register, see and decide
  every observation, publish the quarter (app/pact_lists.py);
- a unit leader (单元长): record an observation for a household of a unit they lead (as
  roster's areas say: app/pact_places.py), see the observations they recorded; a
  household of another unit is not found for them;
- a resident, through the console's residents' key (scope `verify`, no person): the key
  speaks for a number the console proved by SMS code; the household register says which
  households it is on, and only their observations are found and answered.
An observation is an aggregate (pact_observations/<id>), its id made from the request's
Idempotency-Key, so a retried form finds the observation it made; its photos are the
recorder's own loose uploads of the community, bound to it once (app/pact_photos.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.actors import Actor, Forbidden
from lianxin.bus.envelope import Envelope
from lianxin.quarters import Quarter
from services.estate.app import pact_photos, pact_places
from services.estate.app.register import HouseholdNotFound, find_household, households_by_phone
from services.estate.domain import pact
from services.estate.domain.pact import Observation, Pact, PactNotFound, Place
from services.estate.domain.pact_list import list_id
from services.estate.domain.pact_reference import PactReference
from services.estate.events import EMITS
from services.estate.store import EstateStore

# what the console's residents' key holds to speak for a number its page proved by SMS code
RESIDENTS_SCOPE = "verify"
OBSERVATION_NAMESPACE = uuid.UUID("5d0c8a7e-3f41-4b6a-9c2e-1a7b9e4f6d21")
Digest = Callable[[str], str]


class ObservationKeyReused(Exception):
    """The Idempotency-Key already named an observation that says something else."""

    def __init__(self, observation_id: str):
        super().__init__("This key was already used for another observation.")
        self.observation_id = observation_id


def observation_id_for(actor: Actor, idempotency_key: str | None) -> str:
    """The same key of the same API key and person names the same observation."""
    if not idempotency_key:
        return "PO-" + uuid.uuid4().hex[:16]
    named = f"{actor.key_id}\n{actor.person_id}\n{idempotency_key}"
    return "PO-" + uuid.uuid5(OBSERVATION_NAMESPACE, named).hex[:16]


def require_staff(actor: Actor, community_id: str) -> None:
    """Staff of the community (or an admin key): Forbidden for another role, 404 for
    another community."""
    actor.require_role("staff")
    if not actor.sees(community_id):
        raise PactNotFound(f"No community {community_id}.")


# -- the articles ---------------------------------------------------------------------------


def pact_of(store: EstateStore, reference: PactReference, community_id: str, estate_id: str,
            actor: Actor) -> Pact:  # fmt: skip
    """The estate's pact (its stored one, or the community's sample before an edit), for
    anyone of the community; an estate roster does not know in it is 404."""
    if not actor.sees(community_id) or not pact_places.is_estate_of(
        store, estate_id, community_id
    ):
        raise PactNotFound(f"No estate {estate_id}.")
    return store.pact.pacts.get(estate_id) or reference.sample(community_id, estate_id)


def edit_article(
    store: EstateStore,
    reference: PactReference,
    community_id: str,
    estate_id: str,
    number: int,
    body: Mapping[str, Any],
    actor: Actor,
    now: datetime,
) -> Pact:
    """A new version of the article (or the next article), by staff of the community."""
    require_staff(actor, community_id)
    pact_of(store, reference, community_id, estate_id, actor)
    with store.pact.pacts.change(estate_id) as change:
        current = change.value or reference.sample(community_id, estate_id)
        edited = pact.edited(current, number, body["title"], body["text"], _who(actor), now)
        change.save(edited)
    return edited


# -- recording an observation ----------------------------------------------------------------


def record(
    store: EstateStore,
    reference: PactReference,
    body: Mapping[str, Any],
    actor: Actor,
    observation_id: str,
    now: datetime,
) -> tuple[Observation, bool]:
    """An observation against the article's current version for a household the actor
    may record for; returns it and whether it is new (a retry finds the one it made)."""
    actor.require_role(*pact.RECORDER_ROLES)
    community_id = body["community_id"]
    place = _place_for(store, community_id, body["household_id"], actor)
    estate_id = find_household(store, community_id, body["household_id"]).estate
    current = pact_of(store, reference, community_id, estate_id, actor)
    zone = pact_places.zone_of(store, community_id)
    quarter = str(Quarter.of(body["seen_at"], ZoneInfo(zone)))
    published = frozenset({quarter}) if _published(store, community_id, quarter) else frozenset()
    asked = pact.observed(
        observation_id=observation_id, pact=current, article_number=body["article_number"],
        place=place, kind=body["kind"], seen=body["seen"],
        seen_at=body["seen_at"].replace(microsecond=0), photos=tuple(body.get("photos") or ()),
        by=_who(actor), role=actor.role or "staff", now=now,
        answer_window=reference.rules(community_id).answer_window, zone=zone, published=published,
    )  # fmt: skip
    with store.pact.observations.change(observation_id) as change:
        if change.value is not None:
            if not _same_request(change.value, asked):
                raise ObservationKeyReused(observation_id)
            return change.value, False
        pact_photos.check_attachable(store, asked.photos, community_id, actor)
        change.save(asked, [recorded_event(asked)])
    pact_photos.attach(store, asked.photos, observation_id, community_id, actor)
    return asked, True


def _same_request(stored: Observation, asked: Observation) -> bool:
    keys = ("community_id", "place", "kind", "article_number", "seen", "seen_at", "photos")
    return all(getattr(stored, key) == getattr(asked, key) for key in keys)


def _place_for(store: EstateStore, community_id: str, household_id: str, actor: Actor) -> Place:
    """The household's place, if the actor may record for it: staff of its community, or
    the leader of its unit; PactNotFound otherwise (as a household that does not exist)."""
    if not actor.sees(community_id):
        raise PactNotFound(f"No household {household_id}.")
    try:
        household = find_household(store, community_id, household_id)
    except HouseholdNotFound:
        raise PactNotFound(f"No household {household_id}.") from None
    if actor.role == "unit_leader" and not pact_places.leads(
        store, actor.person_id or "", household.unit
    ):
        raise PactNotFound(f"No household {household_id}.")
    return pact_places.place_of(store, household)


def _published(store: EstateStore, community_id: str, quarter: str) -> bool:
    return store.pact.lists.get(list_id(community_id, quarter)) is not None


def _who(actor: Actor) -> str:
    return actor.person_id or actor.key_id


# -- reading observations --------------------------------------------------------------------


def may_see(observation: Observation, actor: Actor) -> bool:
    """Staff of its community (an admin key too), or the person who recorded it."""
    if not actor.sees(observation.community_id):
        return False
    if actor.person_id is None:
        return actor.is_admin
    return actor.role == "staff" or actor.person_id == observation.recorded_by


def observation_of(store: EstateStore, observation_id: str, actor: Actor) -> Observation:
    found = store.pact.observations.get(observation_id)
    if found is None or not may_see(found, actor):
        raise PactNotFound(f"No observation {observation_id}.")
    return found


def observations_of(
    store: EstateStore, community_id: str, quarter: str, actor: Actor
) -> list[Observation]:
    """The quarter's observations for staff; a unit leader's own (of any quarter) for a
    unit leader."""
    if not actor.sees(community_id):
        raise PactNotFound(f"No community {community_id}.")
    if actor.person_id is not None and actor.role != "staff":
        actor.require_role(*pact.RECORDER_ROLES)
        found = store.pact.observations_of(recorded_by=actor.person_id)
        return [seen for seen in found if seen.community_id == community_id]
    actor.require_role("staff")
    return store.pact.observations_of(community_id=community_id, quarter=quarter)


# -- staff's decision ------------------------------------------------------------------------


def decide(
    store: EstateStore,
    observation_id: str,
    outcome: str,
    note: str,
    actor: Actor,
    now: datetime,
) -> Observation:
    """Upheld or withdrawn, by staff of the community, once the window has closed."""
    actor.require_role("staff")
    with store.pact.observations.change(observation_id) as change:
        found = change.value
        if found is None or not actor.sees(found.community_id):
            raise PactNotFound(f"No observation {observation_id}.")
        published = _published(store, found.community_id, found.quarter)
        kept = pact.decided(found, outcome, note, _who(actor), now,
                            frozenset({found.quarter}) if published else frozenset())  # fmt: skip
        if kept is not found:
            change.save(kept, [decided_event(kept)])
    return kept


# -- the household's side (the residents' key, for a number the console proved) ---------------


def require_residents_key(actor: Actor) -> None:
    """The residents' pages' key: it may verify numbers, and acts for no person."""
    actor.require(RESIDENTS_SCOPE)
    if actor.person_id is not None:
        raise Forbidden("A person's token does not speak for a resident's number.")


def households_of(store: EstateStore, community_id: str, phone: str, digest: Digest,
                  actor: Actor) -> list[str]:  # fmt: skip
    """The households of the community the proven number is on."""
    require_residents_key(actor)
    if not actor.sees(community_id):
        raise PactNotFound(f"No community {community_id}.")
    found = households_by_phone(store, community_id, phone, digest)
    return [household.household_id for household in found]


def household_observations(
    store: EstateStore, community_id: str, phone: str, digest: Digest, actor: Actor
) -> tuple[list[str], list[Observation]]:
    """The number's households and their observations, newest last."""
    households = households_of(store, community_id, phone, digest, actor)
    seen = [
        observation
        for household_id in households
        for observation in store.pact.observations_of(
            community_id=community_id, household_id=household_id
        )
    ]
    return households, sorted(seen, key=lambda observation: observation.recorded_at)


def answer(
    store: EstateStore,
    observation_id: str,
    body: Mapping[str, Any],
    digest: Digest,
    actor: Actor,
    now: datetime,
) -> Observation:
    """The household's answer within its window; another household's observation is 404."""
    community_id = body["community_id"]
    households = households_of(store, community_id, body["phone"], digest, actor)
    with store.pact.observations.change(observation_id) as change:
        found = change.value
        if found is None or found.community_id != community_id or (
            found.household_id not in households
        ):
            raise PactNotFound(f"No observation {observation_id}.")
        kept = pact.answered(found, body["text"], body.get("surname") or "", now)
        if kept is not found:
            change.save(kept)
    return kept


# -- events ----------------------------------------------------------------------------------


def recorded_event(observation: Observation) -> Envelope:
    """What metrics counts of a new observation: no household, no text."""
    return EMITS.new_event(
        "pact.observation_recorded",
        {
            "observation_id": observation.id,
            "community_id": observation.community_id,
            "estate_id": observation.estate_id,
            "quarter": observation.quarter,
            "kind": observation.kind,
            "article_number": observation.article_number,
            "article_version": observation.article_version,
            "recorded_role": observation.recorded_role,
            "recorded_at": observation.recorded_at,
        },
        correlation_id=f"pact-{observation.id}",
        at=observation.recorded_at,
        event_id=str(uuid.uuid5(OBSERVATION_NAMESPACE, f"recorded\n{observation.id}")),
    )


def decided_event(observation: Observation) -> Envelope:
    decision = observation.decision
    assert decision is not None  # only a decided observation is told
    return EMITS.new_event(
        "pact.observation_decided",
        {
            "observation_id": observation.id,
            "community_id": observation.community_id,
            "quarter": observation.quarter,
            "kind": observation.kind,
            "outcome": decision.outcome,
            "decided_at": decision.at,
        },
        correlation_id=f"pact-{observation.id}",
        at=decision.at,
        event_id=str(uuid.uuid5(OBSERVATION_NAMESPACE, f"decided\n{observation.id}")),
    )
