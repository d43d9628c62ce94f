"""Open311 on the pipeline every route shares: its errors are the spec's arrays, its texts
fixed where a key or a busy case is concerned, counted as every route's. Plain Python: the
route is not bound to a running service."""

from __future__ import annotations

import json

from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from lianxin.access.actors import Unauthenticated
from lianxin.http.entrypoint import HttpRoute
from lianxin.instrumentation import HTTP_REQUESTS
from lianxin.store.lease import LeaseBusy
from services.cases.domain.case import CaseNotFound
from services.cases.domain.open311 import Open311Error
from services.cases.http.open311_route import BASE, FORMAT, Open311Route, Params

URL = f"{BASE}/requests.{FORMAT}"


def route() -> Open311Route:
    return Open311Route("POST", URL, summary="", params=Params, root="service_requests")


def request(fmt: str = "json", **options) -> Request:
    found = Request(
        EnvironBuilder(method="POST", path=f"{BASE}/requests.{fmt}", **options).get_environ()
    )
    found.path_values = {"fmt": fmt}
    return found


def answered(error: Exception, fmt: str = "json"):
    open311 = route()
    return open311.render_failure(open311.failure(error), request(fmt))


def test_an_open311_route_is_a_variant_of_the_shared_entrypoint():
    assert isinstance(route(), HttpRoute)


def test_a_refused_key_is_the_specs_403_whatever_was_wrong_with_it():
    response = answered(Unauthenticated("The API key has been revoked."))
    assert response.status_code == 403
    assert json.loads(response.get_data()) == [
        {"code": 403, "description": "api_key was not provided, is not valid, or may not do this."}
    ]


def test_field_errors_are_named_in_the_description_and_xml_is_answered_in_xml():
    response = answered(ValidationError({"lat": ["Give both lat and long."]}), fmt="xml")
    assert response.status_code == 400 and response.mimetype == "text/xml"
    assert b"<description>lat: Give both lat and long.</description>" in response.get_data()


def test_an_open311_error_answers_its_own_status_and_a_missing_case_is_a_404():
    assert answered(Open311Error(404, "No service x.")).status_code == 404
    assert answered(CaseNotFound("LX-1")).status_code == 404


def test_a_busy_case_asks_to_retry_and_a_fault_is_a_500_that_says_nothing():
    busy = answered(LeaseBusy("cases:LX-1"))
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert json.loads(busy.get_data())[0]["description"] == "Busy; retry shortly."
    fault = answered(RuntimeError("the driver's own text"))
    assert fault.status_code == 500 and b"driver" not in fault.get_data()


def test_a_body_over_the_limit_is_refused_counted_and_answered_the_specs_way():
    open311 = route()
    open311.max_body_bytes = 10
    counted = HTTP_REQUESTS.labels("POST", URL, 413)
    before = counted._value.get()
    response = open311.handle_request(request(data="x" * 11, content_type="text/plain"))
    assert response.status_code == 413 and counted._value.get() == before + 1
    assert json.loads(response.get_data()) == [
        {"code": 413, "description": "The request is over 10 bytes."}
    ]
