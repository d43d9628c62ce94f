"""A request that names itself (`Idempotency-Key`), for the routes whose retry must find
what the first sending made (a correction, a sign-up, a care plan, a pact observation):
without one, a retry after a lost answer would act twice."""

from __future__ import annotations

import re

from marshmallow import ValidationError

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


def names_its_request(retry: str) -> list[dict]:
    """The OpenAPI header of a route whose caller names each request (what a retry does)."""
    return [
        {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string", "maxLength": 100},
            "description": f"names the request: {retry}",
        }
    ]


def idempotency_key(request) -> str:
    """The request's key, or 400 naming the header."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None or not IDEMPOTENCY_KEY.match(value):
        raise ValidationError(
            {IDEMPOTENCY_HEADER: ["Send 1–100 printable ASCII characters naming this request."]}
        )
    return value
