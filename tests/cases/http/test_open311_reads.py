"""Open311 reads without a key (the public view) and with one, on an in-memory store: what
the public may see, through which listing, and how much of it at once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from lianxin.access.actors import Actor
from services.cases.domain.case import Case, CaseNotFound
from services.cases.domain.open311 import DEFAULT_DAYS, PUBLIC_ROWS, Open311Error
from services.cases.http.open311 import Open311Http
from services.cases.store import Listing
from tests.cases.factories import AT, TAXONOMY, triaged

PHONE = "138-1234-5678"


@dataclass
class MemoryStore:
    """The repository's reads that Open311 uses: by id, by number, and the listing (recorded)."""

    cases: dict[str, Case]
    listings: list[dict[str, Any]] = field(default_factory=list)

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def case_id_of_number(self, number: str) -> str | None:
        return next((case.id for case in self.cases.values() if case.number == number), None)

    def listing(self, filters, communities, limit, cursor) -> Listing:
        self.listings.append({"filters": filters, "communities": communities, "limit": limit})
        found = [
            case
            for case in self.cases.values()
            if (communities is None or case.community_id in communities)
            and case.community_id == filters.get("community_id", case.community_id)
            and case.category in filters.get("category", [case.category])
        ]
        return Listing(found[:limit], None)


def case(number: int, category: str = "facility.lighting", community: str = "jingxiang") -> Case:
    return replace(
        triaged(description=f"楼道灯坏了，请打{PHONE}"),
        id=f"LX-{number}",
        number=f"JX-20260306-{number:04d}",
        category=category,
        community_id=community,
    )


LIGHT, DISPUTE, CARE, UNSORTED, ELSEWHERE = (
    case(1),
    case(2, "dispute.neighbour"),
    case(3, "care.elderly_alone"),
    replace(case(4), category=""),
    case(5, community="shiquan"),
)


@pytest.fixture
def service():
    store = MemoryStore({item.id: item for item in (LIGHT, DISPUTE, CARE, UNSORTED, ELSEWHERE)})
    return type("Service", (), {"parts": SimpleNamespace(store=store, taxonomy=TAXONOMY)})()


REQUEST = SimpleNamespace(host_url="http://cases.test/")  # what a view's media_url names


def read(service, actor=None, **params) -> list[dict[str, Any]]:
    status, body = Open311Http.open311_requests(service, REQUEST, params, "zh", actor)
    assert status == 200
    return body


def numbers(body: list[dict[str, Any]]) -> set[str]:
    return {request["service_request_id"] for request in body}


def test_the_public_lists_one_community_of_public_categories_through_the_bounded_listing(
    service,
):
    body = read(service, jurisdiction_id="jingxiang")
    assert numbers(body) == {LIGHT.number}
    (listing,) = service.parts.store.listings
    assert listing["limit"] == PUBLIC_ROWS and listing["communities"] is None
    assert listing["filters"]["community_id"] == "jingxiang"
    assert set(listing["filters"]["category"]) == set(TAXONOMY.public_categories)
    assert listing["filters"]["until"] - listing["filters"]["since"] == timedelta(DEFAULT_DAYS)
    (shown,) = body
    assert "token" not in shown and shown["description"] == "楼道灯坏了，请打138-****-5678"


def test_asking_the_public_listing_for_private_services_shows_nothing(service):
    wanted = "dispute.neighbour,care.elderly_alone"
    assert read(service, jurisdiction_id="jingxiang", service_code=wanted) == []
    assert service.parts.store.listings == []  # not even a query
    mixed = read(service, jurisdiction_id="jingxiang", service_code=f"{wanted},facility.lighting")
    assert numbers(mixed) == {LIGHT.number}
    assert service.parts.store.listings[-1]["filters"]["category"] == ["facility.lighting"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"jurisdiction_id": "jingxiang", "start_date": AT - timedelta(days=91), "end_date": AT},
        {"jurisdiction_id": "jingxiang", "start_date": AT - timedelta(days=365)},
    ],
    ids=["no-jurisdiction", "over-90-days", "from-a-year-ago"],
)
def test_a_public_listing_needs_a_jurisdiction_and_spans_90_days_at_most(service, params):
    with pytest.raises(Open311Error) as refused:
        read(service, **params)
    assert refused.value.status == 400 and service.parts.store.listings == []


def test_the_public_reads_by_id_only_public_cases_of_the_jurisdiction_asked(service):
    every = ",".join(item.number for item in (LIGHT, DISPUTE, CARE, UNSORTED, ELSEWHERE))
    assert numbers(read(service, service_request_id=every)) == {LIGHT.number, ELSEWHERE.number}
    here = read(service, service_request_id=every, jurisdiction_id="jingxiang")
    assert numbers(here) == {LIGHT.number}
    many = ",".join(f"JX-20260306-{n:04d}" for n in range(100, 100 + PUBLIC_ROWS)) + ",LX-1"
    assert read(service, service_request_id=many) == []  # looked up no further than a page


def test_a_private_case_by_id_is_not_found_for_the_public(service):
    for hidden in (DISPUTE, CARE, UNSORTED):
        with pytest.raises(CaseNotFound):
            Open311Http.open311_request(service, REQUEST, {}, "zh", None, hidden.number)
    elsewhere = {"jurisdiction_id": "shiquan"}
    with pytest.raises(CaseNotFound):
        Open311Http.open311_request(service, REQUEST, elsewhere, "zh", None, LIGHT.number)
    _, (shown,) = Open311Http.open311_request(service, REQUEST, {}, "zh", None, LIGHT.number)
    assert "token" not in shown and PHONE not in str(shown)


def key(*scopes: str, communities=("jingxiang",)) -> Actor:
    return Actor("k1", "app", frozenset(scopes), frozenset(communities))


def test_a_key_reads_its_communities_private_cases_too_masked_but_for_an_admin(service):
    body = read(service, key("read"))
    assert numbers(body) == {item.number for item in (LIGHT, DISPUTE, CARE, UNSORTED)}
    assert all("token" in request and PHONE not in str(request) for request in body)
    (listing,) = service.parts.store.listings
    assert listing["communities"] == {"jingxiang"} and listing["limit"] == 1000
    admin = read(service, key("admin", communities=("*",)), service_request_id=DISPUTE.number)
    assert PHONE in admin[0]["description"]
