"""The events metrics reads, from the shared contracts (lianxin.contracts); it emits none.

Every count needs only the case (or delivery, entry) and its community; the rest of an
event is checked against the contract when it is there and counted where it is, so an
event that lacks a field leaves a number (a time, a cohort) uncounted rather than its
event parked. An event type metrics does not count is left alone (`read_if_known`).
"""

from __future__ import annotations

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.estate import ESTATE
from lianxin.contracts.notify import NOTIFY
from lianxin.contracts.roster import ROSTER
from services.metrics.domain.measures import (
    CARE_EVENTS,
    CASE_MEASURES,
    NOTIFICATION_MEASURES,
)

# roster's events metrics counts: hours, duty, expiries, the areas' households and zones,
# volunteer activities (held, attended, the minutes their attendance credits) and care
# rounds done and missed
ROSTER_EVENTS = (
    "hours.credited",
    "duty.changed",
    "offer.expired",
    "area.changed",
    "activity.published",
    "activity.attended",
    *CARE_EVENTS,
)

READS = Reader(
    *CASES.reading(*CASE_MEASURES, needs=("case_id", "community_id")),
    *NOTIFY.reading(*NOTIFICATION_MEASURES, needs=("delivery_id", "community_id", "channel")),
    *ROSTER.reading("hours.credited", needs=("entry_id", "person_id", "community_id", "hours")),
    *ROSTER.reading("duty.changed", needs=("community_id", "grid_id", "team", "on_duty", "at")),
    # no community yet (docs/events.md): counted once roster sends one
    *ROSTER.reading("offer.expired", needs=("case_id", "offer_id")),
    *ROSTER.reading("area.changed", needs=("node", "node.code", "node.kind", "area_version")),
    *ROSTER.reading("activity.published", needs=("activity_id", "community_id", "starts_at")),
    *ROSTER.reading(
        "activity.attended", needs=("activity_id", "community_id", "person_id", "minutes")
    ),
    *ROSTER.reading("care.round_ticked", needs=("round_id", "community_id", "grid_id", "outcome")),
    *ROSTER.reading("care.round_missed", needs=("round_id", "community_id", "grid_id", "stage")),
    *ESTATE.reading(
        "fund.payment_recorded", needs=("payment_id", "community_id", "kind", "amount_fen")
    ),
    # estate's property evaluation: each estate's closed quarter, for the gauges
    *ESTATE.reading(
        "property.quarter_closed",
        needs=("community_id", "estate_id", "quarter", "complaints", "households", "level"),
    ),
    # -- pact -- estate's residents' pact: observations, decisions and published lists
    *ESTATE.reading("pact.observation_recorded", needs=("observation_id", "community_id", "kind")),
    *ESTATE.reading(
        "pact.observation_decided", needs=("observation_id", "community_id", "outcome")
    ),
    *ESTATE.reading(
        "pact.list_published", needs=("community_id", "black_households", "red_households")
    ),
)

