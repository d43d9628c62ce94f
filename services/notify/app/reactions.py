"""What each event notify reads makes happen: a case event, a hotline reply, a shift
reminder turned into plans (domain/plans.py: who, over which channels), each plan into a
rendered message and a delivery (deliveries.py creates it, pipeline.py sends it). The
follow of a case (follows.py) keeps what later messages to its residents need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from lianxin.access.case_pages import CasePageLink
from lianxin.bus.envelope import Envelope
from services.notify.app import follows, replicas
from services.notify.app.deliveries import Clock, create_delivery, dedupe
from services.notify.app.pipeline import zone_for
from services.notify.compose import Outbound
from services.notify.domain.delivery import Contact, Recipient, delivery_id
from services.notify.domain.facts import case_context, hotline_context
from services.notify.domain.links import lifetimes
from services.notify.domain.plans import (
    Plan,
    for_group,
    for_person,
    for_resident,
    is_urgent,
    own_channels,
    staff_plans,
)
from services.notify.events import as_told
from services.notify.store import NotifyStore

# What residents are told, by event: their case's progress and its end. Everything else a
# message shows (number, place, labels, who has the case now) every case event carries
# itself; the follow (follows.py) keeps the rest and whom to tell.
RESIDENT_NEWS = {
    "case.dispatched": "progress.dispatched",
    "case.resolved": "progress.resolved",
    "case.closed": "progress.closed",
    "case.rejected": "progress.rejected",
    "case.merged": "progress.merged",
    "case.appointment_set": "progress.appointment",  # a party to a dispute: when and where
}


# case events


@dataclass(frozen=True)
class CaseNews:
    """A case event as its messages read it: its type, what it tells with what the
    follow keeps (`payload`), the follow, and what the event itself told (`told`)."""

    type: str
    payload: Mapping[str, Any]
    follow: Mapping[str, Any]
    told: Mapping[str, Any]


def on_case_event(store: NotifyStore, outbound: Outbound, event: Envelope, clock: Clock) -> int:
    """Plan and create the deliveries a case event calls for. Returns how many were new."""
    event = replace(event, payload=as_told(event.payload))
    follow = follows.follow(store, event)
    told = {k: v for k, v in event.payload.items() if v not in (None, "")}
    news = CaseNews(event.type, {**follows.known(follow), **told}, follow, event.payload)
    plans = dedupe(_case_plans(store, outbound, news))
    return _deliver_all(store, outbound, event.event_id, plans, news.payload, clock)


def _case_plans(store: NotifyStore, outbound: Outbound, news: CaseNews) -> list[Plan | None]:
    """The volunteers, staff and groups a case event is for, then the residents it is news
    for (after them: an offer is the more pressing message)."""
    template = RESIDENT_NEWS.get(news.type)
    if news.type == "case.reported" and "into_number" in news.payload:
        template = "progress.merged"  # the report was read after its case's merge
    residents = follows.residents(news.payload["case_id"], news.follow) if template else {}
    return [
        *_staff_plans(store, outbound, news),
        *(
            for_resident(case, contact, outbound.reach, template)
            for case, contact in residents.items()
        ),
    ]


def _staff_plans(store: NotifyStore, outbound: Outbound, news: CaseNews) -> list[Plan | None]:
    """Who of the volunteers, staff and groups an event is told to."""
    event_type, payload = news.type, news.payload
    community, grid = payload["community_id"], payload.get("grid_id", "")
    reach, urgent = outbound.reach, is_urgent(payload)
    assignee = _assignee(news.told, news.follow)

    def person(person_id: str | None, name: str, template: str, urgent: bool = urgent):
        if not person_id:
            return None
        found = store.person(person_id)
        return for_person(found, person_id, name, community, grid, reach, template, urgent)

    def assignee_plan(template: str) -> Plan | None:
        return person(assignee.get("person_id"), assignee.get("display_name", ""), template)

    if event_type == "case.dispatched":
        return [
            person(payload.get("person_id"), payload.get("display_name", ""), "case.dispatched")
        ]
    if event_type == "case.assigned":
        return [person(payload.get("person_id"), payload.get("display_name", ""), "case.assigned")]
    if event_type == "case.escalated":
        target = payload.get("target") or {}
        return [
            person(target.get("person_id"), target.get("display_name") or "", "case.escalated"),
            for_group(community, [grid], reach, "case.escalated", urgent),
        ]
    if event_type == "case.emergency":
        staff = store.staff_of(community)
        return [
            *staff_plans(community, staff, grid, reach, "case.emergency", True),
            for_group(community, [grid], reach, "case.emergency", True),
        ]
    if event_type in ("case.triage_needed", "case.extension_requested"):
        return [for_group(community, ["staff"], reach, event_type, urgent)]
    if event_type in ("case.warning", "case.extension_decided", "case.appointment_set"):
        return [assignee_plan(event_type)]
    if event_type == "case.overdue" and payload.get("which") == "follow_up":
        # an agreement's visit not made: its member, else the staff (no group is told of
        # a household's dispute)
        staff = for_group(community, ["staff"], reach, event_type, urgent)
        return [assignee_plan(event_type) or staff]
    if event_type == "case.overdue":
        return [
            assignee_plan("case.overdue"),
            for_group(community, [grid], reach, "case.overdue", urgent),
        ]
    return []  # reported (kept in the follow), accepted: no message to staff


def _assignee(told: Mapping[str, Any], follow: Mapping[str, Any]) -> Mapping[str, Any]:
    """Who has the case now, as the event tells it (`null`: nobody). Events from before
    cases told it leave the follow's last record of it."""
    if "assignee" in told:
        return told["assignee"] or {}
    return follow.get("assignee") or {}


