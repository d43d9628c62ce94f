"""The mediation desk's actions on a case (矛盾调处), declared like every other action
(http/actions.py: one row each, one route factory) and mixed into the service as their
own class, so the desk's sub-process grows here rather than in the general table.
"""

from __future__ import annotations

from datetime import datetime

from services.cases.domain.appointments import NoDesk, set_appointment
from services.cases.domain.case import Case, InvalidRequest, Outcome
from services.cases.domain.desk_sessions import record_session
from services.cases.domain.mediation import NoSessionHeld, follow_up, record_outcome
from services.cases.domain.parties import add_party
from services.cases.http.actions import Asked, CaseAction, decided, entrypoint
from services.cases.http.schemas import (
    AppointmentSchema,
    FollowUpSchema,
    MediationOutcomeSchema,
    PartySchema,
    SessionSchema,
)


def _appointment(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    desk = asked.parts.taxonomy.desk(case.community_id, case.team)
    return set_appointment(
        case, desk, asked.by, body["starts_at"], body["minutes"], body["venue"], at
    )


def _outcome(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    return record_outcome(
        case,
        asked.parts.taxonomy.desk(case.community_id, case.team),
        asked.by,
        body["result"],
        at,
        agreement=body["agreement"],
        signed_by=body["signed_by"],
        referred_to=body.get("referred_to"),
        department=body["department"],
        follow_up_after=asked.parts.taxonomy.follow_up_after,
    )


def _session(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    return record_session(
        case,
        asked.parts.taxonomy.desk(case.community_id, case.team),
        asked.by,
        body["held_at"],
        body["minutes"],
        body["parties"],
        body["mediators"],
        body["note"],
        asked.person,
        at,
    )


def _follow_up(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    return follow_up(case, asked.by, body["note"], at, body.get("happened_at"))


def _party(asked: Asked, case: Case, at: datetime) -> Outcome:
    body = asked.body
    desk = asked.parts.taxonomy.desk(case.community_id, case.team)
    party = (body["name"], body["role"], body.get("phone"), body["consent"])
    return add_party(case, desk, asked.by, *party, at)


DESK_ACTIONS = (
    CaseAction(
        "set_appointment",
        "appointment",
        "Staff, a grid leader or the member who took a desk's case set when the parties "
        "come: inside one of the desk's sessions (lianxin/contracts/calendars.yaml), not on "
        "a holiday; a new one moves it",
        AppointmentSchema,
        decided(_appointment),
        raises=(InvalidRequest, NoDesk),
    ),
    CaseAction(
        "add_party",
        "parties",
        "Staff, a grid leader or the member who took a desk's case record a party to the "
        "dispute, only with their consent; shown masked, never sent in an event",
        PartySchema,
        decided(_party),
        raises=(InvalidRequest, NoDesk),
    ),
    CaseAction(
        "record_mediation_session",
        "sessions",
        "Staff, a grid leader or the member who took a desk's case record a session held: "
        "when (inside one of the desk's sessions, not on a holiday, not to come, at most 30 "
        "days back), the parties present by their ids, the mediators by person id, a note "
        "kept on the case; an outcome needs one",
        SessionSchema,
        decided(_session),
        raises=(InvalidRequest, NoDesk),
    ),
    CaseAction(
        "record_mediation_outcome",
        "outcome",
        "Staff, a grid leader or the member who took a desk's case record its outcome, once: "
        "an agreement (its text, who signed; a follow-up visit due 30 days on) or a referral "
        "(people's mediation, a court, a department); only after a session was held",
        MediationOutcomeSchema,
        decided(_outcome),
        raises=(InvalidRequest, NoDesk, NoSessionHeld),
    ),
    CaseAction(
        "follow_up_mediation",
        "outcome/follow-up",
        "Once an outcome is recorded, once: what the agreement's follow-up visit found, or "
        "what the referral answered, and when (also on a case closed since); staff, grid "
        "leaders, grid workers or the case's member",
        FollowUpSchema,
        decided(_follow_up),
        raises=(InvalidRequest,),
    ),
)

DeskHttp = type(
    "DeskHttp",
    (),
    {
        "__doc__": "The mediation desk's actions on its cases.",
        "__module__": __name__,
        **{action.method: entrypoint(action) for action in DESK_ACTIONS},
    },
)
