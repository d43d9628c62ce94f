"""Named fault points, so fault tests can crash or stall a writer exactly between two steps.

A point does nothing unless it is armed; production arms none. A process arms
points from the LIANXIN_FAULTS environment variable, a comma-separated list of
`<point>` (SIGKILL there) or `<point>:pause=<seconds>` (stall there once, as a
long GC pause or a stopped VM would). A test in the same process arms one with
`armed(point, action)`. Killing with SIGKILL rather than raising is the point:
no finally-block, no atexit, no flush gets to run, as with a real crash.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_armed: dict[str, Callable[[], None]] = {}
_spent: set[str] = set()


def fault_point(name: str) -> None:
    action = _take(name)
    if action is not None:
        action()


@contextmanager
def armed(name: str, action: Callable[[], None]) -> Iterator[None]:
    """Run `action` the first time any thread passes `name` while this block is open."""
    with _lock:
        _armed[name] = action
    try:
        yield
    finally:
        with _lock:
            _armed.pop(name, None)


def _take(name: str) -> Callable[[], None] | None:
    with _lock:
        if name in _armed:
            return _armed.pop(name)
    for spec in os.environ.get("LIANXIN_FAULTS", "").split(","):
        point, _, option = spec.partition(":")
        if point != name:
            continue
        if not option:
            return _kill
        with _lock:
            if spec in _spent:
                return None
            _spent.add(spec)
        seconds = float(option.removeprefix("pause="))
        return lambda: time.sleep(seconds)
    return None


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
