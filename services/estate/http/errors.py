"""The estate API's error → status table, declared once for every route
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from lianxin.photos import PhotoRefused
from services.estate.app import pact, pact_photos, register
from services.estate.domain import pact as rules
from services.estate.domain.households import ImportFileError
from services.estate.domain.pact_list import AlreadyPublished, QuarterNotStarted


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
}
http = route(ERRORS)
