"""An opened action link: do what it says, once, through the cases service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from services.notify import instruments
from services.notify.handlers import Clock
from services.notify.links import (
    ActionLink,
    CasesUnavailable,
    LinkRefused,
    LinkUsed,
    NotPossible,
    WrongPerson,
)
from services.notify.outbound import Outbound
from services.notify.store import NotifyStore


def open_link(
    store: NotifyStore,
    outbound: Outbound,
    token: str,
    perform: Callable[..., Mapping[str, Any]],
    clock: Clock,
) -> dict[str, Any]:
    """Do what an action link says, once, through the cases service. Raises a LinkRefused
    saying why not (invalid, expired, used, wrong person, not possible now)."""
    now = clock()
    try:
        link = outbound.links.read(token, now)
    except LinkRefused as refused:
        instruments.LINKS_OPENED.labels("?", refused.reason).inc()
        raise
    earlier = store.claim_link(link.id, _claim(link, now))
    if earlier is not None:
        instruments.LINKS_OPENED.labels(link.action, "used").inc()
        state = (earlier.get("outcome") or {}).get("state")
        raise LinkUsed("This link has already been used.", state=state)
    try:
        answer = perform(
            link.case_id, link.action, link.person_id, link.role, f"via action link ({link.action})"
        )
    except CasesUnavailable:
        store.release_link(link.id)  # nothing was done: the link may be opened again
        raise
    store.record_link_outcome(
        link.id,
        {
            "ok": bool(answer.get("ok")),
            "state": answer.get("state"),
            "code": answer.get("code"),
            "at": now,
        },
    )
    number = (
        answer.get("number")
        or (store.record("follows", link.case_id) or {}).get("number")
        or link.case_id
    )
    try:
        result = _result(link, number, answer)
    except LinkRefused as refused:
        instruments.LINKS_OPENED.labels(link.action, refused.reason).inc()
        raise
    instruments.LINKS_OPENED.labels(link.action, "done").inc()
    return result


def _claim(link: ActionLink, now: datetime) -> dict[str, Any]:
    return {
        "case_id": link.case_id,
        "action": link.action,
        "person_id": link.person_id,
        "used_at": now,
    }


def _result(link: ActionLink, number: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    state = answer.get("state")
    if answer.get("ok"):
        return {
            "ok": True,
            "action": link.action,
            "case": number,
            "state": state,
            "reason": "done",
            "message": "Done.",
        }
    code = str(answer.get("code") or "")
    if code in ("not_assignee", "forbidden", "wrong_person"):
        raise WrongPerson("This case is no longer yours to act on.", state=state)
    raise NotPossible(f"This cannot be done now: the case is {state or 'elsewhere'}.", state=state)
