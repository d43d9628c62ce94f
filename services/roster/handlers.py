"""Use cases of the roster service."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from lianxin.envelope import Envelope
from lianxin.privacy import mask_name
from services.roster import domain
from services.roster.schemas import EVENTS
from services.roster.store import RosterStore

OFFER_ID_NAMESPACE = uuid.UUID("0b8f5d7e-2a1c-4f6b-8e3d-9c4a7b1e2f60")
MIN_ACCEPT_WINDOW = timedelta(minutes=5)


def offer_id_for(event_id: str) -> str:
    """One triage event makes one offer: a redelivery finds the offer already there."""
    return "OF-" + uuid.uuid5(OFFER_ID_NAMESPACE, event_id).hex[:16].upper()


def offer_case(store: RosterStore, event: Envelope, now: datetime) -> None:
    case = event.payload
    offer_id = offer_id_for(event.event_id)
    with store.offer_change(offer_id) as change:
        if change.exists:
            return
        window = max(case["accept_by"] - now, MIN_ACCEPT_WINDOW)
        rota = store.rota(case["grid_id"], case["team"])
        decision = domain.offer_or_escalate(rota, offer_id, case["case_id"], now, window)
        if isinstance(decision, domain.Offer):
            change.save(decision, [_offer_made(store, decision, event)])
        else:
            change.save(
                _escalation_record(offer_id, decision, case, now),
                [_escalation_required(decision, case, event)],
            )


def credit_hours(store: RosterStore, event: Envelope) -> bool:
    resolved = event.payload
    return store.credit_hours(
        "H-" + event.event_id,
        {
            "person_id": resolved["person_id"],
            "case_id": resolved["case_id"],
            "community_id": resolved["community_id"],
            "hours": resolved["volunteer_hours"],
            "at": event.occurred_at,
        },
    )


class PersonNotFound(Exception):
    pass


def volunteer_hours(store: RosterStore, person_id: str) -> dict[str, Any]:
    """The auditable ledger: households may pay part of the estate fund in these hours."""
    if store.person(person_id) is None:
        raise PersonNotFound(f"No person {person_id}.")
    lines = store.hours_of(person_id)
    entries = [
        {"case_id": line["case_id"], "hours": line["hours"], "at": line["at"]} for line in lines
    ]
    return {
        "person_id": person_id,
        "total": round(sum(line["hours"] for line in lines), 2),
        "entries": entries,
    }


def on_duty(store: RosterStore, grid_id: str, team: str, now: datetime) -> list[dict[str, Any]]:
    rota = store.rota(grid_id, team)
    people = [store.person(person_id) for person_id in (rota.on_duty(now) if rota else [])]
    return [
        {"person_id": person["_id"], "display_name": mask_name(person["name"])}
        for person in people
        if person
    ]


def _offer_made(store: RosterStore, offer: domain.Offer, cause: Envelope) -> Envelope:
    person = store.person(offer.person_id) or {"name": offer.person_id}
    return EVENTS.new_event(
        "offer.made",
        {
            "case_id": offer.case_id,
            "offer_id": offer.id,
            "person_id": offer.person_id,
            "display_name": mask_name(person["name"]),
            "grid_id": offer.grid_id,
            "team": offer.team,
            "expires_at": offer.expires_at,
        },
        correlation_id=cause.correlation_id,
        case_id=offer.case_id,
        at=offer.made_at,
    )


def _escalation_record(
    offer_id: str, decision: domain.Escalation, case: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "_id": offer_id,
        "case_id": decision.case_id,
        "grid_id": case["grid_id"],
        "team": case["team"],
        "state": "escalated",
        "reason": decision.reason,
        "made_at": now,
    }


def _escalation_required(
    decision: domain.Escalation, case: dict[str, Any], cause: Envelope
) -> Envelope:
    return EVENTS.new_event(
        "escalation.required",
        {
            "case_id": decision.case_id,
            "grid_id": case["grid_id"],
            "team": case["team"],
            "level": decision.level,
            "reason": decision.reason,
        },
        correlation_id=cause.correlation_id,
        case_id=decision.case_id,
    )
