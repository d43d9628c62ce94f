"""The actions on a case over HTTP, declared as one table: each `CaseAction` names its
path, the scope its key needs, its body's schema and the use case it runs, and one
route factory turns every declaration into the same entrypoint. A new action is a new
row here (its rule in domain/, tested in tests/cases/domain/; the route's shape is
tested once for all in tests/cases/http/test_actions.py).

The person acting comes from the key or the person token, never from the body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema

from lianxin.access.person_access import PersonAccess
from lianxin.clock import utc_now
from lianxin.http.reading import correlation_id
from services.cases.app import actions, photos
from services.cases.app.actions import Decide
from services.cases.compose import Parts
from services.cases.domain import areas, clock_actions, lifecycle
from services.cases.domain.case import (
    STAFF,
    By,
    Case,
    InvalidRequest,
    Outcome,
    RequestKeyReused,
    require_role,
)
from services.cases.domain.clock_actions import ExtensionNotPending
from services.cases.domain.photos import PhotoNotAttachable, Uploader
from services.cases.domain.triage import UnknownCategory
from services.cases.http.cases import ACTION_HEADERS, idempotency_key, shown
from services.cases.http.errors import ACTION_ERRORS, http
from services.cases.http.schemas import (
    AssignSchema,
    CaseSchema,
    EscalateSchema,
    ExtensionDecisionSchema,
    ExtensionRequestSchema,
    MergeSchema,
    NoteSchema,
    NoteTextSchema,
    RateSchema,
    ReasonSchema,
    ResolveSchema,
    TriageSchema,
)


@dataclass(frozen=True)
class Asked:
    """One action as asked for: on which case, by whom, with what body, and what the
    service holds that an action may need (its parts, the people replica)."""

    parts: Parts
    reference: str
    by: By
    body: Mapping[str, Any]
    visible: Callable[[str], bool]
    correlation_id: str | None
    now: datetime
    person: Callable[[str], PersonAccess | None]
    uploader: Uploader  # the key and person, whose uploaded photos a step may name
    request: Mapping[str, str] | None = None  # {key, action}: the caller's Idempotency-Key

    @property
    def note(self) -> str:
        return self.body.get("note", "")


def decided(rule: Callable[[Asked, Case, datetime], Outcome]) -> Callable[[Asked], Case]:
    """The use case of an action on one case: the domain's rule, under the case's lease."""

    def perform(asked: Asked) -> Case:
        decide: Decide = lambda case, at: rule(asked, case, at)  # noqa: E731
        return actions.act(
            asked.parts.store,
            asked.reference,
            asked.visible,
            asked.correlation_id,
            asked.now,
            decide,
            asked.request,
        )

    return perform


def _merge(asked: Asked) -> Case:
    """A merge changes two cases, so it is a use case of its own (app/actions.merge)."""
    return actions.merge(
        asked.parts.store,
        asked.reference,
        asked.body["into"],
        asked.by,
        asked.visible,
        asked.correlation_id,
        asked.now,
        asked.request,
    )


def with_photos(perform: Callable[[Asked], Case]) -> Callable[[Asked], Case]:
    """A step that may name its actor's uploaded photos (`photo:<id>`, resolving or a
    note): each is checked before the case changes and bound to it after (app/photos.py)."""

    def perform_with_photos(asked: Asked) -> Case:
        named = asked.body.get("attachments") or ()
        store = asked.parts.photos
        if named:
            case = actions.get(asked.parts.store, asked.reference, asked.visible)
            photos.check_attachable(store, named, case.community_id, asked.uploader)
        changed = perform(asked)
        photos.attach(store, named, changed.id, changed.community_id, asked.uploader)
        return changed

    return perform_with_photos


def _escalate(asked: Asked, case: Case, at: datetime) -> Outcome:
    require_role(asked.by, STAFF, "escalate a case")
    body = asked.body
    target = {"department": body.get("department")}
    return lifecycle.escalate(case, body["level"], body["reason"], asked.by, at, target=target)


def _triage(asked: Asked, case: Case, at: datetime) -> Outcome:
    """By hand, and placed where staff picked from the community's areas (as intake
    locates a report: cases' own copy of roster's registry) when the report was not."""
    body = asked.body
    place = body.get("location")
    located = (
        areas.locate(asked.parts.store.community_map(case.community_id), place) if place else None
    )
    return lifecycle.triage_by_hand(
        case, asked.parts.taxonomy, body["category"], body.get("priority"), asked.by, at, located
    )


def _assign(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    person = asked.person(body["person_id"])
    return lifecycle.assign(case, person, body["display_name"], asked.note, asked.by, at)


# The use cases of two routes each: on the case's own path and on a work order's
reject = decided(lambda a, case, at: lifecycle.reject(case, a.by, a.body["reason"], at))
request_extension = decided(
    lambda a, case, at: clock_actions.request_extension(
        case, a.by, a.body["until"], a.body["reason"], at
    )
)


@dataclass(frozen=True)
class Where:
    """Where an action's path names its case, and the channel it acts through."""

    url: str
    channel: str
    case_id: Callable[[Mapping[str, str]], str]  # from the path's variables


