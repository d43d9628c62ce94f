"""The notify service's settings: gateways, secrets, retry and rate policies.

Every value comes from deploy/config/notify.yaml, whose entries the environment
overrides. Secrets go through `Settings.secret`: outside dev mode an empty,
short or known-default secret stops the service at start instead of signing
with something guessable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from lianxin.backoff import BackOff
from lianxin.config import DEV_TOKEN_SECRET, Settings
from lianxin.egress import EgressRule
from services.notify.domain.people import RateLimit
from services.notify.domain.signatures import DEV_SIGNING_SECRET

DEFAULT_ROUTES = Path(__file__).parent / "data" / "routes.yaml"
DEV_SMS_KEY = "dev-only-sms-gateway-key"


class ConfigurationError(Exception):
    """The configuration cannot work: the service does not start."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False


@dataclass(frozen=True)
class SmsGateway:
    url: str
    api_key: str
    sign_name: str


@dataclass(frozen=True)
class NotifySettings:
    base: Settings
    signing_secret: str
    link_secret: str
    public_url: str
    console_url: str  # the staff console: a group message about a case names its page there
    default_webhook: str
    routes_file: Path
    template_dir: Path | None
    smtp: Smtp | None
    sms: SmsGateway | None
    back_off: BackOff
    rate_limit: RateLimit
    send_budget_seconds: float
    link_days: int
    accept_link_hours: float
    egress: EgressRule

    @classmethod
    def from_config(cls, service: str, config: Mapping[str, Any]) -> NotifySettings:
        base = Settings.from_config(service, config)
        value = _reader(config)
        smtp_host = value("NOTIFY_SMTP_HOST")
        sms_url = value("NOTIFY_SMS_URL")
        budget = float(value("NOTIFY_SEND_BUDGET_SECONDS") or base.lease_ttl_seconds / 2)
        if budget >= base.lease_ttl_seconds:
            raise ConfigurationError("NOTIFY_SEND_BUDGET_SECONDS must stay under the lease TTL")
        smtp_user = value("NOTIFY_SMTP_USER")
        if smtp_user and not value("NOTIFY_SMTP_PASSWORD"):
            raise ConfigurationError("NOTIFY_SMTP_USER is set without NOTIFY_SMTP_PASSWORD")
        return cls(
            base=base,
            signing_secret=base.secret(
                "NOTIFY_SIGNING_SECRET", value("NOTIFY_SIGNING_SECRET"), DEV_SIGNING_SECRET
            ),
            link_secret=base.secret("TOKEN_SECRET", base.token_secret, DEV_TOKEN_SECRET),
            public_url=value("NOTIFY_PUBLIC_URL") or "http://127.0.0.1:8003",
            console_url=(value("NOTIFY_CONSOLE_URL") or "http://127.0.0.1:8005").rstrip("/"),
            default_webhook=value("NOTIFY_WEBHOOK_URL"),
            routes_file=Path(value("NOTIFY_ROUTES_FILE") or DEFAULT_ROUTES),
            template_dir=Path(value("NOTIFY_TEMPLATE_DIR"))
            if value("NOTIFY_TEMPLATE_DIR")
            else None,
            smtp=Smtp(
                host=smtp_host,
                port=int(value("NOTIFY_SMTP_PORT") or 25),
                sender=value("NOTIFY_SMTP_SENDER") or "lianxin@localhost",
                username=smtp_user,
                password=value("NOTIFY_SMTP_PASSWORD"),
                starttls=value("NOTIFY_SMTP_STARTTLS").lower() in ("1", "true", "yes", "on"),
            )
            if smtp_host
            else None,
            sms=SmsGateway(
                url=sms_url,
                api_key=base.secret("NOTIFY_SMS_API_KEY", value("NOTIFY_SMS_API_KEY"), DEV_SMS_KEY),
                sign_name=value("NOTIFY_SMS_SIGN") or "连心",
            )
            if sms_url
            else None,
            back_off=BackOff(
                max_attempts=int(value("NOTIFY_MAX_ATTEMPTS") or 6),
                base_seconds=float(value("NOTIFY_RETRY_BASE_SECONDS") or 5),
                cap_seconds=float(value("NOTIFY_RETRY_CAP_SECONDS") or 600),
            ),
            rate_limit=RateLimit(
                count=int(value("NOTIFY_RATE_COUNT") or 5),
                window=timedelta(seconds=float(value("NOTIFY_RATE_WINDOW_SECONDS") or 600)),
            ),
            send_budget_seconds=budget,
            link_days=int(value("NOTIFY_LINK_DAYS") or 7),
            accept_link_hours=float(value("NOTIFY_ACCEPT_LINK_HOURS") or 24),
            egress=_egress(value("NOTIFY_EGRESS_ALLOW")),
        )

    def secrets(self) -> tuple[str, ...]:
        """What must never be shown, for redaction (routes add their own)."""
        found = [self.signing_secret, self.link_secret]
        if self.smtp:
            found.append(self.smtp.password)
        if self.sms:
            found.append(self.sms.api_key)
        return tuple(secret for secret in found if secret)


def _egress(allow: str) -> EgressRule:
    """NOTIFY_EGRESS_ALLOW: the private addresses webhooks, robots, the SMS gateway and
    hotline callbacks may reach (lianxin.egress); public ones always may."""
    try:
        return EgressRule.parse(allow)
    except ValueError as exc:
        raise ConfigurationError(f"NOTIFY_EGRESS_ALLOW: {exc}") from None


def _reader(config: Mapping[str, Any]):
    def value(name: str) -> str:
        raw = config.get(name)
        return "" if raw is None else str(raw).strip()

    return value
