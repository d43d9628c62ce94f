"""Open311 GeoReport v2 under /open311/v2: the same cases, the spec's way.

Requests are form-encoded, answers JSON or XML by the path's suffix, errors the spec's
error arrays. The API key travels as the `api_key` parameter (or the X-Api-Key header):
creating a request needs the `report` scope, reading by token the `read` scope; the
discovery and service documents are open. Requests are read with a `read` key (the key's
communities, masked but for an admin's) or, as the spec has it, without a key: the
public view (domain/open311.py says what it shows). A key that is sent must be valid: a bad
one is a 403, not the public view. Text with control characters is refused (400) in
every parameter, as in the JSON API. Choices where the spec leaves room are listed in
domain/open311.py. Each route is an Open311Route (http/open311_route.py), a variant of
the entrypoint every route shares.

A public listing is bounded, not rate-limited: it needs `jurisdiction_id`, answers at
most PUBLIC_ROWS requests over at most DEFAULT_DAYS, through the JSON API's listing (on
MongoDB about PUBLIC_ROWS + 1 cases fetched by index). A per-client rate belongs to the
reverse proxy, which knows the client; on the embedded store every listing reads every
case (docs/store-queries.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lianxin.clock import utc_now
from services.cases.app import actions
from services.cases.compose import Parts
from services.cases.domain import open311
from services.cases.domain.case import STATES, CaseNotFound
from services.cases.domain.intake import Report
from services.cases.domain.open311 import PUBLIC_ROWS, Open311Error
from services.cases.http.cases import idempotency_key
from services.cases.http.open311_document import (
    Open311CreatedSchema,
    Open311DefinitionSchema,
    Open311DiscoverySchema,
    Open311RequestSchema,
    Open311ServiceSchema,
    Open311TokenSchema,
    listed,
)
from services.cases.http.open311_route import (
    BASE,
    FORMAT,
    MEDIA_PATH,
    Params,
    RequestForm,
    RequestsQuery,
    open311_route,
)


class Open311Http:
    @open311_route(
        "GET,POST,PUT,PATCH,DELETE",
        f"{BASE}/<path:unknown>",
        summary="Anything else under Open311: its 404, the spec's way",
        params=Params,
        root="errors",
        documented=False,
    )
    def open311_unknown(self, request, unknown, **parameters):
        raise Open311Error(404, f"No Open311 resource {unknown}.")

    @open311_route(
        "GET",
        f"{BASE}/discovery.{FORMAT}",
        summary="Open311 discovery: where the endpoint is and what it speaks",
        params=Params,
        root="discovery",
        answer=Open311DiscoverySchema,
    )
    def open311_discovery(self, request, params, language):
        return 200, open311.discovery(f"{request.host_url.rstrip('/')}{BASE}")

    @open311_route(
        "GET",
        f"{BASE}/services.{FORMAT}",
        summary="Open311 services: the categories one can report",
        params=Params,
        root="services",
        answer=listed(Open311ServiceSchema),
    )
    def open311_services(self, request, params, language):
        return 200, open311.services(self.parts.taxonomy, language)

    @open311_route(
        "GET",
        f"{BASE}/services/<string:service_code>.{FORMAT}",
        summary="Open311 service definition: the attributes a service asks for",
        params=Params,
        root="service_definition",
        answer=Open311DefinitionSchema,
        statuses=(200, 404),
    )
    def open311_service(self, request, params, language, service_code):
        category = self.parts.taxonomy.categories.get(service_code)
        if category is None:
            raise Open311Error(404, f"No service {service_code}.")
        return 200, open311.definition(category)

    @open311_route(
        "POST",
        f"{BASE}/requests.{FORMAT}",
        summary="Open311: report a problem (form-encoded)",
        params=RequestForm,
        root="service_requests",
        answer=listed(Open311CreatedSchema),
        scope="report",
        statuses=(201, 200, 400, 403, 413, 415, 503),
    )
    def open311_create(self, request, params, language, answers, actor):
        category = self.parts.taxonomy.categories.get(params["service_code"])
        if category is None:
            raise Open311Error(400, f"service_code {params['service_code']} is not a service.")
        answered, said = open311.attributes(category, answers)
        received = Report(
            community_id=jurisdiction(params, actor),
            description=params.get("description") or category.name_zh,
            channel="open311",
            location=_location(params),
            reporter=_reporter(params),
            category=category.code,
            category_hint=said,
            attachments=(params["media_url"],) if params.get("media_url") else (),
            attributes=answered,
        )
        case, created = self.parts.intake.report(
            received,
            actions.by_actor(actor, "open311"),
            actor.sees,
            idempotency_key(request),
            None,
            utc_now(),
        )
        answer = {
            "service_request_id": case.number,
            "token": case.id,
            "service_notice": open311.notice(case, language),
            "account_id": params.get("account_id"),
        }
        return (201 if created else 200), [answer]

    @open311_route(
        "GET",
        f"{BASE}/requests.{FORMAT}",
        summary="Open311: requests, newest first (90 days and 1,000 rows unless told); without "
        "an api_key the public view of one jurisdiction_id (50 rows, 90 days at most)",
        params=RequestsQuery,
        root="service_requests",
        answer=listed(Open311RequestSchema),
        scope="read",
        public=True,
        statuses=(200, 400, 403, 414, 503),
    )
    def open311_requests(self, request, params, language, actor):
        parts = self.parts
        store, taxonomy = parts.store, parts.taxonomy
        if actor is None:
            cases = (
                _public_by_ids(parts, params)
                if params.get("service_request_id")
                else _public_search(parts, params)
            )
            return 200, [
                open311.public_view(case, taxonomy, language, media_base(request)) for case in cases
            ]
        cases = (
            _by_ids(store, params["service_request_id"], actor.sees, open311.MAX_ROWS)
            if params.get("service_request_id")
            else store.listing(
                _filters(params), actor.visible_communities(), open311.MAX_ROWS, None
            ).cases
        )
        return 200, [
            open311.request_view(
                case, taxonomy, language, media_base(request), unmasked=actor.is_admin
            )
            for case in cases
        ]

    @open311_route(
        "GET",
        f"{BASE}/requests/<string:request_id>.{FORMAT}",
        summary="Open311: one request, by its service_request_id; without an api_key its "
        "public view (404 for a private one)",
        params=Params,
        root="service_requests",
        answer=listed(Open311RequestSchema),
        scope="read",
        public=True,
        statuses=(200, 403, 404, 503),
    )
    def open311_request(self, request, params, language, actor, request_id):
        taxonomy = self.parts.taxonomy
        if actor is None:
            case = _public_case(self.parts, request_id, params.get("jurisdiction_id"))
            return 200, [open311.public_view(case, taxonomy, language, media_base(request))]
        case = actions.get(self.parts.store, request_id, actor.sees)
        return 200, [
            open311.request_view(
                case, taxonomy, language, media_base(request), unmasked=actor.is_admin
            )
        ]

    @open311_route(
        "GET",
        f"{BASE}/tokens/<string:token>.{FORMAT}",
        summary="Open311: the service_request_id a token became",
        params=Params,
        root="service_requests",
        answer=listed(Open311TokenSchema),
        scope="read",
        statuses=(200, 403, 404, 503),
    )
    def open311_token(self, request, params, language, actor, token):
        case = actions.get(self.parts.store, token, actor.sees)
        return 200, [{"service_request_id": case.number, "token": case.id}]


def jurisdiction(params: dict[str, Any], actor) -> str:
    """The community: `jurisdiction_id`, or the one community the key covers."""
    if params.get("jurisdiction_id"):
        return params["jurisdiction_id"]
    communities = actor.visible_communities()
    if communities is None or len(communities) != 1:
        raise Open311Error(400, "jurisdiction_id (the community) is required for this key.")
    return next(iter(communities))


def _location(params: dict[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if "lat" in params:
        location |= {"lat": params["lat"], "lon": params["long"]}
    if params.get("address_id"):
        location["area_code"] = params["address_id"]
    if params.get("address_string"):
        location["address"] = params["address_string"]
    return location


def _reporter(params: dict[str, Any]) -> dict[str, Any]:
    name = " ".join(part for part in (params.get("last_name"), params.get("first_name")) if part)
    phone = "".join(ch for ch in params.get("phone", "") if ch.isdigit() or ch == "+")
    reporter = {"name": name or None, "phone": phone or None, "email": params.get("email")}
    reporter = {key: value for key, value in reporter.items() if value}
    return {**reporter, "consent": bool(reporter.get("email") or reporter.get("phone"))}


def _by_ids(store, ids: str, visible, rows: int) -> list:
    """The cases of a comma-separated list of ids or numbers that `visible` allows; at most
    `rows` are looked up."""
    found = []
    references = dict.fromkeys(part.strip() for part in ids.split(",") if part.strip())
    for reference in list(references)[:rows]:
        try:
            found.append(actions.get(store, reference, visible))
        except CaseNotFound:
            continue
    return found


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    """The listing's filters: from `start_date` to `end_date` (the last DEFAULT_DAYS until
    now unless told), the community, the services and the status asked for."""
    until = params.get("end_date") or utc_now()
    since = params.get("start_date") or until - timedelta(days=open311.DEFAULT_DAYS)
    filters: dict[str, Any] = {"since": since, "until": until}
    if params.get("jurisdiction_id"):
        filters["community_id"] = params["jurisdiction_id"]
    if params.get("service_code"):
        filters["category"] = [code.strip() for code in params["service_code"].split(",")]
    if params.get("status"):
        wanted = set(params["status"].split(","))
        filters["state"] = [state for state in sorted(STATES) if open311.status(state) in wanted]
    return filters


def _public_search(parts: Parts, params: dict[str, Any]) -> list:
    """The public listing: one community's cases of public categories, newest first,
    PUBLIC_ROWS at most, over DEFAULT_DAYS at most."""
    if not params.get("jurisdiction_id"):
        raise Open311Error(400, "jurisdiction_id (the community) is required without an api_key.")
    filters = _filters(params)
    if filters["until"] - filters["since"] > timedelta(days=open311.DEFAULT_DAYS):
        raise Open311Error(
            400, f"start_date to end_date may span {open311.DEFAULT_DAYS} days at most."
        )
    asked = filters.get("category")
    filters["category"] = [
        code for code in parts.taxonomy.public_categories if asked is None or code in asked
    ]
    if not filters["category"]:  # only private services asked for: nothing to show
        return []
    return parts.store.listing(filters, None, PUBLIC_ROWS, None).cases


def _public_by_ids(parts: Parts, params: dict[str, Any]) -> list:
    return [
        case
        for case in _by_ids(
            parts.store,
            params["service_request_id"],
            _in(params.get("jurisdiction_id")),
            PUBLIC_ROWS,
        )
        if open311.is_public(case, parts.taxonomy)
    ]


def media_base(request) -> str:
    """Where this endpoint serves the photos of requests (PhotosHttp's media route)."""
    return f"{request.host_url.rstrip('/')}{MEDIA_PATH}"


def _public_case(parts: Parts, reference: str, jurisdiction_id: str | None):
    """One case as the public may see it; a private one is not found, as a missing one is."""
    case = actions.get(parts.store, reference, _in(jurisdiction_id))
    if not open311.is_public(case, parts.taxonomy):
        raise CaseNotFound(reference)
    return case


def _in(jurisdiction_id: str | None):
    """Which communities the public reads: the one asked for, or any."""
    return lambda community_id: jurisdiction_id is None or community_id == jurisdiction_id