ON_CASE = Where("/v1/cases/<string:case_id>", "api", lambda path: path["case_id"])


@dataclass(frozen=True)
class CaseAction:
    """One action on a case as the API declares it."""

    method: str  # the entrypoint's name on the service
    path: str  # after the case's own path (`where`)
    summary: str
    body: type[Schema]
    perform: Callable[[Asked], Case]
    scope: str | tuple[str, ...] = "act"  # a tuple: any one of them
    raises: tuple[type[BaseException], ...] = ()
    where: Where = ON_CASE


CASE_ACTIONS = (
    CaseAction(
        "accept_case",
        "accept",
        "The assignee accepts the case",
        NoteSchema,
        decided(lambda asked, case, at: lifecycle.accept(case, asked.by, at, asked.note)),
    ),
    CaseAction(
        "decline_case",
        "decline",
        "The assignee declines; roster offers the next candidate",
        ReasonSchema,
        decided(lambda a, case, at: lifecycle.decline(case, a.by, a.body["reason"], at)),
    ),
    CaseAction(
        "resolve_case",
        "resolve",
        "The assignee resolves the case",
        ResolveSchema,
        with_photos(
            decided(
                lambda a, case, at: lifecycle.resolve(
                    case,
                    a.by,
                    a.body["resolution"],
                    a.body["volunteer_hours"],
                    tuple(a.body["attachments"]),
                    at,
                )
            )
        ),
        raises=(PhotoNotAttachable,),
    ),
    CaseAction(
        "verify_case",
        "verify",
        "Staff or a grid worker check the work and close the case",
        NoteSchema,
        decided(lambda asked, case, at: lifecycle.verify(case, asked.by, asked.note, at)),
    ),
    CaseAction(
        "triage_case",
        "triage",
        "Triage a case from the manual triage queue (state reported)",
        TriageSchema,
        decided(_triage),
        raises=(UnknownCategory, areas.UnknownArea),
    ),
    CaseAction(
        "assign_case",
        "assign",
        "Staff assign the case to an active person of its community (also takes an "
        "escalated case out again)",
        AssignSchema,
        decided(_assign),
        raises=(InvalidRequest,),
    ),
    CaseAction(
        "escalate_case",
        "escalate",
        "Staff escalate or refer the case (grid leader, community staff, department)",
        EscalateSchema,
        decided(_escalate),
    ),
    CaseAction(
        "reject_case",
        "reject",
        "Staff reject the case, or return it to the hotline (退单)",
        ReasonSchema,
        reject,
    ),
    CaseAction(
        "merge_case",
        "merge",
        "Staff merge a duplicate into the open case it repeats",
        MergeSchema,
        _merge,
    ),
    CaseAction(
        "reopen_case",
        "reopen",
        "Staff reopen a resolved or closed case (重办)",
        ReasonSchema,
        decided(
            lambda a, case, at: lifecycle.reopen(case, a.parts.taxonomy, a.by, a.body["reason"], at)
        ),
    ),
    CaseAction(
        "suspend_case",
        "suspend",
        "Staff suspend the case while it waits on an outside department (挂起)",
        ReasonSchema,
        decided(lambda a, case, at: clock_actions.suspend(case, a.by, a.body["reason"], at)),
    ),
    CaseAction(
        "resume_case",
        "resume",
        "Staff resume a suspended case; its time limits move on by the pause",
        NoteSchema,
        decided(lambda a, case, at: clock_actions.resume(case, a.parts.taxonomy, a.by, a.note, at)),
    ),
    CaseAction(
        "request_extension",
        "extension",
        "The assignee or staff ask for more time (延期)",
        ExtensionRequestSchema,
        request_extension,
        raises=(InvalidRequest,),
    ),
    CaseAction(
        "decide_extension",
        "extension/decision",
        "Staff approve or refuse the extension asked for",
        ExtensionDecisionSchema,
        decided(
            lambda a, case, at: clock_actions.decide_extension(
                case, a.parts.taxonomy, a.by, a.body["approved"], a.note, at
            )
        ),
        raises=(ExtensionNotPending,),
    ),
    CaseAction(
        "note_case",
        "note",
        "Staff or a grid worker add a note to the case's timeline (跟进记录)",
        NoteTextSchema,
        with_photos(
            decided(
                lambda a, case, at: lifecycle.add_note(
                    case, a.by, a.body["note"], tuple(a.body["attachments"]), at
                )
            )
        ),
        raises=(PhotoNotAttachable,),
    ),
    CaseAction(
        "rate_case",
        "rate",
        "The resident rates the closed case, through the channel that reported it",
        RateSchema,
        decided(
            lambda a, case, at: lifecycle.rate(
                case, a.by, a.body["rating"], a.body.get("comment", ""), at
            )
        ),
        scope="report",
    ),
    CaseAction(
        "withdraw_case",
        "withdraw",
        "The reporter withdraws the case, through the channel that reported it, or staff for them",
        ReasonSchema,
        decided(lambda a, case, at: lifecycle.withdraw(case, a.by, a.body["reason"], at)),
        scope=("report", "act"),
    ),
)


