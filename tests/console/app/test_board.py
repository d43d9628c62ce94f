"""The case board's read model on every store backend: rows kept from case events (never
moved back by a late one), and two console processes' mirrors, each current through the
change log, reading only by `_id` once loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.console.app.board import (
    BoardMirror,
    CaseEvent,
    CommunityRows,
    fold_events,
)
from services.console.domain.board import folded

REPORTED = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


def event(case_id: str, version: int, state: str, community: str = "jx", **extra) -> dict:
    return {
        "case_id": case_id, "number": f"JX-{case_id}", "community_id": community,
        "grid_id": "g1", "category": None, "team": None, "priority": None, "channel": "app",
        "state": state, "previous_state": None, "case_version": version, "overdue": False,
        "place": None, "category_label": None, "assignee": None, **extra,
    }  # fmt: skip


def reported(case_id: str, community: str = "jx") -> dict:
    return event(case_id, 1, "reported", community, reported_at=REPORTED, description="灯坏了")


def on_case_event(store, event_type: str, payload: dict) -> None:
    """One event as a batch of one folds it (lianxin.bus.batches hands over several)."""
    fold_events(store, [CaseEvent(event_type, payload)])


def states(mirror: BoardMirror, community: str = "jx") -> dict[str, str]:
    return {row.case_id: row.state for row in mirror.rows(community)}


def test_a_row_follows_the_newest_version_whatever_order_events_arrive_in(store):
    on_case_event(store, "case.accepted", event("c1", 3, "accepted", reported_at=REPORTED))
    on_case_event(store, "case.reported", reported("c1"))  # late
    on_case_event(store, "case.accepted", event("c1", 3, "accepted"))  # replayed
    row = store.row("c1")
    assert (row.state, row.case_version, row.description) == ("accepted", 3, "灯坏了")
    assert row.reported_at == REPORTED


def test_every_mirror_sees_what_any_process_stored(store):
    first, second = BoardMirror(store), BoardMirror(store)
    on_case_event(store, "case.reported", reported("c1"))
    assert states(first) == states(second) == {"c1": "reported"}
    on_case_event(store, "case.triaged", event("c1", 2, "triaged"))
    on_case_event(store, "case.reported", reported("c2"))
    on_case_event(store, "case.reported", reported("x1", community="other"))
    assert states(first) == {"c1": "triaged", "c2": "reported"}
    assert states(second) == {"c1": "triaged", "c2": "reported"}
    assert states(first, "other") == {"x1": "reported"}


def test_a_mirror_further_behind_than_the_log_loads_the_community_again(store, monkeypatch):
    mirror = BoardMirror(store)
    on_case_event(store, "case.reported", reported("c1"))
    assert states(mirror) == {"c1": "reported"}
    monkeypatch.setattr("services.console.store.LOG_WINDOW", 2)  # a window of two
    for number in range(2, 6):
        on_case_event(store, "case.reported", reported(f"c{number}"))
    loads = []
    scan = store.community_rows
    monkeypatch.setattr(store, "community_rows", lambda c: loads.append(c) or scan(c))
    assert set(states(mirror)) == {"c1", "c2", "c3", "c4", "c5"} and loads == ["jx"]
    on_case_event(store, "case.triaged", event("c2", 2, "triaged"))
    assert states(mirror)["c2"] == "triaged" and loads == ["jx"]  # by _id, no scan


def test_a_changed_row_keeps_the_boards_order_newest_first():
    def row(case_id: str, minutes: int, state: str = "reported", version: int = 1):
        at = REPORTED + timedelta(minutes=minutes)
        payload = event(case_id, version, state, reported_at=at, description="灯")
        return folded(None, "case.reported", payload)

    held = CommunityRows(0)
    held.load([row("a", 1), row("b", 3), row("c", 2)])
    assert [r.case_id for r in held.ordered] == ["b", "c", "a"]
    held.apply([row("c", 2, "triaged", 2)])  # in place
    held.apply([row("d", 9)])  # the newest: first
    held.apply([row("e", 0)])  # older than all: sorted in
    assert [(r.case_id, r.state) for r in held.ordered] == [
        ("d", "reported"), ("b", "reported"), ("c", "triaged"), ("a", "reported"),
        ("e", "reported"),
    ]  # fmt: skip
    held.apply([row("a", 1, "closed", 3)])
    assert held.ordered[3].state == "closed" and held.grids == ["g1"]


def test_the_change_log_keeps_its_window_and_numbers_its_last_id_seq(store, monkeypatch):
    monkeypatch.setattr("services.console.store.LOG_WINDOW", 3)
    for number in range(5):
        store.log_changes("jx", [f"c{number}"])
    log = store.change_log("jx")
    assert log.seq == 5 and log.changes == ((3, "c2"), (4, "c3"), (5, "c4"))
    assert log.changed_since(3) == ["c3", "c4"] and log.changed_since(1) is None


def test_a_batch_writes_each_case_once_from_all_its_events_and_logs_each_once(store, monkeypatch):
    """A batch of one community: the events of a case arrive in any order and are folded in
    version order into one write of its row; the log numbers every case of the batch."""
    mirror = BoardMirror(store)
    assert states(mirror) == {}
    saves = []
    change = store.row_change

    def counted(case_id):
        saves.append(case_id)
        return change(case_id)

    monkeypatch.setattr(store, "row_change", counted)
    fold_events(store, [
        CaseEvent("case.triaged", event("c1", 2, "triaged")),
        CaseEvent("case.reported", reported("c2")),
        CaseEvent("case.dispatched", event("c1", 3, "dispatched")),
        CaseEvent("case.reported", reported("c1")),
    ])  # fmt: skip
    assert saves == ["c1", "c2"]
    row = store.row("c1")
    assert (row.state, row.case_version, row.description) == ("dispatched", 3, "灯坏了")
    log = store.change_log("jx")
    assert log.seq == 2 and sorted(case for _, case in log.changes) == ["c1", "c2"]
    assert states(mirror) == {"c1": "dispatched", "c2": "reported"}
