"""Alertmanager's webhook: each alert to its community's on-call staff, through the same
deliveries as every other message."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from lianxin.access.actors import Actor
from services.notify import instruments
from services.notify.app import pipeline
from services.notify.app.deliveries import Clock, create_delivery, dedupe
from services.notify.compose import Outbound
from services.notify.domain.delivery import delivery_id
from services.notify.domain.facts import alert_context
from services.notify.domain.plans import EVERY_COMMUNITY, staff_plans
from services.notify.store import NotifyStore

URGENT_SEVERITIES = frozenset({"critical", "page", "emergency"})


def receive_alerts(
    store: NotifyStore, outbound: Outbound, actor: Actor, body: Mapping[str, Any], clock: Clock
) -> dict[str, Any]:
    """Route each alert by its `community` (and `grid`) labels to that community's staff,
    one by one, and its staff group; an alert without a community goes to the default
    route. Alerts of communities the key cannot see are skipped, never delivered."""
    routed, skipped, created = 0, 0, []
    for alert in body["alerts"]:
        labels = alert.get("labels") or {}
        community = labels.get("community") or labels.get("community_id") or EVERY_COMMUNITY
        visible = actor.all_communities if community == EVERY_COMMUNITY else actor.sees(community)
        if not visible:
            skipped += 1
            continue
        instruments.ALERTS.labels(alert["status"]).inc()
        grid = labels.get("grid") or labels.get("grid_id") or ""
        urgent = labels.get("severity", "") in URGENT_SEVERITIES and alert["status"] == "firing"
        plans = staff_plans(
            community, store.staff_of(community), grid, outbound.reach, "alert", urgent
        )
        zone = pipeline.zone_for(store, outbound, community)
        context = alert_context(alert, zone, outbound.words)
        cause = _alert_cause(alert)
        for plan in dedupe(plans):
            message = outbound.messages.render("alert", community, context)
            about = {"community_id": community if community != EVERY_COMMUNITY else ""}
            delivery = delivery_id(cause, plan.recipient, plan.chain[0])
            create_delivery(store, outbound, plan, cause, message.to_dict(), about, zone, clock)
            created.append(delivery)
        routed += bool(plans)
    return {
        "alerts": len(body["alerts"]),
        "routed": routed,
        "skipped": skipped,
        "deliveries": created,
    }


def _alert_cause(alert: Mapping[str, Any]) -> str:
    """One delivery per alert state: Alertmanager's retry of the same notification sends
    nothing twice, a new firing or its resolution does."""
    identity = alert.get("fingerprint") or json.dumps(alert.get("labels"), sort_keys=True)
    key = f"{identity}|{alert['status']}|{alert.get('startsAt', '')}"
    return "alert:" + hashlib.sha256(key.encode()).hexdigest()[:32]
