"""Named crash points, so fault tests can stop a process exactly between two writes.

A point does nothing unless the LIANXIN_FAULTS environment variable names it;
production never sets it. Killing with SIGKILL (not an exception) is the point:
no finally-block, no atexit, no flush gets to run, as with a real crash.
"""

import os
import signal


def fault_point(name: str) -> None:
    if name in os.environ.get("LIANXIN_FAULTS", "").split(","):
        os.kill(os.getpid(), signal.SIGKILL)
