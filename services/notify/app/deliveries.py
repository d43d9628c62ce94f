"""Deliveries as a use case sees them: a plan made one delivery (created, and sent at
once or when due: pipeline.py), and what the API reads of them and the operator's retry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.access.actors import Actor
from services.notify import instruments
from services.notify.app import pipeline
from services.notify.compose import Outbound
from services.notify.domain.delivery import Delivery, DeliveryNotFound, NotDead
from services.notify.domain.people import hold
from services.notify.domain.plans import Plan
from services.notify.store import NotifyStore

Clock = Callable[[], datetime]


def create_delivery(
    store: NotifyStore,
    outbound: Outbound,
    plan: Plan,
    cause_id: str,
    message: Mapping[str, Any],
    about: Mapping[str, Any],
    zone: ZoneInfo,
    clock: Clock,
) -> bool:
    """The delivery a plan makes for a cause: created, and sent at once or when due (a
    person's quiet hours). False when it exists (its cause was redelivered)."""
    now = clock()
    for robot in plan.unresolved:
        instruments.unresolved_robot(plan.recipient.key, robot.channel, robot.address)
    delivery = Delivery.over(
        plan.chain, cause_id, plan.template, plan.recipient, message, now, about, urgent=plan.urgent
    )
    due = hold(delivery, plan.person, zone, now)
    return pipeline.create(store, outbound, delivery, due, clock) is not None


def dedupe(plans: list[Plan | None]) -> list[Plan]:
    """Drop empty plans, and a plan that would only reach a group already told."""
    kept: list[Plan] = []
    for plan in plans:
        if plan is None:
            continue
        groups_told = {p.chain[0] for p in kept if p.chain[0].address.startswith("group:")}
        if len(plan.chain) == 1 and plan.chain[0] in groups_told:
            continue
        kept.append(plan)
    return kept


def get_delivery(store: NotifyStore, actor: Actor, delivery_id_: str) -> Delivery:
    delivery = store.deliveries.get(delivery_id_)
    if delivery is None or not _visible(actor, delivery):
        raise DeliveryNotFound(f"No delivery {delivery_id_}.")
    return delivery


def of_case(store: NotifyStore, actor: Actor, case_id: str) -> list[Delivery]:
    return [delivery for delivery in store.of_case(case_id) if _visible(actor, delivery)]


def dead(
    store: NotifyStore, actor: Actor, community_id: str | None, limit: int
) -> tuple[int, list[Delivery]]:
    communities = actor.visible_communities()
    if community_id is not None:
        if not actor.sees(community_id):
            return 0, []
        communities = frozenset({community_id})
    return store.dead(communities, limit)


def send_again(store: NotifyStore, actor: Actor, delivery_id_: str, now: datetime) -> Delivery:
    get_delivery(store, actor, delivery_id_)
    revived = pipeline.revive(store, delivery_id_, now)
    if revived is None:
        raise DeliveryNotFound(f"No delivery {delivery_id_}.")
    if revived.state != "pending":
        raise NotDead(revived.state)
    return revived


def _visible(actor: Actor, delivery: Delivery) -> bool:
    if delivery.community_id:
        return actor.sees(delivery.community_id)
    return actor.all_communities
