"""Complaints about the property company, counted from cases (物业投诉).

Estate reads `case.triaged` (lianxin.contracts.cases): a case whose category the taxonomy
marks `property_complaint` (dispute.property_management, and any other so marked) and
whose place lies in an estate (`location.estate_code`) counts once against that estate's
company, in the quarter of its triage in the community's zone. The count is an insert
keyed by the community and the case: the same event redelivered, a replay, or the case
triaged again (re-sorted by staff) counts nothing more. A case triaged into a quarter
that staff closed already is stored, but stays out of the frozen result.
"""

from __future__ import annotations

from lianxin.bus.envelope import Envelope
from services.estate.app.property_evaluation import PropertyRules
from services.estate.domain.property_records import Complaint, complaint_id
from services.estate.store import PropertyStore


def on_case_triaged(store: PropertyStore, rules: PropertyRules, event: Envelope) -> bool:
    """Count the case if it is a complaint about an estate's company. Returns whether it
    was counted now (False: not one, or counted already)."""
    payload = event.payload
    estate = (payload.get("location") or {}).get("estate_code")
    if not payload.get("property_complaint") or not estate:
        return False
    community = payload["community_id"]
    complaint = Complaint(
        community,
        estate,
        rules.now_quarter(event.occurred_at),
        payload["case_id"],
        payload["category"],
        event.occurred_at,
    )
    return store.complaints.create(complaint_id(community, payload["case_id"]), complaint)
