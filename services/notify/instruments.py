"""Prometheus counters of the notify service (served by lianxin.instrumentation)."""

import logging

from prometheus_client import Counter

log = logging.getLogger(__name__)
_REPORTED: set[tuple[str, str, str]] = set()  # robots named by id already logged

DELIVERIES = Counter(
    "lianxin_notify_deliveries_total",
    "Delivery attempts and their outcome (sent, failed, dead, bundled, unresolved: a robot "
    "a contact names by id that the routes do not), by channel.",
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


def unresolved_robot(person_id: str, channel: str, robot_id: str) -> None:
    """A person's contact names a robot the routes file does not: counted as a failed
    delivery each time (outcome `unresolved`), logged once per person and robot, and the
    person's next channel takes the message."""
    DELIVERIES.labels(channel, "unresolved").inc()
    if (person_id, channel, robot_id) in _REPORTED or len(_REPORTED) > 10_000:
        return
    _REPORTED.add((person_id, channel, robot_id))
    log.warning(
        "person %s: no %s robot %r in the routes file; their next channel is used",
        person_id,
        channel,
        robot_id,
    )
