"""Each service publishes a valid OpenAPI document built from the schemas it enforces."""

from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from scripts.stack import SERVICES
from services.cases.http.schemas import CaseListQuery

pytestmark = pytest.mark.e2e


def document(stack, service: str) -> dict:
    response = requests.get(f"{stack.url(service)}/v1/openapi.json", timeout=5)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_document_is_valid_openapi(stack, service):
    validate(document(stack, service))


def test_the_intake_documents_its_schema_and_exactly_the_statuses_it_can_answer(stack):
    paths = document(stack, "cases")["paths"]
    intake = paths["/v1/cases"]["post"]
    assert set(intake["responses"]) == {
        "200", "201", "400", "401", "403", "413", "415", "422", "503"
    }  # fmt: skip
    assert intake["security"] == [{"apiKey": []}]
    body = intake["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CaseIntake"}
    accept = paths["/v1/cases/{case_id}/accept"]["post"]
    assert set(accept["responses"]) == {  # 422: an Idempotency-Key used for another action
        "200", "400", "401", "403", "404", "409", "413", "415", "422", "503"
    }  # fmt: skip
    assert "Idempotency-Key" in [parameter["name"] for parameter in accept["parameters"]]
    withdraw = paths["/v1/cases/{case_id}/withdraw"]["post"]
    assert withdraw["description"] == "Needs a key with the `report` or `act` scope."
    assert "/{unknown}" not in paths


def test_every_cases_route_but_health_the_documents_and_progress_links_needs_a_key(stack):
    """A resident's progress routes take no key: the token in their path, a progress
    message's signed link, is the credential (http/progress.py)."""
    paths = document(stack, "cases")["paths"]
    open_routes = {"/healthz", "/livez", "/v1/openapi.json"}
    progress = [path for path in paths if path.startswith("/v1/progress/{token}")]
    assert len(progress) == 4
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path in open_routes or path.startswith("/open311/"):
                continue
            if path in progress:
                assert "security" not in operation, f"{method} {path}"
                continue
            assert operation.get("security") == [{"apiKey": []}], f"{method} {path}"


def test_the_open311_routes_are_documented_with_their_formats_and_error_arrays(stack):
    paths = document(stack, "cases")["paths"]
    create = paths["/open311/v2/requests.{fmt}"]["post"]
    assert "application/x-www-form-urlencoded" in create["requestBody"]["content"]
    assert set(create["responses"]["201"]["content"]) == {"application/json", "text/xml"}
    error = create["responses"]["403"]["content"]["application/json"]["schema"]
    assert error == {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}
    fmt = next(p for p in create["parameters"] if p["name"] == "fmt")
    assert fmt["schema"]["enum"] == ["json", "xml"]


def test_query_parameters_come_from_the_query_schema(stack):
    listing = document(stack, "cases")["paths"]["/v1/cases"]["get"]
    query = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    fields = CaseListQuery().fields.items()
    assert query == {field.data_key or name for name, field in fields}
    assert {"from", "to", "cursor", "overdue"} <= query