def entrypoint(action: CaseAction) -> Callable[..., Any]:
    """The one route every action on a case is: POST its body, answer the case. Its case
    is named by the path (`where`): by id or number, or by a hotline's work order."""

    where = action.where

    @http(
        "POST",
        f"{where.url}/{action.path}",
        summary=action.summary,
        body=action.body,
        responses={200: CaseSchema},
        raises=(*ACTION_ERRORS, RequestKeyReused, *action.raises),
        headers=ACTION_HEADERS,
        scope=action.scope,
    )
    def run(self, request, actor, body, **path):
        key = idempotency_key(request)
        asked = Asked(
            parts=self.parts,
            reference=where.case_id(path),
            by=actions.by_actor(actor, where.channel),
            body=body,
            visible=actor.sees,
            correlation_id=correlation_id(request),
            now=utc_now(),
            person=self.access_replica.person,
            uploader=Uploader(actor.key_id, actor.person_id),
            request={"key": f"{actor.key_id}:{key}", "action": action.path} if key else None,
        )
        return 200, shown(action.perform(asked), actor)

    run.__name__ = run.__qualname__ = action.method
    return run


# The entrypoints as a mixin of the nameko class, one method per declared action
ActionsHttp = type(
    "ActionsHttp",
    (),
    {
        "__doc__": "The actions on a case: the person acting comes from the key or person token.",
        "__module__": __name__,
        **{action.method: entrypoint(action) for action in CASE_ACTIONS},
    },
)
