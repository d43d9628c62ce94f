"""Redaction: what may be shown of an address or an error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.redaction import redact, redact_url, show_address

SECRET = "s3cret"
BODY = b'{"case_id": "C-1"}'
NOW = 1_772_760_000
AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…",
        ),
        (
            "https://user:pw@hooks.example.cn:8443/x?token=t#frag",
            "https://hooks.example.cn:8443/x?…",
        ),
        ("http://127.0.0.1:8099/hooks", "http://127.0.0.1:8099/hooks"),
    ],
)
def test_a_url_is_shown_without_its_query_or_user_info(url, shown):
    assert redact_url(url) == shown


def test_an_error_text_loses_urls_queries_key_parameters_and_known_secrets():
    error = (
        "ConnectionError: HTTPSConnectionPool(host='oapi.dingtalk.com') url: "
        "https://oapi.dingtalk.com/robot/send?access_token=TOKEN1&sign=abc%2B "
        "sent with api_key=KEY2 and secret SEC-very-secret"
    )
    shown = redact(error, secrets=("SEC-very-secret",))
    for secret in ("TOKEN1", "abc%2B", "KEY2", "SEC-very-secret"):
        assert secret not in shown
    assert "https://oapi.dingtalk.com/robot/send?…" in shown and "api_key=[redacted]" in shown


@given(st.text(max_size=2000))
def test_a_redacted_text_is_bounded(text):
    assert len(redact(text)) <= 300


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        ("sms", "13912345678", "139****5678"),
        ("email", "wang.xiulan@example.cn", "w***@example.cn"),
        ("wecom", "https://qyapi.weixin.qq.com/send?key=k", "https://qyapi.weixin.qq.com/send?…"),
        ("webhook", "group:jingxiang/jingxiang-g1", "group:jingxiang/jingxiang-g1"),
    ],
)
def test_an_address_is_shown_masked(channel, address, shown):
    assert show_address(channel, address) == shown
