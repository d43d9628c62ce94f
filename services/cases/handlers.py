"""Use cases of the cases service: the sequence, with the rules in domain.py."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lianxin.envelope import Envelope
from lianxin.retry import PermanentError
from services.cases import domain
from services.cases.domain import Case, CaseNotFound, InvalidTransition
from services.cases.schemas import EVENTS
from services.cases.store import CaseStore

log = logging.getLogger(__name__)
CASE_ID_NAMESPACE = uuid.UUID("6f1c4a52-3b7e-4c44-9a3e-0c1d2b5e8a71")


class IdempotencyKeyReused(Exception):
    def __init__(self, case_id: str):
        super().__init__(f"This Idempotency-Key created case {case_id} from a different body.")
        self.case_id = case_id

    def details(self) -> dict[str, Any]:
        return {"case_id": self.case_id}


def case_id_for(idempotency_key: str | None) -> str:
    """The same key always names the same case, so a retried intake finds it (rule 6)."""
    if idempotency_key:
        return "LX-" + uuid.uuid5(CASE_ID_NAMESPACE, idempotency_key).hex[:16].upper()
    return "LX-" + uuid.uuid4().hex[:16].upper()


def report(
    store: CaseStore,
    intake: Mapping[str, Any],
    idempotency_key: str | None,
    correlation_id: str | None,
    now: datetime,
) -> tuple[Case, bool]:
    """Returns the case and whether this call created it."""
    case_id = case_id_for(idempotency_key)
    fingerprint = hashlib.sha256(
        json.dumps(intake, sort_keys=True, default=str).encode()
    ).hexdigest()
    with store.change(case_id) as change:
        if change.case is not None:
            if change.fingerprint != fingerprint:
                raise IdempotencyKeyReused(case_id)
            return change.case, False
        result = domain.report(case_id, intake, store.taxonomy, now)
        change.save(
            result.case,
            _events(result, correlation_id or case_id),
            intake_fingerprint=fingerprint,
            correlation_id=correlation_id or case_id,
        )
        return result.case, True


def get(store: CaseStore, case_id: str) -> Case:
    case = store.get(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def accept(store: CaseStore, case_id: str, body: Mapping[str, Any], now: datetime) -> Case:
    with store.change(case_id) as change:
        result = domain.accept(_existing(change, case_id), body["person_id"], now)
        change.save(result.case, _events(result, change.correlation_id or case_id))
        return result.case


def resolve(store: CaseStore, case_id: str, body: Mapping[str, Any], now: datetime) -> Case:
    with store.change(case_id) as change:
        result = domain.resolve(
            _existing(change, case_id),
            body["person_id"],
            body["resolution"],
            body["volunteer_hours"],
            now,
        )
        change.save(result.case, _events(result, change.correlation_id or case_id))
        return result.case


def record_offer(store: CaseStore, event: Envelope, now: datetime) -> None:
    _apply_event(store, event, lambda case: domain.dispatch(case, event.payload, now))


def record_escalation(store: CaseStore, event: Envelope, now: datetime) -> None:
    payload = event.payload
    _apply_event(
        store, event, lambda case: domain.escalate(case, payload["level"], payload["reason"], now)
    )


def _apply_event(store: CaseStore, event: Envelope, action) -> None:
    """Apply a roster fact once. A fact that no longer fits the case (an offer arriving
    after the case moved on) is recorded as seen and changes nothing."""
    case_id = event.payload["case_id"]
    with store.change(case_id) as change:
        if change.case is None:
            raise PermanentError(f"{event.type} for unknown case {case_id}")
        if change.applied(event.event_id):
            return
        try:
            result = action(change.case)
        except InvalidTransition as exc:
            log.warning("ignoring %s %s: %s", event.type, event.event_id, exc)
            change.save(change.case, applied_event=event.event_id)
            return
        change.save(
            result.case, _events(result, event.correlation_id), applied_event=event.event_id
        )


def _existing(change, case_id: str) -> Case:
    if change.case is None:
        raise CaseNotFound(case_id)
    return change.case


def _events(result: domain.Change, correlation_id: str) -> list[Envelope]:
    return [
        EVENTS.new_event(
            type,
            payload,
            correlation_id=correlation_id,
            case_id=result.case.id,
            at=result.case.timeline[-1].at,
        )
        for type, payload in result.facts
    ]
