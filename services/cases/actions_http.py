"""The actions on a case over HTTP: each names the scope its key needs, and the person
acting comes from the key or the person token, never from the body."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.http.reading import correlation_id
from services.cases import handlers, lifecycle, timekeeping
from services.cases.domain import STAFF, InvalidRequest, require_role
from services.cases.http import ACTION_ERRORS, CORRELATION_HEADER, act, http, shown
from services.cases.schemas import (
    AssignSchema,
    CaseSchema,
    EscalateSchema,
    ExtensionDecisionSchema,
    ExtensionRequestSchema,
    MergeSchema,
    NoteSchema,
    RateSchema,
    ReasonSchema,
    ResolveSchema,
    TriageSchema,
)
from services.cases.timekeeping import ExtensionNotPending
from services.cases.triage import UnknownCategory


class ActionsHttp:
    """The actions on a case: the person acting comes from the key or person token."""

    @http(
        "POST",
        "/v1/cases/<string:case_id>/accept",
        summary="The assignee accepts the case",
        body=NoteSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def accept_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: lifecycle.accept(case, by, at, body.get("note", "")),
        )

    @http(
        "POST",
        "/v1/cases/<string:case_id>/decline",
        summary="The assignee declines; roster offers the next candidate",
        body=ReasonSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def decline_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: lifecycle.decline(case, by, body["reason"], at),
        )

    @http(
        "POST",
        "/v1/cases/<string:case_id>/resolve",
        summary="The assignee resolves the case",
        body=ResolveSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def resolve_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return lifecycle.resolve(
                case,
                by,
                body["resolution"],
                body["volunteer_hours"],
                tuple(body["attachments"]),
                at,
            )

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/verify",
        summary="Staff or a grid worker check the work and close the case",
        body=NoteSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def verify_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: lifecycle.verify(case, by, body.get("note", ""), at),
        )

    @http(
        "POST",
        "/v1/cases/<string:case_id>/triage",
        summary="Triage a case from the manual triage queue (state reported)",
        body=TriageSchema,
        responses={200: CaseSchema},
        raises=(*ACTION_ERRORS, UnknownCategory),
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def triage_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return lifecycle.triage_by_hand(
                case, self.store.taxonomy, body["category"], body.get("priority"), by, at
            )

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/assign",
        summary="Staff assign the case to an active person of its community (also takes an "
        "escalated case out again)",
        body=AssignSchema,
        responses={200: CaseSchema},
        raises=(*ACTION_ERRORS, InvalidRequest),
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def assign_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        person = self.access_replica.person(body["person_id"])

        def decide(case, at):
            return lifecycle.assign(
                case, person, body["display_name"], body.get("note", ""), by, at
            )

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/escalate",
        summary="Staff escalate or refer the case (grid leader, community staff, department)",
        body=EscalateSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def escalate_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        target = {"department": body.get("department")}

        def decide(case, at):
            require_role(by, STAFF, "escalate a case")
            return lifecycle.escalate(case, body["level"], body["reason"], by, at, target=target)

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/reject",
        summary="Staff reject the case, or return it to the hotline (退单)",
        body=ReasonSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def reject_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: lifecycle.reject(case, by, body["reason"], at),
        )

    @http(
        "POST",
        "/v1/cases/<string:case_id>/merge",
        summary="Staff merge a duplicate into the open case it repeats",
        body=MergeSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def merge_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        case = handlers.merge(
            self.store, case_id, body["into"], by, actor.sees, correlation_id(request), utc_now()
        )
        return 200, shown(case, actor)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/reopen",
        summary="Staff reopen a resolved or closed case (重办)",
        body=ReasonSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def reopen_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return lifecycle.reopen(case, self.store.taxonomy, by, body["reason"], at)

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/suspend",
        summary="Staff suspend the case while it waits on an outside department (挂起)",
        body=ReasonSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def suspend_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: timekeeping.suspend(case, by, body["reason"], at),
        )

    @http(
        "POST",
        "/v1/cases/<string:case_id>/resume",
        summary="Staff resume a suspended case; its time limits move on by the pause",
        body=NoteSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def resume_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return timekeeping.resume(case, self.store.taxonomy, by, body.get("note", ""), at)

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/extension",
        summary="The assignee or staff ask for more time (延期)",
        body=ExtensionRequestSchema,
        responses={200: CaseSchema},
        raises=(*ACTION_ERRORS, InvalidRequest),
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def request_extension(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return timekeeping.request_extension(case, by, body["until"], body["reason"], at)

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/extension/decision",
        summary="Staff approve or refuse the extension asked for",
        body=ExtensionDecisionSchema,
        responses={200: CaseSchema},
        raises=(*ACTION_ERRORS, ExtensionNotPending),
        headers=[CORRELATION_HEADER],
        scope="act",
    )
    def decide_extension(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return timekeeping.decide_extension(
                case, self.store.taxonomy, by, body["approved"], body.get("note", ""), at
            )

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/rate",
        summary="The resident rates the closed case, through the channel that reported it",
        body=RateSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="report",
    )
    def rate_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")

        def decide(case, at):
            return lifecycle.rate(case, by, body["rating"], body.get("comment", ""), at)

        return act(self.store, request, actor, case_id, decide)

    @http(
        "POST",
        "/v1/cases/<string:case_id>/withdraw",
        summary="The reporter withdraws the case, through the channel that reported it",
        body=ReasonSchema,
        responses={200: CaseSchema},
        raises=ACTION_ERRORS,
        headers=[CORRELATION_HEADER],
        scope="report",
    )
    def withdraw_case(self, request, actor, case_id, body):
        by = handlers.by_actor(actor, "api")
        return act(
            self.store,
            request,
            actor,
            case_id,
            lambda case, at: lifecycle.withdraw(case, by, body["reason"], at),
        )
