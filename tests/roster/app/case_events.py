"""Case events as roster receives them, and the few steps several use-case tests share."""

from __future__ import annotations

from datetime import timedelta

from lianxin.bus.envelope import Envelope
from services.roster.app import hours, registry
from services.roster.domain.rows import rows_from_document
from tests.roster.conftest import FRIDAY_NOON_UTC


def case_event(type_: str, case_id: str, version: int, **payload) -> Envelope:
    about = {
        "case_id": case_id,
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "category": "facility.lighting",
        "team": "repair_crew",
        "priority": "normal",
        "case_version": version,
    }
    return Envelope(type_, {**about, **payload}, "test", case_id)


def staff(person_id: str, communities: list[str] | None = None) -> hours.Staff:
    return hours.Staff(person_id, person_id, communities)


def by_type(events: list[dict], type_: str) -> list[dict]:
    return [event for event in events if event["type"] == type_]


def stricter_approval(store) -> None:
    """Credits over an hour wait for staff in jingxiang."""
    stricter = rows_from_document(
        {"policies": [{"community": "jingxiang", "hours": {"approval_above": "1h"}}]}, "p.yaml"
    )
    assert registry.import_rows(
        store, stricter, dry_run=False, now=FRIDAY_NOON_UTC, communities=None
    ).applied


def resolved_lighting(case_id: str, version: int, person_id: str = "p-repair-2") -> Envelope:
    """facility.lighting credits a fixed 90 minutes, by day."""
    return case_event(
        "case.resolved", case_id, version, person_id=person_id,
        accepted_at=FRIDAY_NOON_UTC, resolved_at=FRIDAY_NOON_UTC + timedelta(minutes=20),
    )  # fmt: skip
