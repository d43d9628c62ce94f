"""A schema-driven fuzzer (schemathesis) over every service's OpenAPI document, with an
admin key: whatever it sends, valid or not, no route answers a 5xx, a status the
document does not list, a content type it does not list, or a body outside the
documented schema.

Each operation of a service is fuzzed on its own, with requests that fit the document
and requests that do not; a failure names the service, the operation and the request.
The runs are derandomised: the same requests every time, so a failure is reproducible.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from scripts.stack import SERVICES

pytestmark = pytest.mark.e2e

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 10  # per operation and mode


def fuzz(operation, mode: GenerationMode, admin_key: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers={"X-Api-Key": admin_key}, checks=CHECKS, timeout=30)

    run()


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_request_gets_a_5xx_or_an_answer_outside_the_document(stack, admin_key, service):
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/v1/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, admin_key)
            except Unsatisfiable:
                continue  # nothing to send wrong: the operation takes no input at all
            except (Exception, BaseExceptionGroup) as failure:  # fuzz all; report every one
                failures.append(f"{service} {operation.label} ({mode.value}):\n{failure}")
    assert not failures, "\n\n".join(failures)
