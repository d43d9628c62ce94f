"""The events roster emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything roster publishes (lianxin.contracts.roster). Read: the case events
that move a dispatch or credit hours, from the one queue `roster.cases`.
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.roster import ROSTER

EMITS = ROSTER

# What a dispatch is started from, whichever of a case's events arrives first. The contract
# lets category, team and priority be null before triage; roster refuses such an event.
CASE = ("case_id", "community_id", "grid_id", "category", "team", "priority")

# The case events roster follows, with what it needs of each beyond the case; case.triaged
# first: the stream's metrics are labelled with its first event type. The ends (closed,
# withdrawn, rejected (退单), merged) leave nothing to offer or escalate, nobody holding it.
CASE_EVENTS: dict[str, tuple[str, ...]] = {
    "case.triaged": (),
    "case.declined": ("person_id",),
    "case.accepted": ("person_id",),
    "case.assigned": ("person_id",),
    "case.resolved": ("person_id",),
    "case.reopened": ("reopen_count",),  # the k-th reopening undoes the k-th resolution
    "case.withdrawn": (),
    "case.closed": (),
    "case.rejected": (),
    "case.merged": (),
}

READS = Reader(
    *(
        reading
        for event_type, more in CASE_EVENTS.items()
        for reading in CASES.reading(event_type, needs=(*CASE, *more))
    )
)
