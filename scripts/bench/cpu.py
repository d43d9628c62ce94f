"""CPU-seconds (user + system) per process, read from /proc, and the machine's busy time.

A `Group` names a set of processes found afresh at every sample (so a restart or
a replica is still counted): by a pid callable, or by a predicate over
`/proc/<pid>`. Each group counts its processes and all their descendants.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Group:
    name: str
    find: Callable[[], Iterable[int]]
    descendants: bool = True  # False for the bench itself: the services are its children


def process_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), 0 when it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of proc(5)


def machine_busy_seconds() -> float:
    """All cores' non-idle time since boot (user, nice, system, irq, softirq, steal)."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def _parents() -> dict[int, int]:
    parents = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(raw.rsplit(")", 1)[1].split()[1])
    return parents


def with_descendants(pids: Iterable[int], parents: dict[int, int]) -> set[int]:
    found = set(pids)
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return found


def snapshot(groups: Iterable[Group]) -> dict[str, float]:
    parents = _parents()
    sample = {}
    for group in groups:
        pids = {pid for pid in group.find() if pid}
        if group.descendants:
            pids = with_descendants(pids, parents)
        sample[group.name] = sum(process_seconds(pid) for pid in pids)
    sample["machine"] = machine_busy_seconds()
    return sample


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after.get(name, 0.0) - before.get(name, 0.0)) for name in before}


# --- finding processes -------------------------------------------------------------


def _read(pid: str, name: str) -> bytes:
    try:
        return (PROC / pid / name).read_bytes()
    except OSError:
        return b""


def pids_where(predicate: Callable[[str], bool]) -> list[int]:
    return [int(e.name) for e in PROC.iterdir() if e.name.isdigit() and predicate(e.name)]


def by_environment(variable: str, value: str, command_contains: str) -> Callable[[], list[int]]:
    """Processes started with VARIABLE=value whose command line mentions `command_contains`
    (e.g. a service's processes under the bench's own database prefix, however launched)."""
    wanted = b"\0" + f"{variable}={value}".encode() + b"\0"
    needle = command_contains.encode()

    def find() -> list[int]:
        return pids_where(
            lambda pid: (
                needle in _read(pid, "cmdline") and wanted in b"\0" + _read(pid, "environ") + b"\0"
            )
        )

    return find


def by_pid_file(path: Path, fallback: Callable[[], list[int]]) -> Callable[[], list[int]]:
    def find() -> list[int]:
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            return fallback()
        return [pid] if (PROC / str(pid)).exists() else fallback()

    return find


def by_command(executable: str, *contains: str) -> Callable[[], list[int]]:
    """Processes whose comm is `executable` and whose command line holds every `contains`."""

    def find() -> list[int]:
        return pids_where(
            lambda pid: (
                _read(pid, "comm").strip() == executable.encode()[:15]
                and all(part.encode() in _read(pid, "cmdline") for part in contains)
            )
        )

    return find


def rabbitmq() -> list[int]:
    """The broker's Erlang VM (not the short-lived ones rabbitmqctl starts)."""
    return by_command("beam.smp", "rabbit", "boot")()
