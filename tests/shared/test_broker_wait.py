"""A service starting while RabbitMQ is restarting or too busy to answer comes up late
rather than dying: `reach_broker` waits, within its limit, on the real broker."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from kombu import Connection
from kombu.exceptions import OperationalError

from lianxin.bus.outages import reach_broker

pytestmark = pytest.mark.integration


class LateBroker:
    """A port that answers nothing at first (a broker that is starting), then forwards
    every connection to the real RabbitMQ."""

    def __init__(self, target_port: int, silent_seconds: float):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._opens_at = time.monotonic() + silent_seconds
        self._target_port = target_port
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self._opens_at:
                continue  # accepted and never answered: the handshake times out
            upstream = socket.create_connection(("127.0.0.1", self._target_port))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        sink.close()


def test_a_broker_that_answers_late_is_waited_for(amqp_uri):
    broker = LateBroker(5672, silent_seconds=2.0)
    try:
        uri = amqp_uri.replace(":5672/", f":{broker.port}/")
        started = time.monotonic()
        with Connection(uri, connect_timeout=0.5) as connection:
            reach_broker(connection, "a test", seconds=20)
            assert connection.connected
        assert time.monotonic() - started >= 2.0
    finally:
        broker.close()


def test_a_broker_away_for_longer_than_the_limit_is_an_error_not_a_hang():
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        uri = f"amqp://guest:guest@127.0.0.1:{port}//"
        with (
            Connection(uri, connect_timeout=0.5) as connection,
            pytest.raises(OperationalError),  # kombu wraps the socket timeout
        ):
            reach_broker(connection, "a test", seconds=2)
        assert time.monotonic() - started < 10
