"""What the 12345 hotline must hear of its work orders: `hotline.reply` for the order
that opened a case and, when it closes, for the orders merged into it (notify calls
the hotline back with them, signed). Plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from services.cases.domain.case import Case, Outcome


def order_ref(case: Case) -> dict[str, str]:
    hotline = case.hotline or {}
    return {
        "hotline_id": hotline["hotline_id"],
        "order_no": hotline["order_no"],
        "case_id": case.id,
        "number": case.number,
    }


def replies(outcome: Outcome, kind: str, **fields: Any) -> Outcome:
    """hotline.reply for the case's own order and, when it closes, the orders merged
    into it: what notify calls the hotline back with."""
    case = outcome.case
    orders = [order_ref(case)] if case.hotline else []
    if kind == "closed":
        orders += list(case.followers)
    replies = tuple(
        ("hotline.reply", reply_payload(case, order, kind, **fields)) for order in orders
    )
    return replace(outcome, facts=(*outcome.facts, *replies))


def reply_payload(case: Case, order: Mapping[str, str], kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "hotline_id": order["hotline_id"],
        "order_no": order["order_no"],
        "kind": kind,
        "result": fields.get("result"),
        "rating": fields.get("rating"),
        "reason": fields.get("reason"),
        "until": fields.get("until"),
        "case_id": order.get("case_id", case.id),
        "number": order.get("number", case.number),
        "community_id": case.community_id,
    }
