"""The events notify emits and reads, from the shared contracts (lianxin.contracts).

Emitted: each delivery's outcome (lianxin.contracts.notify), for metrics. Read: the case
events it tells someone of, the hotline replies it delivers, and roster's people, places
and shift reminders; each needs only what notify cannot work without, the rest of a case
event is what its messages show when the event carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lianxin.contracts.cases import CASES
from lianxin.contracts.contract import Reader
from lianxin.contracts.notify import NOTIFY
from lianxin.contracts.roster import ROSTER

EMITS = NOTIFY

# The case events notify is bound to and reads (docs/events.md names notify for each):
# the others (triaged, declined, suspended, resumed, rated, reopened, withdrawn) never
# reach it. One list, so no event is bound and then dropped unread.
CASE_EVENTS = (
    "case.reported",
    "case.triage_needed",
    "case.emergency",
    "case.dispatched",
    "case.assigned",
    "case.accepted",
    "case.escalated",
    "case.warning",
    "case.overdue",
    "case.extension_requested",
    "case.extension_decided",
    "case.resolved",
    "case.closed",
    "case.rejected",
    "case.merged",
    "case.appointment_set",
)
ROSTER_EVENTS = ("person.changed", "area.changed", "shift.starting", "care.round_missed")

READS = Reader(
    *CASES.reading(*CASE_EVENTS, needs=("case_id", "community_id")),
    *CASES.reading("hotline.reply", needs=("hotline_id", "order_no", "kind")),
    *ROSTER.reading(
        "person.changed",
        needs=(
            "person_id",
            "community_id",
            "person_version",
            "contacts.channel",
            "contacts.address",
        ),
    ),
    *ROSTER.reading("area.changed", needs=("node", "node.code", "area_version")),
    *ROSTER.reading("shift.starting", needs=("person_id", "community_id", "starts_at")),
    *ROSTER.reading(
        "care.round_missed", needs=("round_id", "community_id", "grid_id", "stage", "due_at")
    ),
)

# A case not triaged yet has no category, team or priority (null in its events): its
# messages read them as not known, and its priority as normal.
NOT_TRIAGED = {"category": "", "team": "", "priority": "normal"}


def as_told(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A case event's payload with what triage has not decided yet read as unknown."""
    return {
        **payload,
        **{name: unknown for name, unknown in NOT_TRIAGED.items() if payload.get(name) is None},
    }
