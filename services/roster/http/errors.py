"""The roster API's error → status table: which domain error answers with which status
and code, declared once for every route (lianxin.http.entrypoint.route), and the groups
of errors routes name in their OpenAPI `raises`."""

from __future__ import annotations

from lianxin.access.actors import Forbidden
from lianxin.http.entrypoint import route
from lianxin.store.lease import LeaseBusy
from services.roster.app import activities, care, duty, hours, registry, views
from services.roster.domain import activities as activity_rules
from services.roster.domain import care as care_rules
from services.roster.domain import ledger
from services.roster.domain.rows import ImportFileError


class ImportRejected(Exception):
    """Rows were rejected: nothing was stored."""

    def __init__(self, result: registry.ImportResult):
        super().__init__("Rows were rejected; nothing was imported.")
        self.result = result

    def details(self) -> dict:
        return {"rejected": [rejected.__dict__ for rejected in self.result.plan.rejected]}


ERRORS = {
    views.NotFound: (404, "not_found"),
    duty.PersonNotFound: (404, "not_found"),
    duty.RotaNotFound: (404, "not_found"),
    duty.OverrideNotFound: (404, "not_found"),
    hours.EntryNotFound: (404, "not_found"),
    duty.NotInTeam: (409, "not_in_team"),
    ledger.AlreadyDecided: (409, "already_decided"),
    ledger.NotPending: (409, "not_pending"),
    hours.CorrectionKeyReused: (422, "idempotency_key_reused"),
    ledger.OwnHours: (403, "own_hours"),
    ledger.ExceedsCredit: (400, "invalid_request"),
    ImportRejected: (422, "import_rejected"),
    ImportFileError: (400, "invalid_file"),
    activities.ActivityNotFound: (404, "not_found"),
    activity_rules.ActivityFull: (409, "activity_full"),
    activity_rules.ActivityClosed: (409, "activity_closed"),
    activity_rules.NotSignedUp: (409, "not_signed_up"),
    activity_rules.OutsideWindow: (409, "outside_window"),
    activities.UnknownPlace: (400, "invalid_request"),
    activities.ActivityKeyReused: (422, "idempotency_key_reused"),
    care_rules.PlanNotFound: (404, "not_found"),
    care_rules.AlreadyTicked: (409, "already_ticked"),
    care_rules.RoundNotOpen: (409, "round_not_open"),
    care_rules.PlanEnded: (409, "plan_ended"),
    care_rules.NotTheCarer: (403, "not_the_carer"),
    care.PlanKeyReused: (422, "idempotency_key_reused"),
}
http = route(ERRORS)
PERSON = (duty.PersonNotFound, views.NotFound)
# what a staff decision on a pending credit may raise
DECISION = (
    hours.EntryNotFound,
    ledger.AlreadyDecided,
    ledger.NotPending,
    ledger.OwnHours,
    ledger.ExceedsCredit,
    Forbidden,
    LeaseBusy,
)
ROTA = (duty.RotaNotFound, duty.PersonNotFound, duty.NotInTeam, views.NotFound, LeaseBusy)
