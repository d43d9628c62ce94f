"""The estate API's error → status table, declared once for every route
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from services.estate.app import property_ballots, register
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
