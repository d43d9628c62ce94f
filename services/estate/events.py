"""The events estate emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything estate publishes (lianxin.contracts.estate). Read: nothing yet beyond
the access replicas every service keeps (lianxin.access.replicas).
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.estate import ESTATE

EMITS = ESTATE

# -- property evaluation --
# case.triaged: a complaint about the property company (`property_complaint`) counted
# against the estate its place lies in (`location.estate_code`), once per case
READS = Reader(
    *CASES.reading("case.triaged", needs=("case_id", "community_id", "category", "location"))
)