def _deliver_all(
    store: NotifyStore,
    outbound: Outbound,
    cause_id: str,
    plans: list[Plan],
    payload: Mapping[str, Any],
    clock: Clock,
) -> int:
    now = clock()
    community = payload["community_id"]
    zone = zone_for(store, outbound, community)
    names = _names(store, payload)
    created = 0
    for plan in plans:
        links = _links(outbound, plan, cause_id, payload, now)
        context = case_context(payload, names, zone, outbound.words, links)
        message = outbound.messages.render(plan.template, community, context)
        created += create_delivery(
            store, outbound, plan, cause_id, message.to_dict(), payload, zone, clock
        )
    return created


def _links(
    outbound: Outbound, plan: Plan, cause_id: str, payload: Mapping[str, Any], now: datetime
) -> dict[str, str]:
    """Accept and decline links for the person a case is offered or assigned to, good
    until the offer expires (links.lifetimes), named after the delivery that carries them
    (its page shows what it said), and the link to the case's page in the console (`page`,
    lianxin.access.case_pages), good for NOTIFY_LINK_DAYS; for a resident, the link to their
    case's progress page in the console, naming the case they reported (this one, or a
    duplicate merged into it): where they follow it and, once it is closed, rate it. A group
    never gets them (pipeline.create)."""
    if plan.recipient.kind == "resident":
        reported = plan.recipient.key
        url = outbound.progress_links.url(outbound.console_url, payload["case_id"], reported, now)
        return {"progress": url}
    if plan.recipient.kind != "person":
        return {}
    until = lifetimes(
        plan.template,
        payload,
        now,
        timedelta(hours=outbound.accept_link_hours),
        timedelta(days=outbound.link_days),
    )
    if not until:
        return {}
    key = delivery_id(cause_id, plan.recipient, plan.chain[0])
    page = CasePageLink(
        plan.recipient.key, payload["case_id"], now, now + timedelta(days=outbound.link_days)
    )
    return {
        **{
            action: outbound.links.issue(
                key, payload["case_id"], action, plan.recipient.key, now, end
            )
            for action, end in until.items()
        },
        "page": outbound.case_pages.url(outbound.console_url, page),
    }


