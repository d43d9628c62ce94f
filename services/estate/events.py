"""The events estate emits and reads, from the shared contracts (lianxin.contracts).

Emitted: everything estate publishes (lianxin.contracts.estate). Read: nothing yet beyond
the access replicas every service keeps (lianxin.access.replicas).
"""

from __future__ import annotations

from lianxin.contracts.estate import ESTATE

EMITS = ESTATE
