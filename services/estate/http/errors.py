"""The estate API's error → status table, declared once for every route
(lianxin.http.entrypoint.route)."""

from __future__ import annotations

from lianxin.http.entrypoint import route
from services.estate.app import register
from services.estate.domain.households import ImportFileError


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
}
http = route(ERRORS)
