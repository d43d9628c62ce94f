"""The events the console reads, from the shared contracts (lianxin.contracts); it emits none.

Roster's `person.changed` tells it who may sign in (app/people.py): the roles, grids and
community, whether the person is active, and the SMS number a code goes to (kept only as
a digest). The people's access that ends sessions comes from the shared replica
(lianxin.access.replicas.PersonAccessReplica), fed by the same event.
"""

from __future__ import annotations

from lianxin.contracts.contract import Reader
from lianxin.contracts.roster import ROSTER

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
    )
)
