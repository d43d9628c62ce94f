"""Use cases of the household register: staff import it, staff read it, and the other
parts of estate (the fund, the pact, the property company's evaluation) find a household
by its id or by a number a resident proved.

Who may: an admin key, or a staff member acting with their person token through a key
that may act (the console's), for their own community; reading needs `read` the same way.
Another community's household is not found (404), whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from lianxin.access.actors import Actor, Forbidden
from lianxin.phones import normalized
from services.estate.domain.households import (
    Household,
    Plan,
    household_key,
    phone_key,
    plan_import,
)
from services.estate.store import EstateStore

REGISTER_ROLES = ("staff",)


class HouseholdNotFound(Exception):
    def __init__(self, household_id: str):
        super().__init__(f"No household {household_id}.")


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    dry_run: bool
    changed: int = 0

    @property
    def applied(self) -> bool:
        return self.plan.ok and not self.dry_run


def staff_communities(actor: Actor, *, changing: bool = False) -> frozenset[str] | None:
    """The communities whose register `actor` reads, or changes (None: all): a key acting
    for no person (an integration reads, an admin key also changes) its own; a person
    only as staff, of their own community (their token narrows the key to it); anyone
    else none (Forbidden)."""
    if actor.person_id is None and (actor.is_admin or not changing):
        return actor.visible_communities()
    if actor.person_id is None:
        raise Forbidden("Only an admin key, or a staff member for their community, changes it.")
    actor.require_role(*REGISTER_ROLES)
    return actor.visible_communities()


def require_register(actor: Actor, community_id: str, *, changing: bool = False) -> None:
    """Staff (or a key) of `community_id`; another community is not found."""
    communities = staff_communities(actor, changing=changing)
    if communities is not None and community_id not in communities:
        raise HouseholdNotFound(community_id)


def import_register(
    store: EstateStore,
    rows: list[tuple[str, dict[str, str]]],
    digest: Callable[[str], str],
    communities: Collection[str] | None,
    *,
    dry_run: bool,
) -> ImportResult:
    """Check every row, and store the households unless one is rejected or it is a dry
    run. Importing the same file again changes nothing; a household's numbers replace the
    ones it had (the phone index follows)."""
    plan = plan_import(rows, lambda c: communities is None or c in communities, digest)
    if not plan.ok or dry_run:
        return ImportResult(plan, dry_run)
    changed = sum(_store_household(store, household) for household in plan.households)
    return ImportResult(plan, dry_run, changed)


def _store_household(store: EstateStore, household: Household) -> bool:
    with store.household_change(household.key) as change:
        before = change.value
        if before == household:
            return False
        change.save(household)
    dropped = set(before.phone_digests if before else ()) - set(household.phone_digests)
    for digest in sorted(dropped):
        _index_phone(store, household, digest, on=False)
    for digest in household.phone_digests:
        _index_phone(store, household, digest, on=True)
    return True


def _index_phone(store: EstateStore, household: Household, digest: str, *, on: bool) -> None:
    with store.phones.change(phone_key(household.community_id, digest)) as change:
        held = set((change.value or {}).get("households", ()))
        wanted = held | {household.household_id} if on else held - {household.household_id}
        if wanted != held:
            change.save({"households": sorted(wanted)})


def register(
    store: EstateStore, community_id: str, after: str | None, actor: Actor
) -> list[Household]:
    """A page of the community's register, for its staff."""
    require_register(actor, community_id)
    return store.register_page(community_id, after)


def household_of(
    store: EstateStore, community_id: str, household_id: str, actor: Actor
) -> Household:
    """One household, for its community's staff."""
    require_register(actor, community_id)
    return find_household(store, community_id, household_id)


# -- what the fund, the pact and the evaluation call -----------------------------------------


def find_household(store: EstateStore, community_id: str, household_id: str) -> Household:
    """The household `household_id` of `community_id`, or HouseholdNotFound. No access
    check: the caller has made its own."""
    found = store.households.get(household_key(community_id, household_id))
    if found is None:
        raise HouseholdNotFound(household_id)
    return found


def households_by_phone(
    store: EstateStore, community_id: str, phone: str, digest: Callable[[str], str]
) -> list[Household]:
    """The households of `community_id` that list `phone` (a number a resident proved:
    the console checked the SMS code), by one read of the phone index and one per
    household; [] for a number on none, or not a mobile number at all. No access check:
    the caller has made its own."""
    number = normalized(phone)
    if number is None:
        return []
    hashed = digest(number)
    entry = store.phones.get(phone_key(community_id, hashed)) or {}
    found = (
        store.households.get(household_key(community_id, h)) for h in entry.get("households", ())
    )
    # the index is kept after the household; a household changed since is believed over it
    return [household for household in found if household and hashed in household.phone_digests]
