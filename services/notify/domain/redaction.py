"""What may be shown of an address or an error: in the API, in events, headers and logs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from services.notify.domain.delivery import ERROR_LIMIT

URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE)
SECRET_PARAMETER = re.compile(
    r"((?:access_token|token|key|secret|sign|signature|password|passwd|api_key|apikey)=)"
    r"[^&\s'\"]+",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """scheme://host/path with the query (robot keys, DingTalk signatures) and any user
    info cut: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """An error or provider answer fit for the API, events, headers and logs: URLs without
    their query, `key=…` parameters blanked, and every known secret replaced."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    text = URL.sub(lambda match: redact_url(match.group()), text)
    return SECRET_PARAMETER.sub(r"\1[redacted]", text)[:ERROR_LIMIT]


def show_address(channel: str, address: str) -> str:
    """An address as the API shows it: phones and e-mail masked, URLs without secrets."""
    if address.startswith("group:"):
        return address
    if channel == "sms":
        return address[:3] + "****" + address[-4:] if len(address) >= 7 else "****"
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return redact_url(address) if "://" in address else address
