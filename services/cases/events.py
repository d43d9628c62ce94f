"""The events cases emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything cases publishes (lianxin.contracts.cases), each payload validated
before it reaches the outbox. Read: roster's answers to a dispatch and its areas, each
refused at once if what cases needs of it is missing; unknown fields are ignored.
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.roster import ROSTER

EMITS = CASES

# The roster events that move a dispatch, read from the one queue `cases.roster-dispatch`
DISPATCH = ("offer.made", "offer.expired", "escalation.required")

READS = Reader(
    *ROSTER.reading("offer.made", needs=("case_id", "offer_id", "person_id", "display_name")),
    *ROSTER.reading("offer.expired", needs=("case_id", "offer_id", "person_id")),
    *ROSTER.reading("escalation.required", needs=("case_id", "level", "reason")),
    *ROSTER.reading(
        "area.changed",
        needs=(
            "node",
            "node.code",
            "node.kind",
            "node.polygon.lat",
            "node.polygon.lon",
            "area_version",
        ),
    ),
)
