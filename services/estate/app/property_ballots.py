"""Residents rate the property company (物业考评) from the console's public page: a number the
resident proved by SMS code (the console checked the code) finds its households in the
register, and each household casts one ballot a quarter for its estate's company.

Only a key with the scope `resident` may ask — the console's residents' key, whose pages
prove a number by SMS code before they send it — and never with a person's token: the
staff's key cannot vote for a household, nor can an app's. A ballot is stored by one
unique insert whose id names the household (property_ballots.vote_id), made while
holding the estate's lease, so that it is either counted in a quarter's frozen result or
refused as late: never stored after its quarter closed. A second ballot of the household,
from the same number or another, is AlreadyVoted with the first one's time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lianxin.access.actors import Actor, Forbidden
from services.estate.app.property_evaluation import PropertyRules
from services.estate.app.register import households_by_phone
from services.estate.domain.households import Household
from services.estate.domain.property_ballots import AlreadyVoted, Ballot, vote_id
from services.estate.domain.property_evaluation import Company, Evaluation
from services.estate.domain.property_records import CastBallot, evaluation_id
from services.estate.store import PropertyStore


class NotOnRegister(Exception):
    """The number is on no household of the community (or not on the one named): 404."""


@dataclass(frozen=True)
class Voter:
    """One household of a proven number: its estate's company this quarter and whether it
    voted (when)."""

    household: Household
    quarter: str
    company: Company | None
    closed: bool
    voted_at: datetime | None


def require_residents_page(actor: Actor) -> None:
    """The residents' public pages' key, acting for no person."""
    actor.require("resident")
    if actor.person_id is not None:
        raise Forbidden("Ballots come from the residents' page only.")


def voter(
    store: PropertyStore,
    rules: PropertyRules,
    digest: Callable[[str], str],
    community_id: str,
    phone: str,
    actor: Actor,
    now: datetime,
) -> list[Voter]:
    """The households the number is on, each with what its ballot page needs."""
    require_residents_page(actor)
    _community(actor, community_id)
    quarter = rules.now_quarter(now)
    found = households_by_phone(store.register, community_id, phone, digest)
    if not found:
        raise NotOnRegister(community_id)
    return [_voter(store, household, quarter) for household in found]


def _voter(store: PropertyStore, household: Household, quarter: str) -> Voter:
    held = store.evaluation(household.community_id, household.estate)
    cast = store.ballots.get(
        vote_id(household.community_id, household.estate, quarter, household.household_id)
    )
    closed = held is not None and held.quarter(quarter).result is not None
    return Voter(
        household, quarter, held.company if held else None, closed, cast.at if cast else None
    )


def cast(
    store: PropertyStore,
    rules: PropertyRules,
    digest: Callable[[str], str],
    community_id: str,
    phone: str,
    household_id: str,
    ballot: Ballot,
    actor: Actor,
    now: datetime,
) -> CastBallot:
    """The household's ballot of this quarter, stored once. NotOnRegister for a number
    not on that household; NoCompany for an estate with no company on record;
    QuarterClosed once staff closed the quarter; AlreadyVoted for a second ballot."""
    require_residents_page(actor)
    _community(actor, community_id)
    households = households_by_phone(store.register, community_id, phone, digest)
    household = next((h for h in households if h.household_id == household_id), None)
    if household is None:
        raise NotOnRegister(community_id)
    quarter = rules.now_quarter(now)
    made = CastBallot(community_id, household.estate, quarter, household_id, ballot, now)
    key = vote_id(community_id, household.estate, quarter, household_id)
    # under the estate's lease: a close counting its ballots waits for this one, or this
    # one finds the quarter closed
    with store.evaluations.change(evaluation_id(community_id, household.estate)) as change:
        (change.value or Evaluation(community_id, household.estate)).open_for_ballots(quarter)
        if not store.ballots.create(key, made):
            earlier = store.ballots.get(key)
            raise AlreadyVoted(earlier.at if earlier else now)
    return made


def _community(actor: Actor, community_id: str) -> None:
    """A community the key does not serve is one with no households: not found."""
    if not actor.sees(community_id):
        raise NotOnRegister(community_id)
