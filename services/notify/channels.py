"""Delivery channels as plug-ins. The webhook channel posts signed JSON to a group robot
(WeCom/DingTalk style) or any receiver; e-mail and SMS gateways plug in beside it."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, Protocol

import requests
from nameko.extensions import DependencyProvider
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from lianxin.config import Settings
from services.notify.domain import DELIVERY_HEADER, SIGNATURE_HEADER, DeliveryFailed, sign
from services.notify.messages import Messages


class Channel(Protocol):
    name: str

    def send(self, delivery_id: str, address: str, body: Mapping[str, Any]) -> None: ...


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: str, budget_seconds: float):
        """`budget_seconds` bounds one send, retries included: it runs under the delivery's
        lease, and a send that outran the lease would be retried and sent twice."""
        self._secret = secret
        self._timeout = budget_seconds / 2
        self._retrying = Retrying(
            retry=retry_if_exception_type(requests.ConnectionError),
            stop=stop_after_attempt(3) | stop_after_delay(budget_seconds / 2),
            wait=wait_exponential(multiplier=0.1, max=0.5),
            reraise=True,
        )
        self._session = requests.Session()

    def send(self, delivery_id: str, address: str, body: Mapping[str, Any]) -> None:
        payload = json.dumps(body, ensure_ascii=False, default=str).encode()
        try:
            self._retrying(self._post, delivery_id, address, payload)
        except requests.RequestException as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    def _post(self, delivery_id: str, address: str, payload: bytes) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: delivery_id,  # receivers de-duplicate on it: delivery is at-least-once
            SIGNATURE_HEADER: sign(self._secret, int(time.time()), payload),
        }
        response = self._session.post(address, data=payload, headers=headers, timeout=self._timeout)
        response.raise_for_status()


class Outbound:
    """How a message leaves: its text (templates), its channel, and its address, with
    routing held in data (config), not in code."""

    def __init__(
        self,
        channel: Channel,
        messages: Messages,
        default_address: str,
        by_team: Mapping[str, str] | None = None,
    ):
        self.channel = channel
        self.messages = messages
        self._default = default_address
        self._by_team = dict(by_team or {})

    def address_for(self, payload: Mapping[str, Any]) -> str:
        return self._by_team.get(payload.get("team", ""), self._default)


class OutboundProvider(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        lease_ttl = Settings.from_config(self.container.service_name, config).lease_ttl_seconds
        self.outbound = Outbound(
            WebhookChannel(str(config.get("NOTIFY_SIGNING_SECRET") or ""), lease_ttl / 2),
            Messages(),
            str(config.get("NOTIFY_WEBHOOK_URL") or ""),
            config.get("NOTIFY_TEAM_WEBHOOKS") or {},
        )

    def get_dependency(self, worker_ctx) -> Outbound:
        return self.outbound
