"""Prometheus counters of the notify service (served by lianxin.instrumentation)."""

from prometheus_client import Counter

DELIVERIES = Counter(
    "lianxin_notify_deliveries_total",
    "Delivery attempts and their outcome (sent, failed, dead, bundled), by channel.",
    ["channel", "outcome"],
)
LINKS_OPENED = Counter(
    "lianxin_notify_action_links_total",
    "Action links shown (GET) or confirmed (POST), by action and result (shown, done, "
    "expired, used, revoked, unconfirmed, invalid, ...).",
    ["action", "result"],
)
ALERTS = Counter(
    "lianxin_notify_alerts_total", "Alertmanager alerts received, by status.", ["status"]
)