def _names(store: NotifyStore, payload: Mapping[str, Any]) -> dict[str, str]:
    """Area names by code for the grid, community and estate of a case (by `_id`)."""
    location = payload.get("location") or {}
    codes = {payload.get("grid_id"), payload.get("community_id"), location.get("estate")}
    names = {}
    for code in filter(None, codes):
        node = store.place(str(code))
        if node and node.get("name") and not node.get("removed"):
            names[str(code)] = node["name"]
    return names


# other events


def on_hotline_reply(store: NotifyStore, outbound: Outbound, event: Envelope, clock: Clock) -> int:
    """The reply to a 12345 work order goes to that hotline's callback. A hotline with no
    callback configured gets a delivery that dies at once: listed for operators."""
    payload = event.payload
    community = payload.get("community_id") or ""
    zone = zone_for(store, outbound, community)
    context = hotline_context(payload, zone, outbound.words)
    reply = {
        key: payload.get(key)
        for key in ("hotline_id", "order_no", "kind", "result", "rating", "reason", "number")
    }
    reply["until"] = payload["until"].isoformat() if payload.get("until") else None
    reply["replied_at"] = event.occurred_at.isoformat()
    context["facts"] = {**context["facts"], "reply": reply}
    message = outbound.messages.render("hotline.reply", community, context)
    hotline_id = payload["hotline_id"]
    plan = Plan(
        Recipient("hotline", hotline_id, "12345"),
        (Contact("hotline", hotline_id),),
        "hotline.reply",
    )
    about = {"community_id": community, "case_id": payload.get("case_id")}
    return int(
        create_delivery(
            store, outbound, plan, event.event_id, message.to_dict(), about, zone, clock
        )
    )


def on_roster_event(store: NotifyStore, outbound: Outbound, event: Envelope, clock: Clock) -> int:
    """roster's people and places are kept (replicas.py: who may act, where links go, a
    community's zone); a shift reminder or a missed care round is sent. Returns how many
    deliveries were new."""
    if event.type == "person.changed":
        replicas.apply_person(store, event.payload)
        return 0
    if event.type == "area.changed":
        replicas.apply_area(store, event.payload)
        return 0
    if event.type == "care.round_missed":
        return on_care_round_missed(store, outbound, event, clock)
    return on_shift_starting(store, outbound, event, clock)


def on_shift_starting(store: NotifyStore, outbound: Outbound, event: Envelope, clock: Clock) -> int:
    """A reminder to the person over their own channels only: a group is not told."""
    payload = event.payload
    person = store.person(payload["person_id"])
    if person is None or not person.active:
        return 0
    chain, unresolved = own_channels(person, outbound.reach)
    if not chain:
        return 0
    plan = Plan(
        person.recipient, tuple(chain), "shift.starting", urgent=True, unresolved=tuple(unresolved)
    )
    context = {**payload, "display_name": person.display_name}
    return _deliver_all(store, outbound, event.event_id, [plan], context, clock)


# A missed care round (邻里守望): the carer is reminded, then the grid's worker told, each
# over their own channels only: who is looked after is private, never for a group.
CARE_TEMPLATES = {"carer": "care.round_missed", "grid_worker": "care.round_missed_grid"}


def on_care_round_missed(
    store: NotifyStore, outbound: Outbound, event: Envelope, clock: Clock
) -> int:
    payload = event.payload
    person = store.person(payload.get("person_id") or "")
    if person is None or not person.active:
        return 0
    chain, unresolved = own_channels(person, outbound.reach)
    if not chain:
        return 0
    template = CARE_TEMPLATES[payload["stage"]]
    plan = Plan(
        person.recipient, tuple(chain), template, person=person, unresolved=tuple(unresolved)
    )  # quiet hours kept: a reminder is no emergency
    context = {**payload, "display_name": person.display_name}
    return _deliver_all(store, outbound, event.event_id, [plan], context, clock)
