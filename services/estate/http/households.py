"""HTTP entrypoints of the household register: staff import it and read it. Another
community's household is 404."""

from __future__ import annotations

from typing import Any

from lianxin.access.actors import Forbidden
from lianxin.store.lease import LeaseBusy
from services.estate.app import register
from services.estate.domain.households import Household, ImportFileError, rows_from_csv
from services.estate.http.errors import ImportRejected, http
from services.estate.http.schemas import (
    HouseholdSchema,
    ImportFileBody,
    ImportQuery,
    ImportRejectedSchema,
    ImportResultSchema,
    RegisterQuery,
    RegisterSchema,
)
from services.estate.store import LISTING_LIMIT


def shown(household: Household) -> dict[str, Any]:
    """A household as every answer shows it: its numbers masked, never their digests."""
    return {**household.__dict__, "phones": list(household.phones_masked)}


class HouseholdsHttp:
    @http(
        "POST",
        "/v1/households/imports",
        summary="Import a community's household register (`households.csv`); with dry_run, "
        "only the check: every rejected row and why. An admin key, or a staff member's "
        "token through an `act` key (their community only)",
        body=ImportFileBody,
        query=ImportQuery,
        responses={200: ImportResultSchema, 422: ImportRejectedSchema},
        raises=(ImportRejected, ImportFileError, Forbidden, LeaseBusy),
        scope="act",
    )
    def import_households(self, request, actor, body, query):
        rows = rows_from_csv(body["name"], body["text"])
        communities = register.staff_communities(actor, changing=True)
        result = register.import_register(
            self.parts.store, rows, self.parts.digest, communities, dry_run=query["dry_run"]
        )
        if not query["dry_run"] and not result.plan.ok:
            raise ImportRejected(result)
        answer = {
            "dry_run": result.dry_run,
            "applied": result.applied,
            "accepted": len(result.plan.households),
            "changed": result.changed,
            "rejected": [rejected.__dict__ for rejected in result.plan.rejected],
        }
        return 200, ImportResultSchema().dump(answer)

    @http(
        "GET",
        "/v1/households",
        summary="A community's household register, by household id (pages of 200; staff)",
        query=RegisterQuery,
        responses={200: RegisterSchema},
        raises=(register.HouseholdNotFound, Forbidden),
        scope="read",
    )
    def list_households(self, request, actor, query):
        community_id = query["community_id"]
        found = register.register(self.parts.store, community_id, query.get("after"), actor)
        last = found[-1].household_id if len(found) == LISTING_LIMIT else None
        answer = {
            "community_id": community_id,
            "households": [shown(h) for h in found],
            "next_after": last,
        }
        return 200, RegisterSchema().dump(answer)

    @http(
        "GET",
        "/v1/households/<string:community_id>/<string:household_id>",
        summary="One household of the register (staff)",
        responses={200: HouseholdSchema},
        raises=(register.HouseholdNotFound, Forbidden),
        scope="read",
    )
    def get_household(self, request, actor, community_id, household_id):
        found = register.household_of(self.parts.store, community_id, household_id, actor)
        return 200, HouseholdSchema().dump(shown(found))
