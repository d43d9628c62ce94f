"""Settings: no default secret outside development, and a send budget inside the lease."""

from __future__ import annotations

import pytest

from lianxin.config import InsecureSecret
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
