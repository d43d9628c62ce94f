"""The quarter's red/black list (居民公约红黑榜): staff preview it, then publish it once; the
published list is public (rules: domain/pact_list.py).

Publishing writes pact_lists/<community>:<quarter> with its `pact.list_published` event in
one write, under that id's lease: a second publication finds it and is refused (409), so a
double click or a replayed form publishes once. From then on the quarter takes no more
observations or decisions (app/pact.py reads the same id). A decision that lands while
the list is being compiled is not on it: the list is the quarter as it stood when
published.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from lianxin.access.actors import Actor
from lianxin.bus.envelope import Envelope
from services.estate.app import pact_places
from services.estate.app.pact import OBSERVATION_NAMESPACE, require_staff
from services.estate.domain import pact_list
from services.estate.domain.pact import Observation, PactNotFound, state_of
from services.estate.domain.pact_list import AlreadyPublished, PactList
from services.estate.domain.pact_reference import PactReference
from services.estate.events import EMITS
from services.estate.store import EstateStore


def preview(
    store: EstateStore,
    reference: PactReference,
    community_id: str,
    quarter: str,
    actor: Actor,
    now: datetime,
) -> tuple[PactList, dict[str, int], PactList | None]:
    """What publishing now would show, how many of the quarter's observations are in each
    state (those still open or waiting for staff are not on it), and the list published
    already, if it was."""
    require_staff(actor, community_id)
    found, compiled = _compiled(store, reference, community_id, quarter, actor, now)
    states = Counter(state_of(observation, now) for observation in found)
    return compiled, dict(states), store.pact.lists.get(pact_list.list_id(community_id, quarter))


def publish(
    store: EstateStore,
    reference: PactReference,
    community_id: str,
    quarter: str,
    actor: Actor,
    now: datetime,
) -> PactList:
    """Freeze the quarter's list, once, from its first day on."""
    require_staff(actor, community_id)
    pact_list.check_publishable(quarter, now, pact_places.zone_of(store, community_id))
    with store.pact.lists.change(pact_list.list_id(community_id, quarter)) as change:
        if change.value is not None:
            raise AlreadyPublished(quarter)
        found, published = _compiled(store, reference, community_id, quarter, actor, now)
        change.save(published, [published_event(published, len(found))])
    return published


def _compiled(store: EstateStore, reference: PactReference, community_id: str, quarter: str,
              actor: Actor, now: datetime) -> tuple[list[Observation], PactList]:  # fmt: skip
    """The quarter's observations, and the list they make now by the community's rule."""
    found = store.pact.observations_of(community_id=community_id, quarter=quarter)
    return found, pact_list.compiled(
        community_id=community_id, quarter=quarter, observations=found,
        rules=reference.rules(community_id), by=actor.person_id or actor.key_id, now=now,
    )  # fmt: skip


def published(store: EstateStore, community_id: str, quarter: str) -> PactList:
    """A published list, for anyone (it shows nothing personal); 404 before publication."""
    found = store.pact.lists.get(pact_list.list_id(community_id, quarter))
    if found is None:
        raise PactNotFound(f"No list of {quarter} is published for {community_id}.")
    return found


def published_event(published: PactList, observations: int) -> Envelope:
    """What metrics counts of a published list: how many lines, never who."""
    return EMITS.new_event(
        "pact.list_published",
        {
            "community_id": published.community_id,
            "quarter": published.quarter,
            "black_households": len(published.black),
            "red_households": len(published.red),
            "observations": observations,
            "published_at": published.published_at,
        },
        correlation_id=f"pact-list-{published.id}",
        at=published.published_at,
        event_id=str(uuid.uuid5(OBSERVATION_NAMESPACE, f"published\n{published.id}")),
    )
