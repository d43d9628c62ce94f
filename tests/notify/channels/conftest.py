"""The real peers a channel sends to in these tests, on loopback: an HTTP receiver and an
SMTP server, one per test."""

from __future__ import annotations

import pytest

from tests.notify.peers import HttpPeer, SmtpPeer


@pytest.fixture
def peer():
    receiver = HttpPeer()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    server = SmtpPeer()
    yield server
    server.stop()
