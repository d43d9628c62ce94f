"""HTTP entrypoints of the registry: areas, people, their offers and open cases,
dispatches, imports. duty.py and ledger.py hold the others, errors.py the error table;
the service class combines them."""

from __future__ import annotations

from lianxin.access.actors import Forbidden
from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.roster.app import registry, views
from services.roster.domain.rows import ImportFileError, Row, rows_from_document, rows_from_file
from services.roster.http.errors import PERSON, ImportRejected, http
from services.roster.http.schemas import (
    AreaListSchema,
    AreaQuery,
    AreaSchema,
    DispatchSchema,
    ImportBody,
    ImportFileBody,
    ImportQuery,
    ImportRejectedSchema,
    ImportResultSchema,
    OffersSchema,
    OpenCasesSchema,
    PeopleQuery,
    PeopleSchema,
    PersonSchema,
)


class RegistryHttp:
    """The area registry, people, their offers and open cases, dispatches, imports."""

    # -- the area registry and people ---------------------------------------------------------

    @http(
        "GET",
        "/v1/areas/<string:code>",
        summary="An area of the registry",
        responses={200: AreaSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def get_area(self, request, actor, code):
        return 200, AreaSchema().dump(views.area(self.parts.store, code, actor))

    @http(
        "GET",
        "/v1/areas",
        summary="A community's areas, by code (pages of 200)",
        query=AreaQuery,
        responses={200: AreaListSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def list_areas(self, request, actor, query):
        return 200, AreaListSchema().dump(views.areas(self.parts.store, query, actor))

    @http(
        "GET",
        "/v1/people",
        summary="A community's people, by id, filtered by role, home grid, team, text or "
        "active (masked but to admin keys)",
        query=PeopleQuery,
        responses={200: PeopleSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def list_people(self, request, actor, query):
        return 200, PeopleSchema().dump(views.people(self.parts.store, query, actor))

    @http(
        "GET",
        "/v1/people/<string:person_id>",
        summary="A person (masked but to admin keys)",
        responses={200: PersonSchema},
        raises=PERSON,
        scope="read",
    )
    def get_person(self, request, actor, person_id):
        return 200, PersonSchema().dump(views.person(self.parts.store, person_id, actor))

    @http(
        "GET",
        "/v1/people/<string:person_id>/offers",
        summary="A person's latest offers",
        responses={200: OffersSchema},
        raises=PERSON,
        scope="read",
    )
    def person_offers(self, request, actor, person_id):
        return 200, OffersSchema().dump(views.offers(self.parts.store, person_id, actor))

    @http(
        "GET",
        "/v1/people/<string:person_id>/cases",
        summary="A person's open cases and cap",
        responses={200: OpenCasesSchema},
        raises=PERSON,
        scope="read",
    )
    def person_cases(self, request, actor, person_id):
        return 200, OpenCasesSchema().dump(views.open_cases(self.parts.store, person_id, actor))

    # -- duty --------------------------------------------------------------------------------

    @http(
        "GET",
        "/v1/dispatches/<string:case_id>",
        summary="How a case is being dispatched: the open offer, who passed, the escalation",
        responses={200: DispatchSchema},
        raises=(views.NotFound,),
        scope="read",
    )
    def get_dispatch(self, request, actor, case_id):
        return 200, DispatchSchema().dump(views.dispatch(self.parts.store, case_id, actor))

    @http(
        "POST",
        "/v1/imports",
        summary="Import areas, people, teams, rotas and policies (JSON rows as in the import "
        "files); with dry_run, only the check: every rejected row and why. An admin key, or "
        "a staff member's token through an `act` key (their community only)",
        body=ImportBody,
        query=ImportQuery,
        responses={200: ImportResultSchema, 422: ImportRejectedSchema},
        raises=(ImportRejected, Forbidden, LeaseBusy),
        scope="act",
    )
    def import_rows(self, request, actor, body, query):
        return self._import(actor, rows_from_document(body, "body"), query["dry_run"])

    @http(
        "POST",
        "/v1/imports/file",
        summary="Import one file as uploaded (`people.csv`, … or a YAML file with sections), "
        "read as the operator's CLI reads it; rejected rows name the file and line. Who may: "
        "as POST /v1/imports",
        body=ImportFileBody,
        query=ImportQuery,
        responses={200: ImportResultSchema, 422: ImportRejectedSchema},
        raises=(ImportRejected, ImportFileError, Forbidden, LeaseBusy),
        scope="act",
    )
    def import_file(self, request, actor, body, query):
        return self._import(actor, rows_from_file(body["name"], body["text"]), query["dry_run"])

    def _import(self, actor, rows: list[Row], dry_run: bool):
        """Check the rows as `actor` may import (registry.importing_communities), and store
        them unless it is a dry run; rows rejected on a real run are a 422."""
        result = registry.import_rows(
            self.parts.store,
            rows,
            dry_run=dry_run,
            now=utc_now(),
            communities=registry.importing_communities(actor),
        )
        if not dry_run and not result.plan.ok:
            raise ImportRejected(result)
        return 200, ImportResultSchema().dump(_import_answer(result, dry_run))


def _import_answer(result: registry.ImportResult, dry_run: bool) -> dict:
    return {
        "dry_run": dry_run,
        "applied": result.applied,
        "accepted": result.plan.counts(),
        "changed": dict(result.changed),
        "rejected": [rejected.__dict__ for rejected in result.plan.rejected],
        "moved": [
            {"kind": move.kind, "key": move.key, "from_": move.source, "to": move.destination}
            for move in result.plan.moves
        ],
    }
