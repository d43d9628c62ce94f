"""The events estate publishes on `estate.events` (docs/events.md, "estate emits"): what
the estate's self-governance decided that others count. No personal data: households by
id, money in fen, time in minutes.
"""

from __future__ import annotations

from lianxin.contracts.contract import Contract

ESTATE = Contract("estate", {})
