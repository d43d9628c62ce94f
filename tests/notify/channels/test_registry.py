"""The channel registry: which adapter sends a delivery, and where a group or a robot a
person's contact names by id is reached (the routes file, looked up when sent)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.channels.base import Target
from services.notify.channels.registry import Channels
from services.notify.compose import load_routes
from services.notify.domain.delivery import Contact, Delivery, PermanentFailure, Recipient
from services.notify.settings import NotifySettings
from tests.notify.test_compose import write
from tests.notify.test_settings import GOOD

ROBOTS = {
    "communities": {
        "jx": {
            "robots": {
                "g1-leader": {"channel": "wecom", "url": "https://qyapi.example/send?key=R1KEY0"},
                "g2-leader": {
                    "channel": "dingtalk",
                    "url": "https://oapi.example/send?access_token=R2TOKEN",
                    "secret": "SEC-robot-two",
                },
            }
        }
    }
}


def robot_delivery(channel: str, robot_id: str, community: str = "jx") -> Delivery:
    return Delivery(
        id="DL-R",
        cause_id="e-1",
        kind="case.dispatched",
        recipient=Recipient("person", "p-g1-leader"),
        contact=Contact(channel, robot_id),
        message={},
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
        community_id=community,
    )


def test_a_robot_named_by_id_resolves_to_its_url_through_the_routes(tmp_path):
    settings = NotifySettings.from_config("notify", GOOD)
    routes = load_routes(write(tmp_path, ROBOTS), "", settings.base)
    channels = Channels.from_settings(settings, routes)
    assert channels.target(robot_delivery("wecom", "g1-leader")) == Target(
        "https://qyapi.example/send?key=R1KEY0", ""
    )
    assert channels.target(robot_delivery("dingtalk", "g2-leader")) == Target(
        "https://oapi.example/send?access_token=R2TOKEN", "SEC-robot-two"
    )
    assert {"R1KEY0", "R2TOKEN", "SEC-robot-two"} <= set(routes.secrets())


@pytest.mark.parametrize(
    ("channel", "robot_id", "community"),
    [("wecom", "nobody", "jx"), ("dingtalk", "g1-leader", "jx"), ("wecom", "g1-leader", "other")],
    ids=["unknown-id", "other-channel", "other-community"],
)
def test_a_robot_id_the_routes_do_not_name_fails_for_good(tmp_path, channel, robot_id, community):
    settings = NotifySettings.from_config("notify", GOOD)
    channels = Channels.from_settings(
        settings, load_routes(write(tmp_path, ROBOTS), "", settings.base)
    )
    with pytest.raises(PermanentFailure, match=f"no {channel} robot"):
        channels.target(robot_delivery(channel, robot_id, community))
