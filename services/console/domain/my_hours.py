"""A person's own hours (我的时长) as they would read them: one line per credit with where
it stands, the corrections staff made, and minutes as hours and minutes.

Roster's ledger never changes a line: a staff decision on a credit that waited is a line
referring to it (`<credit>:decision`: an approval is a `credit`, a rejection or a void a
`correction` of 0 minutes), a reopened case's reversal refers to the credit it takes back
(services/roster/domain/ledger.py). The person sees the credit once, in its last state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# where a credit stands, as the page says it (labels my_hours_state_<state>)
CREDITED, WAITING, REJECTED, REVERSED, CORRECTION = (
    "credited", "waiting", "rejected", "reversed", "correction",
)  # fmt: skip
VOIDED = "void:"  # the note roster gives a waiting credit that a reopening voided


@dataclass(frozen=True)
class Duration:
    """Minutes as people say them: hours and minutes, with the sign apart."""

    negative: bool
    hours: int
    minutes: int


def duration(minutes: int) -> Duration:
    hours, rest = divmod(abs(minutes), 60)
    return Duration(minutes < 0, hours, rest)


@dataclass(frozen=True)
class HoursLine:
    entry_id: str
    at: str
    case_id: str | None
    state: str
    minutes: int  # what it counts for now (a reversed or rejected credit: what it was)
    note: str

    @property
    def amount(self) -> Duration:
        return duration(self.minutes)


def hours_lines(entries: Iterable[Mapping[str, Any]]) -> list[HoursLine]:
    """The ledger's lines folded into what happened to each credit, newest first."""
    entries = list(entries)
    followers: dict[str, list[Mapping[str, Any]]] = {}
    for entry in entries:
        if entry.get("refers_to"):
            followers.setdefault(entry["refers_to"], []).append(entry)
    lines = [
        _line(entry, followers.get(entry["entry_id"], []))
        for entry in entries
        if not entry.get("refers_to")
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)


def _line(entry: Mapping[str, Any], after: list[Mapping[str, Any]]) -> HoursLine:
    """A credit as it stands after the lines referring to it (with the note of the line
    that decided it: why it was rejected or taken back); a correction as itself."""
    if entry["kind"] != "credit":
        return _shown(entry, CORRECTION, entry["minutes"], entry)
    decision = next((e for e in after if e["kind"] != "reversal"), None)
    reversal = next((e for e in after if e["kind"] == "reversal"), None)
    if reversal is not None:
        counted = decision["minutes"] if decision else entry["minutes"]
        return _shown(entry, REVERSED, counted, reversal)
    if decision is None:
        return _shown(entry, CREDITED if entry["state"] == "approved" else WAITING,
                      entry["minutes"], entry)  # fmt: skip
    if decision["kind"] == "credit":
        return _shown(entry, CREDITED, decision["minutes"], decision)
    voided = (decision.get("note") or "").startswith(VOIDED)
    return _shown(entry, REVERSED if voided else REJECTED, entry["minutes"], decision)


def _shown(
    entry: Mapping[str, Any], state: str, minutes: int, noted: Mapping[str, Any]
) -> HoursLine:
    return HoursLine(
        entry["entry_id"], entry["at"], entry.get("case_id"), state, minutes,
        noted.get("note") or "",
    )  # fmt: skip
