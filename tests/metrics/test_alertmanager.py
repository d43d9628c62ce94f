"""The Alertmanager configuration, checked by amtool (Debian's prometheus-alertmanager):
valid, and every alert reaches the notify service's receiver."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.metrics.queries import ROOT

CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"


def amtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("amtool")
    if tool is None:
        pytest.fail("amtool is missing: `make infra` installs prometheus-alertmanager")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_the_configuration_is_valid():
    checked = amtool("check-config", str(CONFIG))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    "labels",
    [
        ["alertname=LianxinServiceDown", "severity=critical", "job=notify"],
        ["alertname=LianxinNobodyOnDuty", "severity=warning", "community=jingxiang"],
        ["alertname=SomethingNew"],
    ],
)
def test_every_alert_is_routed_to_notify(labels):
    routed = amtool("config", "routes", "test", f"--config.file={CONFIG}", *labels)
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.split() == ["notify"]


def test_notify_is_called_at_its_receiver_with_a_key_from_a_file_never_inline():
    config = yaml.safe_load(CONFIG.read_text())
    (receiver,) = config["receivers"]
    (hook,) = receiver["webhook_configs"]
    assert hook["url"].endswith("/v1/alertmanager") and hook["send_resolved"] is True
    authorization = hook["http_config"]["authorization"]
    assert authorization["type"] == "ApiKey"  # lianxin.access.keys: `Authorization: ApiKey <key>`
    assert "credentials" not in authorization and authorization["credentials_file"]
