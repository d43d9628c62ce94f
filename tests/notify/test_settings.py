"""Settings and the routes file: no default secret outside development, no unset `${VAR}`,
and every secret known for redaction. Plain Python: the routes files are written here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lianxin.config import InsecureSecret, Settings
from services.notify.channels.base import Target
from services.notify.channels.registry import Channels
from services.notify.compose import load_routes
from services.notify.domain.delivery import Contact, Delivery, PermanentFailure, Recipient
from services.notify.domain.signatures import DEV_SIGNING_SECRET
from services.notify.settings import ConfigurationError, NotifySettings

GOOD = {"NOTIFY_SIGNING_SECRET": "s" * 32, "TOKEN_SECRET": "t" * 32, "LEASE_TTL_SECONDS": 10}


@pytest.mark.parametrize(
    "signing", ["", "short", "dev-signing-secret", "change-me", DEV_SIGNING_SECRET, None]
)
def test_an_empty_short_or_default_signing_secret_stops_the_service_outside_dev_mode(signing):
    with pytest.raises(InsecureSecret):
        NotifySettings.from_config("notify", {**GOOD, "NOTIFY_SIGNING_SECRET": signing})


def test_dev_mode_gets_the_development_secret_when_none_is_given():
    settings = NotifySettings.from_config(
        "notify", {**GOOD, "NOTIFY_SIGNING_SECRET": "", "DEV_MODE": "true"}
    )
    assert settings.signing_secret == DEV_SIGNING_SECRET


def test_an_sms_gateway_needs_its_own_secret():
    with pytest.raises(InsecureSecret):
        NotifySettings.from_config("notify", {**GOOD, "NOTIFY_SMS_URL": "https://sms.example"})
    settings = NotifySettings.from_config(
        "notify", {**GOOD, "NOTIFY_SMS_URL": "https://sms.example", "NOTIFY_SMS_API_KEY": "k" * 20}
    )
    assert settings.sms.api_key in settings.secrets()


def test_a_send_budget_must_stay_inside_the_lease():
    with pytest.raises(ConfigurationError):
        NotifySettings.from_config("notify", {**GOOD, "NOTIFY_SEND_BUDGET_SECONDS": "10"})
    assert NotifySettings.from_config("notify", GOOD).send_budget_seconds == 5.0


def write(tmp_path: Path, routes: dict) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(json.dumps(routes), encoding="utf-8")
    return path


ROUTES = {
    "communities": {
        "jx": {
            "timezone": "Asia/Shanghai",
            "groups": {
                "jx-g1": {"channel": "wecom", "url": "https://qyapi.example/send?key=${NT_KEY}"},
                "jx-g2": {
                    "channel": "dingtalk",
                    "url": "https://oapi.example/send?access_token=abcdef",
                    "secret": "${NT_DT_SECRET}",
                },
            },
        }
    },
    "hotlines": {"hl": {"url": "https://12345.example/reply", "secret": "${NT_HL_SECRET}"}},
}
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


def test_routes_read_secrets_from_the_environment_and_know_them_for_redaction(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("NT_KEY", "wecom-robot-key-1")
    monkeypatch.setenv("NT_DT_SECRET", "SEC-dingtalk-secret")
    monkeypatch.setenv("NT_HL_SECRET", "hotline-secret-0123456789")
    routes = load_routes(
        write(tmp_path, ROUTES), "https://hooks.example/x?token=tok123", Settings("notify")
    )
    assert routes.group("jx", "jx-g1").url.endswith("key=wecom-robot-key-1")
    assert routes.hotlines["hl"].secret == "hotline-secret-0123456789"
    assert set(routes.secrets()) >= {
        "wecom-robot-key-1",
        "SEC-dingtalk-secret",
        "abcdef",
        "hotline-secret-0123456789",
        "tok123",
    }
    assert routes.reachable(frozenset({"sms"})).groups == {
        "jx": {"jx-g1": "wecom", "jx-g2": "dingtalk"}
    }


def test_a_variable_not_set_stops_the_service(tmp_path, monkeypatch):
    monkeypatch.delenv("NT_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="NT_KEY"):
        load_routes(write(tmp_path, ROUTES), "", Settings("notify"))


def test_a_hotline_secret_is_held_to_the_same_rule_as_every_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("NT_KEY", "k")
    monkeypatch.setenv("NT_DT_SECRET", "s")
    monkeypatch.setenv("NT_HL_SECRET", "change-me")
    with pytest.raises(InsecureSecret):
        load_routes(write(tmp_path, ROUTES), "", Settings("notify"))


@pytest.mark.parametrize(
    "routes",
    [
        {
            "communities": {
                "jx": {"groups": {"g": {"channel": "pigeon", "url": "https://x.example"}}}
            }
        },
        {"communities": {"jx": {"groups": {"g": {"channel": "wecom", "url": "ftp://x.example"}}}}},
        {"communities": {"jx": {"timezone": "Mars/Olympus"}}},
        {"hotlines": {"hl": {"secret": "x" * 20}}},
    ],
    ids=["channel", "scheme", "zone", "no-url"],
)
def test_a_routes_file_that_cannot_work_stops_the_service(tmp_path, routes):
    with pytest.raises(ConfigurationError):
        load_routes(write(tmp_path, routes), "", Settings("notify"))


def test_the_shipped_routes_file_loads():
    settings = NotifySettings.from_config("notify", GOOD)
    routes = load_routes(settings.routes_file, "", settings.base)
    assert routes.community("jingxiang").timezone == "Asia/Shanghai"


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
