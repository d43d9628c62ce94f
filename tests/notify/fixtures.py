"""The real peers notify delivers to in the e2e tests (an HTTP receiver for webhooks,
robots, SMS and the hotline; an aiosmtpd SMTP server), the routes that point at them,
and a tap on notify's events: one of each per test module (registered as a pytest
plugin in tests/conftest.py). Each module starts its own notify with the settings it
needs."""

from __future__ import annotations

import pytest

from tests.notify.peers import HttpPeer, SmtpPeer
from tests.notify.scenario import EventTap, Scenario


@pytest.fixture(scope="module")
def peer():
    receiver = HttpPeer()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def smtp():
    server = SmtpPeer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def scenario(peer, smtp, tmp_path_factory):
    return Scenario(peer, smtp, tmp_path_factory.mktemp("routes"))


@pytest.fixture(scope="module")
def tap(notify):
    return EventTap(notify.amqp_uri)
