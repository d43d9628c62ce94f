"""The events estate emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything estate publishes (lianxin.contracts.estate). Read: roster's areas (the
pact's names, unit leaders and zones), beyond the access replicas every service keeps
(lianxin.access.replicas).
"""

from __future__ import annotations

from lianxin.contracts.contract import Reader
from lianxin.contracts.estate import ESTATE
from lianxin.contracts.roster import ROSTER

EMITS = ESTATE

READS = Reader(
    # -- pact -- roster's areas: names for the list, a unit's leader, the community's zone
    *ROSTER.reading(
        "area.changed", needs=("node", "node.code", "node.kind", "node.name", "area_version")
    ),
)
