"""Waiting on a condition with a deadline, the one way tests wait for something that
happens elsewhere (a consumer, a timer, another process): never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `probe` returns something truthy, and return it; fail with `what` after
    the deadline."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return value
