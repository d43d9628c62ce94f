"""Where a service may send: public addresses, and private ones only when the allow-list
names them; every address a name resolves to is checked. Plain Python: a fake resolver
stands in for DNS, so no address here is ever connected to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.egress import Allowed, EgressRefused, EgressRule, HostUnresolved, is_public


def resolver(table: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return table.get(host, [host])

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


PUBLIC = "1.1.1.1"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/v1/keys",
        "http://localhost/",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0:8000/",
        "http://224.0.0.1/",
        "http://[::1]:8001/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
    ],
)
def test_loopback_private_link_local_and_the_like_are_refused_by_default(url):
    rule = EgressRule.parse("", resolver({"localhost": ["127.0.0.1", "::1"]}))
    with pytest.raises(EgressRefused) as refused:
        rule.check(url)
    assert "127.0.0.1" not in str(refused.value) and "10.0" not in str(refused.value)


def test_a_public_address_is_sent_to_and_is_where_the_connection_goes():
    rule = EgressRule.parse("", resolver({"qyapi.weixin.qq.com": [PUBLIC]}))
    found = rule.check("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    assert (found.scheme, found.host, found.port, found.address) == (
        "https",
        "qyapi.weixin.qq.com",
        443,
        PUBLIC,
    )


def test_a_name_that_resolves_to_a_public_and_a_private_address_is_refused():
    """DNS rebinding: every address is checked, not the first one only."""
    rule = EgressRule.parse("", resolver({"rebind.example": [PUBLIC, "127.0.0.1"]}))
    with pytest.raises(EgressRefused):
        rule.check("http://rebind.example/")


def test_the_name_is_resolved_once_per_check():
    resolve = resolver({"hooks.example": [PUBLIC]})
    EgressRule.parse("", resolve).check("http://hooks.example/x")
    assert resolve.calls == ["hooks.example"]


@pytest.mark.parametrize(
    ("allow", "url", "allowed"),
    [
        ("127.0.0.1:8099", "http://127.0.0.1:8099/hooks", True),
        ("127.0.0.1:8099", "http://127.0.0.1:8001/v1/keys", False),
        ("127.0.0.1", "http://127.0.0.1:8001/", True),
        ("10.20.0.0/16", "http://10.20.3.4/", True),
        ("10.20.0.0/16", "http://10.21.3.4/", False),
        ("[::1]:8099", "http://[::1]:8099/", True),
        ("[::1]:8099", "http://127.0.0.1:8099/", False),
        ("webhook-sink:8099", "http://webhook-sink:8099/hooks", True),
        ("webhook-sink:8099", "http://webhook-sink:8098/hooks", False),
        ("webhook-sink", "http://other-sink:8099/", False),
        (" 127.0.0.1:1 , 10.0.0.0/8 ", "http://10.9.9.9/", True),
    ],
)
def test_the_allow_list_names_addresses_networks_or_hosts_with_or_without_a_port(
    allow, url, allowed
):
    table = {"webhook-sink": ["172.18.0.5"], "other-sink": ["172.18.0.6"]}
    rule = EgressRule.parse(allow, resolver(table))
    if allowed:
        assert rule.check(url).address
    else:
        with pytest.raises(EgressRefused):
            rule.check(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "http:///x", "gopher://1.1.1.1/"]
)
def test_only_http_urls_with_a_host_are_sent_to(url):
    with pytest.raises(EgressRefused):
        EgressRule.parse("").check(url)


def test_a_name_that_does_not_resolve_may_resolve_later():
    def nowhere(host, port):
        return []

    with pytest.raises(HostUnresolved):
        EgressRule.parse("", nowhere).check("http://gone.example/")


@pytest.mark.parametrize("entry", ["127.0.0.1:http", "host:0", ":8099", "[::1]:99999"])
def test_a_malformed_allow_list_entry_is_an_error_at_start(entry):
    with pytest.raises(ValueError):
        EgressRule.parse(entry)


def test_an_allow_list_entry_reads_as_written():
    assert Allowed.parse("Webhook-Sink:8099") == Allowed(host="webhook-sink", port=8099)


@given(st.ip_addresses())
def test_an_address_with_a_private_ipv4_inside_is_never_public(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        assert is_public(address) == is_public(address.ipv4_mapped)
    if address.is_private or address.is_loopback or address.is_link_local:
        assert not is_public(address)
