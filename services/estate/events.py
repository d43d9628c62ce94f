"""The events estate emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything estate publishes (lianxin.contracts.estate). Read: roster's
`hours.credited`, a household member's ledger line for the estate fund; roster's areas (the
pact's names, unit leaders and zones); cases' `case.triaged` (complaints about the property
company) — besides the access replicas every service keeps (lianxin.access.replicas).
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.estate import ESTATE
from lianxin.contracts.roster import ROSTER

EMITS = ESTATE

READS = Reader(
    *ROSTER.reading("hours.credited", needs=("entry_id", "community_id", "hours", "state")),
    # -- property evaluation --
    # case.triaged: a complaint about the property company (`property_complaint`) counted
    # against the estate its place lies in (`location.estate_code`), once per case
    *CASES.reading("case.triaged", needs=("case_id", "community_id", "category", "location")),
    # -- pact -- roster's areas: names for the list, a unit's leader, the community's zone
    *ROSTER.reading(
        "area.changed", needs=("node", "node.code", "node.kind", "node.name", "area_version")
    ),
)
