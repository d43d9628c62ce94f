"""The estate API's error → status table, declared once for every route
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from lianxin.photos import PhotoRefused
from lianxin.quarters import NotAQuarter
from services.estate.app import fund, pact, pact_photos, property_ballots, register
from services.estate.domain import fund as fund_rules
from services.estate.domain import pact as rules
from services.estate.domain.households import ImportFileError
from services.estate.domain.pact_list import AlreadyPublished, QuarterNotStarted
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
    # -- pact --
    rules.PactNotFound: (404, "not_found"),
    pact_photos.PactPhotoNotFound: (404, "not_found"),
    rules.ArticleUnchanged: (409, "article_unchanged"),
    rules.WindowOpen: (409, "window_open"),
    rules.WindowClosed: (409, "window_closed"),
    rules.AlreadyAnswered: (409, "already_answered"),
    rules.AlreadyDecided: (409, "already_decided"),
    rules.QuarterPublished: (409, "quarter_published"),
    rules.SeenInFuture: (400, "seen_in_future"),
    pact.ObservationKeyReused: (409, "key_reused"),
    AlreadyPublished: (409, "already_published"),
    QuarterNotStarted: (409, "quarter_not_started"),
    PhotoRefused: (400, "invalid_photo"),
    NotAQuarter: (400, "invalid_request"),  # e.g. something seen before 2000: no quarter of ours
}
http = route(ERRORS)

