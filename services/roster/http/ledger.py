"""HTTP entrypoints of the volunteer-hours ledger: balances, exports, staff decisions
and corrections."""

from __future__ import annotations

from lianxin.access.actors import Actor, Forbidden
from lianxin.clock import utc_now
from lianxin.http.idempotency import idempotency_key, names_its_request
from lianxin.http.openapi import CSV
from lianxin.http.responses import csv_response
from lianxin.store.lease import LeaseBusy
from services.roster.app import hours, views
from services.roster.domain import ledger
from services.roster.http.errors import DECISION, PERSON, http
from services.roster.http.schemas import (
    CorrectionBody,
    DecisionBody,
    EntrySchema,
    ExportQuery,
    HouseholdQuery,
    LedgerSchema,
    WaitingQuery,
    WaitingSchema,
)


class LedgerHttp:
    @http(
        "GET",
        "/v1/people/<string:person_id>/hours",
        summary="A volunteer's hours ledger (a volunteer's token: their own only)",
        responses={200: LedgerSchema},
        raises=PERSON,
        scope="read",
    )
    def volunteer_hours(self, request, actor, person_id):
        return 200, LedgerSchema().dump(views.person_ledger(self.parts.store, person_id, actor))

    @http(
        "GET",
        "/v1/households/<string:household_id>/hours",
        summary="A household's hours in its community (credited in place of part of the "
        "estate fund; a volunteer's token: their own household only)",
        query=HouseholdQuery,
        responses={200: LedgerSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def household_hours(self, request, actor, household_id, query):
        found = views.household_ledger(self.parts.store, query["community_id"], household_id, actor)
        return 200, LedgerSchema().dump(found)

    @http(
        "GET",
        "/v1/hours/export",
        summary="The ledger as CSV: entries, or balances by person or household",
        query=ExportQuery,
        responses={200: CSV},
        raises=(views.NotFound, Forbidden),
        scope="read",
    )
    def export_hours(self, request, actor, query):
        text = views.hours_csv(self.parts.store, query["community_id"], query["by"], actor)
        return csv_response(text, f"hours-{query['community_id']}-{query['by']}")

    @http(
        "GET",
        "/v1/hours/waiting",
        summary="The approvals queue: credits above the community's limit waiting for staff, "
        "oldest first",
        query=WaitingQuery,
        responses={200: WaitingSchema},
        raises=(views.NotFound, Forbidden),
        scope="read",
    )
    def waiting_hours(self, request, actor, query):
        found = views.waiting_hours(
            self.parts.store, query["community_id"], query.get("after"), query["limit"], actor
        )
        return 200, WaitingSchema().dump(found)

    @http(
        "POST",
        "/v1/hours/<string:entry_id>/approve",
        summary="Approve a pending credit",
        body=DecisionBody,
        responses={200: EntrySchema},
        raises=DECISION,
        scope="act",
    )
    def approve_hours(self, request, actor, entry_id, body):
        return 200, EntrySchema().dump(self._decide(actor, entry_id, body, approve=True))

    @http(
        "POST",
        "/v1/hours/<string:entry_id>/reject",
        summary="Reject a pending credit",
        body=DecisionBody,
        responses={200: EntrySchema},
        raises=DECISION,
        scope="act",
    )
    def reject_hours(self, request, actor, entry_id, body):
        return 200, EntrySchema().dump(self._decide(actor, entry_id, body, approve=False))

    def _decide(self, actor: Actor, entry_id: str, body: dict, approve: bool):
        actor.require_role("staff")
        minutes = round(body["hours"] * 60) if "hours" in body else None
        return hours.decide(
            self.parts.store, entry_id, approve, minutes, body["note"], staff(actor), utc_now()
        )

    @http(
        "POST",
        "/v1/people/<string:person_id>/hours/corrections",
        summary="A staff correction to a person's hours (an entry of its own)",
        body=CorrectionBody,
        responses={201: EntrySchema},
        headers=names_its_request("a retry makes the same entry"),
        raises=(*PERSON, hours.CorrectionKeyReused, ledger.OwnHours, Forbidden, LeaseBusy),
        scope="act",
    )
    def correct_hours(self, request, actor, person_id, body):
        actor.require_role("staff")
        views.person(self.parts.store, person_id, actor)
        entry = hours.correct(
            self.parts.store,
            person_id,
            round(body["hours"] * 60),
            body["reason"],
            body.get("case_id"),
            staff(actor),
            utc_now(),
            f"{actor.key_id}:{idempotency_key(request)}",
        )
        return 201, EntrySchema().dump(entry)


def staff(actor: Actor) -> hours.Staff:
    return hours.Staff(
        actor.person_id or actor.key_name, actor.person_id, actor.visible_communities()
    )


