"""Deliveries and their signatures. Plain Python: no nameko, no pymongo.

Webhook bodies are signed like Stripe's: HMAC-SHA256 over "<timestamp>.<body>",
sent as `X-Lianxin-Signature: t=<timestamp>,v1=<hex>`, so a receiver can check
both who sent it and that it is fresh.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime

SIGNATURE_HEADER = "X-Lianxin-Signature"
DELIVERY_HEADER = "X-Lianxin-Delivery"


class DeliveryFailed(Exception):
    """The channel did not take the message; the event will be retried."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """True when the signature matches and is no older than `tolerance` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), header.encode())


@dataclass(frozen=True)
class Delivery:
    id: str
    kind: str
    case_id: str
    channel: str
    address: str
    state: str = "pending"  # pending → delivered | failed (failed is retried until parked)
    attempts: int = 0
    last_error: str = ""
    delivered_at: datetime | None = None

    def succeeded(self, at: datetime) -> Delivery:
        return replace(
            self, state="delivered", attempts=self.attempts + 1, last_error="", delivered_at=at
        )

    def failed(self, error: str) -> Delivery:
        return replace(self, state="failed", attempts=self.attempts + 1, last_error=error[:500])
