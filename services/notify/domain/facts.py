"""What a message says: the facts of an event in the community's words and local time.

Events carry codes (`facility.lighting`, `jingxiang-g1`, `repair_crew`) and UTC
instants; a volunteer reads 楼道灯坏, 第一网格, 维修队 and 11月21日 16:30（北京时间
UTC+08:00）. The context built here feeds the templates (messages.py) and the
structured `facts` of JSON bodies. Plain Python: no I/O (compose.py loads the labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lianxin.privacy import mask_phone
from services.notify.domain.messages import (
    LEVEL_LABELS,
    PRIORITY_LABELS,
    category_label,
    labels,
    local_time,
    place_text,
)

TIME_FIELDS = (
    "accept_by",
    "resolve_by",
    "offer_expires_at",
    "due_at",
    "until",
    "starts_at",
    "ends_at",
)


@dataclass(frozen=True)
class Labels:
    """Tables of codes and their words, `(zh, en)` (data/labels.yaml, compose.load_labels)."""

    tables: Mapping[str, Mapping[str, tuple[str, str]]]

    def of(self, table: str, code: str | None) -> dict[str, str]:
        return labels(self.tables.get(table, {}), code or "")

    def reason(self, text: str | None) -> dict[str, str]:
        """Roster's English reason in Chinese too, when it is one we know."""
        text = mask_phone(text or "")
        for start, (zh, en) in self.tables.get("reasons", {}).items():
            if text.lower().startswith(start):
                return {"zh": zh, "en": en}
        return {"zh": text, "en": text}


def case_context(
    payload: Mapping[str, Any],
    names: Mapping[str, str],
    zone: ZoneInfo,
    words: Labels,
    links: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The template context for any case event; fields an event lacks are None."""
    times = {name: local_time(_instant(payload.get(name)), zone) for name in TIME_FIELDS}
    place = place_text(payload, names)
    category = category_label(payload)
    number = payload.get("number") or payload.get("case_id", "")
    deadline = payload.get("accept_by") or payload.get("resolve_by") or payload.get("due_at")
    target = payload.get("target") or {}
    return {
        **times,
        "number": number,
        "case_id": payload.get("case_id"),
        "category": category,
        "priority": labels(PRIORITY_LABELS, payload.get("priority", "normal")),
        "team": words.of("teams", payload.get("team")),
        "place": place,
        "description": mask_phone(payload.get("description") or ""),
        "display_name": payload.get("display_name") or "",
        "level": labels(LEVEL_LABELS, payload.get("level", "")),
        "reason": words.reason(payload.get("reason")),
        "reason_text": mask_phone(payload.get("reason") or ""),
        "target_name": target.get("display_name") or target.get("department") or "",
        "which": words.of("which", payload.get("which")),
        "kind": words.of("emergencies", payload.get("kind")),
        "call": payload.get("call") or "",
        "into_number": payload.get("into_number") or "",
        "venue": mask_phone(payload.get("venue") or ""),
        "approved": bool(payload.get("approved")),
        "links": dict(links or {}),
        "facts": {
            "number": number,
            "case_id": payload.get("case_id"),
            "community_id": payload.get("community_id"),
            "grid_id": payload.get("grid_id"),
            "grid": place["grid"],
            "category": payload.get("category"),
            "category_label": category,
            "private": bool(payload.get("private")),
            "priority": payload.get("priority"),
            "team": payload.get("team"),
            "place": place["zh"],
            "description": mask_phone(payload.get("description") or ""),
            "deadline": _iso(deadline),
            "deadline_local": (local_time(_instant(deadline), zone) or {}).get("zh"),
            "timezone": zone.key,
        },
    }


def hotline_context(payload: Mapping[str, Any], zone: ZoneInfo, words: Labels) -> dict[str, Any]:
    return {
        "order_no": payload.get("order_no", ""),
        "kind": words.of("hotline_kinds", payload.get("kind")),
        "result": mask_phone(payload.get("result") or ""),
        "rating": payload.get("rating"),
        "reason_text": mask_phone(payload.get("reason") or ""),
        "until": local_time(_instant(payload.get("until")), zone),
        "links": {},
        "facts": {"order_no": payload.get("order_no"), "hotline_id": payload.get("hotline_id")},
    }


def alert_context(alert: Mapping[str, Any], zone: ZoneInfo, words: Labels) -> dict[str, Any]:
    """An Alertmanager alert: its name, severity, summary and since when."""
    alert_labels, annotations = alert.get("labels") or {}, alert.get("annotations") or {}
    name = alert_labels.get("alertname", "alert")
    return {
        "alertname": name,
        "resolved": alert.get("status") == "resolved",
        "severity": words.of("severities", alert_labels.get("severity", "warning")),
        "summary": mask_phone(annotations.get("summary") or name),
        "description": mask_phone(annotations.get("description") or ""),
        "starts_at": local_time(_instant(alert.get("startsAt")), zone),
        "links": {},
        "facts": {
            "alertname": name,
            "status": alert.get("status"),
            "labels": {key: str(value) for key, value in alert_labels.items()},
            "fingerprint": alert.get("fingerprint"),
        },
    }


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    return None


def _iso(value: Any) -> str | None:
    instant = _instant(value)
    return instant.isoformat() if instant else None
