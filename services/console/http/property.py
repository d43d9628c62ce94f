"""The property company's evaluation (物业考评) in the console, for the community's staff:
`/property` (every estate, its company, this quarter so far, the thresholds) and
`/property/<estate>` (the company's contract, this quarter's ballots, paper ballots and
complaints, the rule's verdict, closing the quarter through a confirmation page, the
actions the verdict asks for, and the history of quarters and actions).

Staff only: the evaluation is the community's dealings with a contractor under review —
warnings and a replacement recommendation are negotiated before anything is published —
so grid leaders and workers are refused as for any staff-only page (they see the
complaints themselves on the board). A form its schema or the estate service refuses
shows the page again with the field's error, or the refusal in words, and nothing
changed; closing a quarter twice, or recording an action twice, is refused by the
estate service (409) and said so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

from lianxin.contracts.estate import PROPERTY_ACTIONS
from lianxin.http.reading import read_query
from lianxin.quarters import QUARTER
from services.console.apis import ApiError
from services.console.app import property as evaluation
from services.console.app.desk import Desk
from services.console.domain.property import ANSWERS, ASPECTS, COUNT_FIELDS, QUESTIONS, percent
from services.console.domain.sessions import Session
from services.console.http.checked_forms import read_checked
from services.console.http.forms import Form
from services.console.http.pages import Pages, page, redirect

STAFF = frozenset({"staff"})
DONE = ("company", "offline", "corrected", "closed", "action", "thresholds")
# the estate service's refusals the page says in its own words (labels property_refused_*)
REFUSALS = (
    "offline_entered",
    "nothing_to_correct",
    "quarter_closed",
    "quarter_not_due",
    "no_company",
    "action_refused",
)


class DoneQuery(Schema):
    done = fields.String(validate=validate.OneOf(DONE))


class CloseQuery(Schema):
    quarter = fields.String(required=True, validate=QUARTER)


class CompanyForm(Form):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


def _count() -> fields.Integer:
    return fields.Integer(required=True, strict=False, validate=validate.Range(min=0, max=100_000))


OfflineForm = Form.from_dict(
    {"quarter": fields.String(required=True, validate=QUARTER)}
    | {name: _count() for name in COUNT_FIELDS},
    name="OfflineForm",
)


class CorrectionForm(OfflineForm):  # type: ignore[misc, valid-type]
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class CloseForm(Form):
    quarter = fields.String(required=True, validate=QUARTER)


class ActionForm(Form):
    quarter = fields.String(required=True, validate=QUARTER)
    kind = fields.String(required=True, validate=validate.OneOf(PROPERTY_ACTIONS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    due = fields.Date(load_default=None, allow_none=True)


class ThresholdsForm(Form):
    min_satisfaction_percent = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    max_complaints_per_100 = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    min_ballots = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))


class PropertyPages(Pages):
    @page("GET", "/property")
    def property_estates(self, request):
        session = self.signed_in(request, roles=STAFF)
        return self._property_estates(
            request, session, done=read_query(request, DoneQuery()).get("done")
        )

    @page("POST", "/property/thresholds")
    def property_thresholds(self, request):
        session, body, errors = read_checked(self, request, ThresholdsForm(), roles=STAFF)
        if errors:
            return self._property_estates(
                request, session, errors=errors, sent=request.form, status=400
            )
        try:
            evaluation.set_thresholds(Desk.of(self.parts.services, session), body)
        except ApiError as refused:
            return self._property_estates(
                request, session, errors=_fields(refused), sent=request.form, status=400
            )
        return redirect("/property?done=thresholds")

    @page("GET", "/property/<string:estate_id>")
    def property_estate(self, request, estate_id):
        session = self.signed_in(request, roles=STAFF)
        done = read_query(request, DoneQuery()).get("done")
        return self._property_estate(request, session, estate_id, done=done)

    @page("POST", "/property/<string:estate_id>/company")
    def property_company(self, request, estate_id):
        return self._property_act(
            request, estate_id, CompanyForm(), evaluation.set_company, "company"
        )

    @page("POST", "/property/<string:estate_id>/offline")
    def property_offline(self, request, estate_id):
        return self._property_act(
            request, estate_id, OfflineForm(), evaluation.enter_offline, "offline"
        )

    @page("POST", "/property/<string:estate_id>/offline/correct")
    def property_correct(self, request, estate_id):
        return self._property_act(
            request, estate_id, CorrectionForm(), evaluation.correct_offline, "corrected"
        )

    @page("GET", "/property/<string:estate_id>/close")
    def property_close_page(self, request, estate_id):
        """The confirmation step: the quarter's figures and the verdict closing would freeze."""
        session = self.signed_in(request, roles=STAFF)
        quarter = read_query(request, CloseQuery())["quarter"]
        shown = evaluation.estate_page(Desk.of(self.parts.services, session), estate_id)
        return self.render(
            request, "property/close.html", session, quarter=quarter, percent=percent, **shown
        )

    @page("POST", "/property/<string:estate_id>/close")
    def property_close(self, request, estate_id):
        def close(desk: Desk, estate: str, body: Mapping[str, Any]) -> None:
            evaluation.close_quarter(desk, estate, body["quarter"])

        return self._property_act(request, estate_id, CloseForm(), close, "closed")

    @page("POST", "/property/<string:estate_id>/actions")
    def property_action(self, request, estate_id):
        return self._property_act(
            request, estate_id, ActionForm(), evaluation.record_action, "action"
        )

    # -- what the pages share --

    def _property_act(self, request, estate_id: str, form: Schema, act, done: str):
        """Read the form (its session and CSRF token first), act, and show the estate's
        page: with the outcome, or again with the field's error or the refusal."""
        session, body, errors = read_checked(self, request, form, roles=STAFF)
        if errors:
            return self._property_estate(
                request, session, estate_id, errors=errors, sent=request.form, status=400
            )
        try:
            act(Desk.of(self.parts.services, session), estate_id, body)
        except ApiError as refused:
            if refused.status == 409 and refused.code in REFUSALS:
                return self._property_estate(
                    request, session, estate_id, refused=refused.code, status=409
                )
            return self._property_estate(
                request, session, estate_id, errors=_fields(refused), sent=request.form, status=400
            )
        # the estate is one roster lists for the community (app/property.py checked): its
        # code is safe in the address
        return redirect(f"/property/{estate_id}?{urlencode({'done': done})}")

    def _property_estates(
        self,
        request,
        session: Session,
        done: str | None = None,
        errors: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        shown = evaluation.estates_page(Desk.of(self.parts.services, session))
        self.parts.learn_zone(session.scope.community_id, shown.get("timezone"))
        return self.render(
            request,
            "property/index.html",
            session,
            status=status,
            percent=percent,
            done=f"property_done_{done}" if done else None,
            errors=errors or {},
            sent=sent or {},
            **shown,
        )

    def _property_estate(
        self,
        request,
        session: Session,
        estate_id: str,
        done: str | None = None,
        refused: str | None = None,
        errors: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        status: int = 200,
    ):
        shown = evaluation.estate_page(Desk.of(self.parts.services, session), estate_id)
        return self.render(
            request,
            "property/estate.html",
            session,
            status=status,
            percent=percent,
            done=f"property_done_{done}" if done else None,
            errors=errors or {},
            refused=f"property_refused_{refused}" if refused else None,
            sent=sent or {},
            answers=ANSWERS,
            aspects=ASPECTS,
            questions=QUESTIONS,
            **shown,
        )


def _fields(refused: ApiError) -> Mapping[str, Any]:
    """The fields the estate service's 400 names (the form shows them); any other refusal
    goes on to the error page as it came."""
    if refused.status != 400:
        raise refused
    return refused.fields or {"_": ["refused"]}
