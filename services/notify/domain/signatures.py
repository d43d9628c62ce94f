"""Webhook bodies are signed like Stripe's: HMAC-SHA256 over "<timestamp>.<body>", sent as
`X-Lianxin-Signature: t=<timestamp>,v1=<hex>`, so a receiver can check both who sent it
and that it is fresh. The delivery id rides in `X-Lianxin-Delivery`, so a receiver can
drop a repeat."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Lianxin-Signature"
DELIVERY_HEADER = "X-Lianxin-Delivery"
DEV_SIGNING_SECRET = "dev-only-signing-secret"  # accepted in dev mode only (lianxin.config)


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
