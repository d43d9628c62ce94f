"""Volunteer hours (志愿时长): the approvals queue with approve and reject forms, a person's
ledger with the correction form, a household's ledger, and roster's CSV export. A form
that roster or its own schema refuses shows its page again with the field's error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from lianxin.http.reading import read_query
from services.console.apis import ApiError
from services.console.app import hours
from services.console.app.desk import Desk
from services.console.domain.hours import DECISIONS, EXPORTS, new_form_key
from services.console.domain.sessions import Session
from services.console.http.checked_forms import field_errors, read_checked
from services.console.http.errors import PageNotFound
from services.console.http.forms import Form
from services.console.http.pages import SECURITY_HEADERS, Pages, page, redirect

ID = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")
HOURS_TEXT = r"-?\d{1,2}(\.\d{1,2})?"  # roster says whether it is a whole quarter in range


class QueueQuery(Schema):
    after = fields.String(validate=ID)
    done = fields.String(validate=validate.OneOf(DECISIONS))


class FindQuery(Schema):
    person = fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{0,100}$"))
    household = fields.String(
        load_default="", validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{0,100}$")
    )


class ExportQuery(Schema):
    by = fields.String(load_default="entries", validate=validate.OneOf(EXPORTS))


class LedgerQuery(Schema):
    done = fields.String(validate=validate.OneOf(("correction",)))


class ApproveForm(Form):
    hours = fields.String(load_default="", validate=validate.Regexp(rf"^({HOURS_TEXT})?$"))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class RejectForm(Form):
    note = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CorrectionForm(Form):
    hours = fields.String(required=True, validate=validate.Regexp(rf"^{HOURS_TEXT}$"))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    case_id = fields.String(load_default="", validate=validate.Length(max=64))
    request_key = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_\-]{16,43}$"))


DECISION_FORMS = {"approve": ApproveForm, "reject": RejectForm}


class HoursPages(Pages):
    @page("GET", "/hours")
    def hours_queue(self, request):
        session = self.signed_in(request)
        query = read_query(request, QueueQuery())
        return self._queue(request, session, query.get("after"), done=query.get("done"))

    @page("POST", "/hours/<string:entry_id>/<string:decision>")
    def decide_hours(self, request, entry_id, decision):
        """Approve or reject one credit; roster decides whether this person may."""
        form = DECISION_FORMS.get(decision)
        if form is None:
            raise PageNotFound(f"No decision {decision}.")
        session, body, errors = read_checked(self, request, form())
        try:
            if not errors:
                hours.decide(Desk.of(self.parts.services, session), entry_id, decision, body)
        except ApiError as refused:
            errors = field_errors(refused)
        if errors:
            return self._queue(request, session, None, failed=entry_id, errors=errors)
        return redirect(f"/hours?done={decision}")

    @page("GET", "/hours/find")
    def find_ledger(self, request):
        """The lookup form's answer: a person's or a household's ledger page."""
        self.signed_in(request)
        query = read_query(request, FindQuery())
        if query["person"]:
            return redirect(f"/hours/people/{query['person']}")
        if query["household"]:
            return redirect(f"/hours/households/{query['household']}")
        return redirect("/hours")

    @page("GET", "/hours/people/<string:person_id>")
    def person_ledger(self, request, person_id):
        session = self.signed_in(request)
        done = read_query(request, LedgerQuery()).get("done")
        return self._ledger(request, session, person_id, done=done)

    @page("POST", "/hours/people/<string:person_id>/corrections")
    def correct_hours(self, request, person_id):
        """A correction with its reason; the form's key makes a second submit the same entry."""
        session, body, errors = read_checked(self, request, CorrectionForm())
        try:
            if not errors:
                hours.correct(Desk.of(self.parts.services, session), person_id, body)
        except ApiError as refused:
            errors = field_errors(refused)
        if errors:
            key = request.form.get("request_key") or ""
            return self._ledger(request, session, person_id, key=key, errors=errors)
        return redirect(f"/hours/people/{person_id}?done=correction")

    @page("GET", "/hours/households/<string:household_id>")
    def household_ledger(self, request, household_id):
        session = self.signed_in(request)
        shown = hours.household_ledger(Desk.of(self.parts.services, session), household_id)
        return self.render(request, "hours/household.html", session, **shown)

    @page("GET", "/hours/export")
    def export_hours(self, request):
        """Roster's CSV as roster wrote it (text a spreadsheet would run is quoted there)."""
        session = self.signed_in(request)
        by = read_query(request, ExportQuery())["by"]
        content, disposition = hours.export(Desk.of(self.parts.services, session), by)
        headers = {**SECURITY_HEADERS, "Content-Disposition": disposition}
        return Response(content, status=200, headers=headers, mimetype="text/csv")

    def _queue(
        self,
        request,
        session: Session,
        after: str | None,
        done: str | None = None,
        failed: str | None = None,
        errors: Mapping[str, Any] | None = None,
    ):
        shown = hours.queue(Desk.of(self.parts.services, session), after)
        return self.render(
            request, "hours/queue.html", session, status=400 if failed else 200,
            done=f"done_hours_{done}" if done else None, failed=failed, errors=errors or {},
            after=after, **shown,
        )  # fmt: skip

    def _ledger(
        self,
        request,
        session: Session,
        person_id: str,
        done: str | None = None,
        key: str | None = None,
        errors: Mapping[str, Any] | None = None,
    ):
        shown = hours.person_ledger(Desk.of(self.parts.services, session), person_id)
        return self.render(
            request, "hours/person.html", session, status=400 if errors else 200,
            done="done_hours_correction" if done else None, errors=errors or {},
            request_key=key or new_form_key(), **shown,
        )  # fmt: skip
