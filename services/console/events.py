"""The events the console reads, from the shared contracts (lianxin.contracts); it emits none.

Roster's `person.changed` tells it who may sign in (app/people.py): the roles, grids and
community, whether the person is active, and the SMS number a code goes to (kept only as
a digest). The people's access that ends sessions comes from the shared replica
(lianxin.access.replicas.PersonAccessReplica), fed by the same event.

Every case event (`case.#`) feeds the case board's rows (app/board.py): each starts with
the case's `about` block, whose version orders them.
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.roster import ROSTER

CASE_EVENTS = tuple(sorted(type_ for type_ in CASES.types if type_.startswith("case.")))
BOARD_NEEDS = ("case_id", "number", "community_id", "grid_id", "channel", "state", "case_version")

READS = Reader(
    *ROSTER.reading(
        "person.changed",
        needs=(
            "person_id",
            "community_id",
            "display_name",
            "roles",
            "home_grids",
            "contacts",
            "active",
            "person_version",
        ),
    ),
    *CASES.reading(*CASE_EVENTS, needs=BOARD_NEEDS),
)
