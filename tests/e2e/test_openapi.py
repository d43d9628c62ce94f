"""Each service publishes a valid OpenAPI document built from the schemas it enforces."""

from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from scripts.stack import SERVICES

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
    assert set(intake["responses"]) == {"200", "201", "400", "413", "415", "422", "503"}
    body = intake["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CaseIntake"}
    assert set(paths["/v1/cases/{case_id}/accept"]["post"]["responses"]) == {
        "200",
        "400",
        "403",
        "404",
        "409",
        "413",
        "415",
        "503",
    }
    assert "/{unknown}" not in paths


def test_query_parameters_come_from_the_query_schema(stack):
    summary = document(stack, "metrics")["paths"]["/v1/stats/summary"]["get"]
    names = {parameter["name"] for parameter in summary["parameters"]}
    assert names == {"community_id", "from", "to"}
