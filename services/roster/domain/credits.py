"""A case's credits and what takes them back, whatever order its events arrive in.
Plain Python.

Each `case.resolved` credits the resolver, a ledger line keyed by that event; each
`case.reopened` takes back the credit of the resolution it undid, keyed by its own
event. Events reach roster out of order (two replicas, retry tiers, a redelivery:
DESIGN.md rule 7), so a reopening may come before the resolution it undoes: it is
kept on the case's dispatch, and its reversal made when that resolution arrives.
Nothing is acknowledged and dropped as stale.

Which resolution does a reopening undo? A case alternates: resolved → (closed,
rated) → reopened → … → resolved → reopened. So the k-th reopening (its
`reopen_count`) undoes the k-th resolution in case-version order, which is the
latest of the k resolutions below the reopening's version. It is due once k of
them are known: until then one may still be on its way, and the one known last
is not yet surely the k-th.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class Resolution:
    version: int  # the case's version after it was resolved
    credit_id: str  # its ledger line: H-<case.resolved event id>


@dataclass(frozen=True)
class Reopening:
    count: int  # the case's reopen_count after it: the k-th reopening
    version: int
    reversal_id: str  # its ledger line, if the credit counted: HR-<case.reopened event id>
    at: datetime
    reason: str
    took_back: str | None = None  # the credit it took back, once it has


@dataclass(frozen=True)
class Credits:
    """What a case's resolutions credited and its reopenings took back (a few of each)."""

    resolutions: tuple[Resolution, ...] = ()
    reopenings: tuple[Reopening, ...] = ()

    def resolved(self, resolution: Resolution) -> Credits:
        """A resolution credited; the same one again changes nothing."""
        if any(known.credit_id == resolution.credit_id for known in self.resolutions):
            return self
        return replace(self, resolutions=(*self.resolutions, resolution))

    def reopened(self, reopening: Reopening) -> Credits:
        """A reopening known; the same one again changes nothing."""
        if any(known.reversal_id == reopening.reversal_id for known in self.reopenings):
            return self
        return replace(self, reopenings=(*self.reopenings, reopening))

    def due(self) -> list[tuple[Reopening, Resolution]]:
        """Each reopening that can take its credit back now, with the resolution it undid."""
        found = []
        for reopening in self.reopenings:
            if reopening.took_back is not None:
                continue
            before = sorted(
                (r for r in self.resolutions if r.version < reopening.version),
                key=lambda resolution: resolution.version,
            )
            if len(before) >= reopening.count:
                found.append((reopening, before[reopening.count - 1]))
        return found

    def took_back(self, reopening: Reopening, resolution: Resolution) -> Credits:
        done = replace(reopening, took_back=resolution.credit_id)
        return replace(
            self,
            reopenings=tuple(
                done if known.reversal_id == reopening.reversal_id else known
                for known in self.reopenings
            ),
        )
