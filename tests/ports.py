"""Ports for the servers the tests start: each pytest worker hands out its own.

The ports lie below the kernel's ephemeral range (32768 and up on Linux), from which every
outgoing connection takes its local port: a port found free there can be taken between the
check and the server's bind. Under pytest-xdist each worker (`PYTEST_XDIST_WORKER`: gw0,
gw1, ...) draws from its own slice of that range, so two workers never hand out the same
port, and within a worker no port is handed out twice.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Sequence

LOWEST, HIGHEST = 20000, 32000
_handed_out: set[int] = set()


def worker_ports() -> range:
    """This worker's slice of LOWEST–HIGHEST (all of it when the tests run in one process)."""
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    width = (HIGHEST - LOWEST) // count
    return range(LOWEST + index * width, LOWEST + (index + 1) * width)


def free_port() -> int:
    """A port of this worker's that nothing listens on and no test was given before."""
    return free_base((0,))


def free_base(offsets: Sequence[int]) -> int:
    """A port `base` of this worker's with `base + offset` free for every offset (a stack's
    ports); all of them count as handed out from then on."""
    ports = worker_ports()
    for _ in range(200):
        base = random.randrange(ports.start, ports.stop - max(offsets))
        wanted = [base + offset for offset in offsets]
        if _handed_out.isdisjoint(wanted) and all(_free(port) for port in wanted):
            _handed_out.update(wanted)
            return base
    raise RuntimeError(f"no free ports in {ports.start}–{ports.stop - 1}")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
