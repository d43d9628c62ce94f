"""An action link: shown by a GET (what the case is, a confirm button), done by the POST of
that page, once, through the cases service.

A GET never changes anything: link previews in chats and mail scanners fetch every
link. Both refuse a link whose person the people's access (lianxin.access.person_access, the
replica every service keeps) no longer admits: inactive, no longer in the link's role,
or whose access changed (`access_since`) after the link was issued.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from lianxin.access.person_access import PersonAccess, refusal
from services.notify import instruments
from services.notify.app.deliveries import Clock
from services.notify.compose import Outbound
from services.notify.domain.links import (
    ActionLink,
    CasesUnavailable,
    LinkRefused,
    LinkRevoked,
    LinkUsed,
    NotPossible,
    Unconfirmed,
    WrongPerson,
)
from services.notify.store import NotifyStore

SHOWN_FACTS = ("number", "category_label", "place", "description", "deadline_local")


People = Callable[[str], PersonAccess | None]  # the people's access, by person id


def preview(
    store: NotifyStore, outbound: Outbound, people: People, token: str, clock: Clock
) -> dict[str, Any]:
    """What the link's page shows: the case as the person's message told it (masked), the
    action, until when, and the confirmation its POST must carry. Changes nothing."""
    link = _usable(store, outbound, people, token, clock())
    facts = _facts(store, link)
    _count(link.action, "shown")
    label = facts.get("category_label") or {}
    return {
        "action": link.action,
        "case": facts.get("number") or link.case_id,
        "category": label.get("zh") or "",
        "place": facts.get("place") or "",
        "description": facts.get("description") or "",
        "deadline": facts.get("deadline_local") or "",
        "expires_at": link.expires_at,
        "used": False,
        "confirm": outbound.links.confirmation(link),
    }


def confirm(
    store: NotifyStore,
    outbound: Outbound,
    people: People,
    token: str,
    confirmation: str | None,
    perform: Callable[..., Mapping[str, Any]],
    clock: Clock,
) -> dict[str, Any]:
    """Do what the link says, once, through the cases service. Raises a LinkRefused saying
    why not (invalid, expired, revoked, unconfirmed, used, wrong person, not possible)."""
    now = clock()
    link = _read(outbound, token, now)
    if not outbound.links.confirms(link, confirmation):
        _count(link.action, "unconfirmed")
        raise Unconfirmed("Confirm on the link's own page.")
    _check_person(people, link)
    earlier = store.claim_link(link.use_id, _claim(link, now))
    if earlier is not None:
        _count(link.action, "used")
        raise _used(outbound, link, earlier, now)
    try:
        answer = perform(
            link.case_id, link.action, link.person_id, link.role, f"via action link ({link.action})"
        )
    except CasesUnavailable:
        store.release_link(link.use_id)  # nothing was done: the link may be used again
        raise
    outcome = {
        "ok": bool(answer.get("ok")),
        "state": answer.get("state"),
        "code": answer.get("code"),
        "at": now,
    }
    store.record_link_outcome(link.use_id, outcome)
    number = answer.get("number") or _facts(store, link).get("number") or link.case_id
    try:
        result = _result(link, number, answer)
    except LinkRefused as refused:
        _count(link.action, refused.reason)
        raise
    result["links"] = _follow_up(outbound, link, outcome, now)
    _count(link.action, "done")
    return result


# the checks both make


def _usable(
    store: NotifyStore, outbound: Outbound, people: People, token: str, now: datetime
) -> ActionLink:
    link = _read(outbound, token, now)
    _check_person(people, link)
    earlier = store.link_use(link.use_id)
    if earlier is not None:
        raise _used(outbound, link, earlier, now)
    return link


def _read(outbound: Outbound, token: str, now: datetime) -> ActionLink:
    try:
        return outbound.links.read(token, now)
    except LinkRefused as refused:
        _count("?", refused.reason)
        raise


def _check_person(people: People, link: ActionLink) -> None:
    """The person must still be active in the link's role, and the link newer than their
    last change of access (a deactivation, a change of role in roster)."""
    if refusal(people(link.person_id), link.role, link.issued_at) is not None:
        _count(link.action, "revoked")
        raise LinkRevoked("This link is no longer valid for this person.")


def _used(
    outbound: Outbound, link: ActionLink, earlier: Mapping[str, Any], now: datetime
) -> LinkUsed:
    outcome = earlier.get("outcome") or {}
    return LinkUsed(
        "This link has already been used.",
        state=outcome.get("state"),
        follow_up=_follow_up(outbound, link, outcome, now),
    )


def _follow_up(
    outbound: Outbound, link: ActionLink, outcome: Mapping[str, Any], now: datetime
) -> dict[str, str]:
    """Once a case is accepted by its link, the link to resolve it (its page asks again):
    offered by the page that says it was accepted, not sent beforehand."""
    if link.action != "accept" or not outcome.get("ok"):
        return {}
    until = now + timedelta(days=outbound.link_days)
    url = outbound.links.issue(
        link.key, link.case_id, "resolve", link.person_id, now, until, role=link.role
    )
    return {"resolve": url}


def _facts(store: NotifyStore, link: ActionLink) -> Mapping[str, Any]:
    """What the message that carried the link told its person (masked when it was made)."""
    delivery = store.deliveries.get(link.key)
    if delivery is None or delivery.recipient.key != link.person_id:
        return {}
    facts = (delivery.message or {}).get("facts") or {}
    return {name: facts.get(name) for name in SHOWN_FACTS}


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


def _count(action: str, outcome: str) -> None:
    instruments.LINKS_OPENED.labels(action, outcome).inc()
