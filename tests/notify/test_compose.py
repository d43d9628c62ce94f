"""The composition root: the routes file read with no unset `${VAR}` and every secret known
for redaction, and the Outbound built from the settings. Plain Python: the routes files
are written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lianxin.config import InsecureSecret, Settings
from services.notify.compose import build_outbound, load_routes
from services.notify.settings import ConfigurationError, NotifySettings
from tests.notify.test_settings import GOOD


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


def test_the_outbound_is_built_once_from_the_settings_with_the_channels_it_can_send_on():
    outbound = build_outbound(NotifySettings.from_config("notify", GOOD))
    assert outbound.channels.names == {"webhook", "wecom", "dingtalk", "hotline"}
    assert outbound.reach.channels == outbound.channels.names
    assert outbound.words.of("severities", "critical")["zh"] == "严重", "the labels, loaded"
