"""Checking and applying an import on the in-memory store: roster, as the console sees it,
records what it was sent; only the checked file is applied, once, by staff, within its
time; a session's end takes the file (names and phone numbers) with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.console.apis import ApiError
from services.console.app import imports
from services.console.app.desk import Desk
from services.console.domain.imports import KEEP_CHECKED, NothingToApply, StaffOnly, UploadRefused
from services.console.domain.sessions import Scope, Session

NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
GOOD = "id,community,name\np-x,jingxiang,王五\n".encode()
BAD = "id,community,name,phone\np-y,jingxiang,赵六,x\n".encode()


class Roster:
    """roster's POST /v1/imports/file: a row with a phone of `x` is rejected."""

    def __init__(self):
        self.sent: list[tuple[str, str, bool]] = []

    def import_file(self, token: str, name: str, text: str, dry_run: bool) -> dict:
        if not name.endswith((".csv", ".yaml")) or name.startswith("shifts"):
            raise ApiError(400, "invalid_file", f"{name}: name a CSV file areas, people, …")
        self.sent.append((name, text, dry_run))
        reasons = ["phone: Digits only."]
        rejected = [
            {"source": f"{name}:2", "kind": "people", "key": "p-y", "reasons": reasons}
        ] if ",x\n" in text else []  # fmt: skip
        return {"accepted": {"people": 1 - len(rejected)}, "rejected": rejected,
                "changed": {} if dry_run else {"people": 1}, "moved": []}  # fmt: skip


def desk(roster: Roster, role: str = "staff", session_id: str = "s1") -> Desk:
    scope = Scope("jingxiang", None if role == "staff" else frozenset({"jingxiang-g1"}))
    session = Session(session_id, "p-staff-1", "王**", role, scope, "csrf", NOW, NOW)
    return Desk(roster, "token", session)  # type: ignore[arg-type]


def test_a_clean_check_is_applied_once_exactly_as_checked(memory_store):
    roster = Roster()
    checked = imports.check(desk(roster), memory_store, "C:\\files\\people.csv", GOOD, NOW)
    assert roster.sent == [("people.csv", GOOD.decode(), True)]
    done = imports.apply(desk(roster), memory_store, checked.digest, NOW + timedelta(minutes=5))
    assert roster.sent[-1] == ("people.csv", GOOD.decode(), False)
    assert done.applied["changed"] == {"people": 1}
    kept = memory_store.upload("s1")
    assert kept.applied is not None and kept.text == ""  # the names and numbers are gone
    with pytest.raises(NothingToApply):
        imports.apply(desk(roster), memory_store, checked.digest, NOW)
    assert [dry_run for *_, dry_run in roster.sent] == [True, False]  # applied once


def test_nothing_is_applied_that_was_rejected_stale_another_file_or_another_sessions(
    memory_store,
):
    roster = Roster()
    bad = imports.check(desk(roster), memory_store, "people.csv", BAD, NOW)
    shown = imports.last_check(desk(roster), memory_store, NOW)
    assert [(r.line, r.field) for r in shown["rejected"]] == [("2", "phone")]
    good = imports.check(desk(roster), memory_store, "people.csv", GOOD, NOW)
    for session, digest, at in (
        ("s1", bad.digest, NOW),  # the rejected file, no longer the session's check
        ("s1", good.digest, NOW + KEEP_CHECKED),  # too old
        ("s2", good.digest, NOW),  # another session's
    ):
        with pytest.raises(NothingToApply):
            imports.apply(desk(roster, session_id=session), memory_store, digest, at)
    assert all(dry_run for *_, dry_run in roster.sent)
    assert imports.last_check(desk(roster), memory_store, NOW + KEEP_CHECKED)["upload"] is None


def test_grid_roles_import_nothing_and_a_file_roster_cannot_read_says_why(memory_store):
    roster = Roster()
    for role in ("grid_leader", "grid_worker"):
        with pytest.raises(StaffOnly):
            imports.check(desk(roster, role), memory_store, "people.csv", GOOD, NOW)
    with pytest.raises(UploadRefused) as refused:
        imports.check(desk(roster), memory_store, "shifts.csv", GOOD, NOW)
    assert refused.value.reason == "import_unreadable" and "name a CSV" in refused.value.detail
    assert roster.sent == [] and memory_store.upload("s1") is None


def test_a_sessions_end_takes_its_checked_file(memory_store):
    imports.check(desk(Roster()), memory_store, "people.csv", GOOD, NOW)
    memory_store.end_session("s1")
    assert memory_store.upload("s1") is None
