"""Alertmanager's alerts to the community's staff (app/alerts.py), on the in-memory store."""

from __future__ import annotations

from lianxin.access.actors import Actor
from services.notify.app import alerts, replicas
from tests.notify.app.conftest import COMMUNITY, person_changed

ALERTMANAGER = Actor("k-am", "alertmanager", frozenset({"alerts"}), frozenset({COMMUNITY}))


def alert(status: str = "firing", community: str = COMMUNITY) -> dict:
    return {
        "status": status,
        "labels": {"alertname": "DiskFull", "severity": "critical", "community": community},
        "annotations": {"summary": "磁盘满了"},
        "startsAt": "2026-11-21T08:00:00Z",
        "fingerprint": "f-1",
    }


def test_an_alert_reaches_each_staff_member_and_the_staff_group_once(
    store, outbound, receivers, now
):
    replicas.apply_person(
        store, person_changed("p-staff", [("email", "s@b.cn")], roles=("staff",)).payload
    )
    outcome = alerts.receive_alerts(store, outbound, ALERTMANAGER, {"alerts": [alert()]}, now)
    assert (outcome["routed"], outcome["skipped"], len(outcome["deliveries"])) == (1, 0, 2)
    assert len(receivers["email"].sent) == 1 and len(receivers["webhook"].sent) == 1
    alerts.receive_alerts(store, outbound, ALERTMANAGER, {"alerts": [alert()]}, now)
    assert len(receivers["email"].sent) == 1, "Alertmanager's repeat sends nothing twice"
    assert store.deliveries.count({"kind": "alert"}) == 2
    alerts.receive_alerts(store, outbound, ALERTMANAGER, {"alerts": [alert("resolved")]}, now)
    assert store.deliveries.count({"kind": "alert"}) == 4, "its resolution is told too"


def test_an_alert_of_a_community_the_key_cannot_see_is_skipped(store, outbound, receivers, now):
    body = {"alerts": [alert(community="other")]}
    outcome = alerts.receive_alerts(store, outbound, ALERTMANAGER, body, now)
    assert (outcome["routed"], outcome["skipped"], outcome["deliveries"]) == (0, 1, [])
