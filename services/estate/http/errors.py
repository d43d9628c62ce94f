"""The estate API's error → status table, declared once for every route
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

import re

from marshmallow import ValidationError

from lianxin.http.entrypoint import route
from services.estate.app import fund, property_ballots, register
from services.estate.domain import fund as fund_rules
from services.estate.domain.households import ImportFileError
from services.estate.domain.property_ballots import (
    AlreadyVoted,
    BallotRefused,
    NothingToCorrect,
    OfflineAlreadyEntered,
)
from services.estate.domain.property_evaluation import (
    CompanyRefused,
    NoCompany,
    QuarterClosed,
    QuarterNotDue,
)
from services.estate.domain.property_verdict import ActionRefused

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
IDEMPOTENCY = [
    {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": True,
        "schema": {"type": "string", "maxLength": 100},
        "description": "names the request: a retry finds what it recorded (200)",
    }
]


class ImportRejected(Exception):
    """Rows were rejected: nothing was stored."""

    def __init__(self, result: register.ImportResult):
        super().__init__("Rows were rejected; nothing was imported.")
        self.result = result

    def details(self) -> dict:
        return {"rejected": [rejected.__dict__ for rejected in self.result.plan.rejected]}


ERRORS = {
    register.HouseholdNotFound: (404, "not_found"),
    ImportRejected: (422, "import_rejected"),
    ImportFileError: (400, "invalid_file"),
    fund.PaymentNotFound: (404, "not_found"),
    fund.PaymentKeyReused: (422, "idempotency_key_reused"),
    fund.ReceiptUsed: (409, "receipt_used"),
    fund_rules.FundYearNotSet: (409, "fund_year_not_set"),
    fund_rules.NotReversible: (409, "not_reversible"),
    fund_rules.AlreadyEligible: (409, "already_eligible"),
    fund_rules.NotEligible: (409, "not_eligible"),
    # -- property evaluation --
    property_ballots.NotOnRegister: (404, "not_on_register"),
    BallotRefused: (400, "invalid_request"),
    CompanyRefused: (400, "invalid_request"),
    AlreadyVoted: (409, "already_voted"),
    QuarterClosed: (409, "quarter_closed"),
    QuarterNotDue: (409, "quarter_not_due"),
    NoCompany: (409, "no_company"),
    OfflineAlreadyEntered: (409, "offline_entered"),
    NothingToCorrect: (409, "nothing_to_correct"),
    ActionRefused: (409, "action_refused"),
}
http = route(ERRORS)


def idempotency_key(request) -> str:
    """A payment names its request, so that a retry after a lost answer records it once."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None or not IDEMPOTENCY_KEY.match(value):
        raise ValidationError(
            {IDEMPOTENCY_HEADER: ["Send 1–100 printable ASCII characters naming this request."]}
        )
    return value
