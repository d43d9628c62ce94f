"""Where a service may send an HTTP request: the public internet, and only the private
addresses an operator names. Plain Python: no nameko.

A URL that a person's record or an import can set (a webhook, a group robot) must not
turn the service into a proxy for the network it runs in: the database, the broker's
management API, another service's admin routes or a cloud's metadata endpoint. So before
any request the host is resolved and every address it resolves to is checked; loopback,
private, link-local, shared, multicast and reserved addresses are refused unless the
allow-list (`NOTIFY_EGRESS_ALLOW` for notify) names them. The request then goes to the
address that was checked, never to a second resolution of the name: a name that answers
with a public address to the check and a private one to the connection (DNS rebinding)
gains nothing.

An allow-list is a comma-separated list of entries, each an address, a network or a host
name, with a port or without (any port):

    127.0.0.1:8099, 10.20.0.0/16, [::1]:8099, webhook-sink:8099, hooks.internal
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], Sequence[str]]
SCHEMES = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: IPv4 inside


class EgressRefused(Exception):
    """The URL may not be sent to: not http(s), or an address the allow-list does not name.
    Retrying cannot help. The message is fixed text: it never shows the address."""


class HostUnresolved(Exception):
    """The host name did not resolve now; it may later."""


def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (green in a monkey-patched service)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise HostUnresolved("the host name did not resolve") from None
    return [info[4][0] for info in found]


@dataclass(frozen=True)
class Allowed:
    """One entry of an allow-list: a network or a host name, on one port or on any."""

    network: Network | None = None
    host: str = ""
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> Allowed:
        text = entry.strip()
        port: int | None = None
        if text.startswith("["):  # [v6] or [v6]:port
            inside, _, rest = text[1:].partition("]")
            text, port = inside, _port(rest.removeprefix(":")) if rest else None
        elif text.count(":") == 1:  # host:port or v4:port (a bare v6 has several colons)
            text, _, given = text.partition(":")
            port = _port(given)
        if not text:
            raise ValueError(f"egress allow-list entry {entry!r} names no host")
        try:
            return cls(network=ipaddress.ip_network(text, strict=False), port=port)
        except ValueError:
            return cls(host=text.lower().rstrip("."), port=port)

    def covers(self, host: str, address: Address, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address.version == self.network.version and address in self.network
        return host == self.host


@dataclass(frozen=True)
class Destination:
    """A URL that passed the check, and the one address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


@dataclass(frozen=True)
class EgressRule:
    """The allow-list, and how names are resolved (a test gives its own resolver)."""

    allowed: tuple[Allowed, ...] = ()
    resolve: Resolve = field(default=system_resolve, compare=False)

    @classmethod
    def parse(cls, text: str | None, resolve: Resolve = system_resolve) -> EgressRule:
        """`127.0.0.1:8099, 10.0.0.0/8, webhook-sink` (empty: public addresses only).
        Raises ValueError naming a malformed entry."""
        entries = [entry for entry in (text or "").split(",") if entry.strip()]
        return cls(tuple(Allowed.parse(entry) for entry in entries), resolve)

    def check(self, url: str) -> Destination:
        """Resolve the URL's host and check every address it gives; the first is where to
        connect. Raises EgressRefused or HostUnresolved."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port or SCHEMES.get(scheme, 0)
        except ValueError:
            raise EgressRefused("the URL's port is not valid") from None
        host = (parts.hostname or "").rstrip(".")
        if scheme not in SCHEMES or not host or not port:
            raise EgressRefused("only http(s) URLs with a host are sent to")
        addresses = [_address(found) for found in self.resolve(host, port)]
        if not addresses:
            raise HostUnresolved("the host name did not resolve")
        for address in addresses:
            if not self.permits(host, address, port):
                raise EgressRefused(
                    "the address is private, loopback or link-local and not allowed"
                )
        return Destination(scheme, host, port, str(addresses[0]))

    def permits(self, host: str, address: Address, port: int) -> bool:
        """Public addresses always; any other only when an entry names it."""
        if is_public(address):
            return True
        return any(entry.covers(host.lower(), address, port) for entry in self.allowed)


def is_public(address: Address) -> bool:
    """A global unicast address, also when an IPv6 address carries an IPv4 one inside
    (mapped, 6to4, NAT64): that is where the packet ends up."""
    inner = _embedded_v4(address)
    if inner is not None:
        return is_public(inner)
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _embedded_v4(address: Address) -> ipaddress.IPv4Address | None:
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _address(text: str) -> Address:
    return ipaddress.ip_address(text.partition("%")[0])  # an IPv6 zone id is not an address


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"egress allow-list port {text!r} is not a port")
    return int(text)
