"""The case board's rules: how events move a row, the change log, the filters, the order,
the pages, who sees what and the CSV's lines. Plain Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.console.domain.board import (
    BoardFilter,
    BoardRow,
    ChangeLog,
    FilterChoices,
    csv_rows,
    folded,
    matching,
    newest_first,
    page_of,
    read_filter,
    seen_by,
    shown_text,
)
from services.console.domain.sessions import Scope

ZONE = ZoneInfo("Asia/Shanghai")
REPORTED = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)  # 00:30 on the 7th in Shanghai
PRIVATE = frozenset({"dispute.family"})
CHOICES = FilterChoices(
    states=("reported", "triaged", "accepted", "resolved", "closed"),
    grids=("g1", "g2"),
    categories=("facility.lighting", "dispute.family"),
    teams=("repair_crew", "mediation_desk"),
    channels=("app", "hotline"),
)


def about(version: int, state: str = "reported", **changes) -> dict:
    return {
        "case_id": "c1", "number": "JX-20260307-0001", "community_id": "jx", "grid_id": "g1",
        "category": None, "team": None, "priority": None, "channel": "app", "state": state,
        "previous_state": None, "case_version": version, "overdue": False, "place": None,
        "category_label": None, "assignee": None, **changes,
    }  # fmt: skip


REPORT = about(
    1, reported_at=REPORTED, description="路灯坏了 call 13812345678", location={}, hotline=None
)
TRIAGED = about(
    2, "triaged", category="facility.lighting", team="repair_crew", priority="normal",
    category_label={"zh": "路灯", "en": "Lighting"}, place="3栋", description="路灯坏了",
)  # fmt: skip


def chosen(rows, wanted, private, zone, may_read) -> list[BoardRow]:
    """What the board shows: the rows the filter keeps, newest first."""
    return newest_first(matching(rows, wanted, private, zone, may_read))


def row(**changes) -> BoardRow:
    base = folded(None, "case.reported", REPORT)
    return replace(base, **changes)


# -- events ---------------------------------------------------------------------------------


def test_a_report_makes_a_row_of_what_the_board_shows_with_the_phone_masked():
    made = folded(None, "case.reported", REPORT)
    assert (made.case_id, made.state, made.case_version) == ("c1", "reported", 1)
    assert made.reported_at == REPORTED
    assert "13812345678" not in made.description and "138****5678" in made.description
    assert not hasattr(made, "contact") and not hasattr(made, "reporter")


def test_a_newer_version_moves_the_row_and_an_older_one_never_moves_it_back():
    moved = folded(folded(None, "case.reported", REPORT), "case.triaged", TRIAGED)
    assert (moved.state, moved.category, moved.case_version) == ("triaged", "facility.lighting", 2)
    assert folded(moved, "case.reported", REPORT) == moved  # late and replayed: no change
    assert folded(moved, "case.triaged", TRIAGED) == moved


def test_the_report_arriving_after_a_later_event_adds_its_time_and_text_only():
    first = folded(None, "case.accepted", about(4, "accepted", reported_at=REPORTED))
    late = folded(first, "case.reported", REPORT)
    assert late.state == "accepted" and late.case_version == 4
    assert late.reported_at == REPORTED and late.description.startswith("路灯坏了")


def test_escalation_holds_until_the_case_is_dispatched_or_assigned_again():
    escalated = folded(row(), "case.escalated", about(2, "escalated"))
    assert escalated.escalated
    assert folded(escalated, "case.warning", about(3, "escalated")).escalated
    assert not folded(escalated, "case.assigned", about(3, "dispatched")).escalated
    assert folded(escalated, "case.dispatched", about(1)).escalated  # stale: ignored


def test_an_emergency_is_marked_with_its_number_to_call():
    marked = folded(row(), "case.emergency", about(1, kind="fire", call="119"))
    assert marked.emergency_call == "119"


def test_an_extension_request_is_pending_until_decided():
    asked = folded(row(), "case.extension_requested", about(2, "accepted"))
    assert asked.extension_pending
    assert not folded(asked, "case.extension_decided", about(3, "accepted")).extension_pending


# -- the change log -------------------------------------------------------------------------


def test_the_change_log_names_what_changed_since_a_readers_number():
    log = ChangeLog(3, ((1, "a"), (2, "b"), (3, "a")))
    assert log.seq == 3
    assert log.changed_since(0) == ["a", "b"] and log.changed_since(2) == ["a"]
    assert log.changed_since(3) == []


def test_a_reader_behind_the_logs_window_must_load_again():
    log = ChangeLog(10, tuple((number + 1, f"c{number}") for number in range(6, 10)))
    assert log.changed_since(7) == ["c7", "c8", "c9"]
    assert log.changed_since(6) == ["c6", "c7", "c8", "c9"]  # c6 is number 7, the oldest
    assert log.changed_since(5) is None
    assert ChangeLog().changed_since(-1) is None  # a new reader always loads first


# -- the filters ----------------------------------------------------------------------------


def test_a_query_is_read_into_a_filter_and_a_wrong_field_named_and_left_out():
    wanted, errors = read_filter(
        {"state": "triaged", "grid": "g9", "from": "2026-03-07", "to": "03/08", "q": " 路灯 "},
        CHOICES,
    )
    assert errors == {"grid": "board_error_choice", "to": "board_error_date"}
    assert wanted == BoardFilter(state="triaged", since=date(2026, 3, 7), text="路灯")
    assert wanted.query() == {"state": "triaged", "from": "2026-03-07", "q": "路灯"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-03-08", "to": "2026-03-07"}, "to"),
        ({"q": "x" * 101}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
def test_a_wrong_value_is_an_error_of_its_field(query, field):
    assert field in read_filter(query, CHOICES)[1]


def test_the_filters_keep_what_they_name_newest_first():
    rows = [
        row(case_id="a", number="N1", reported_at=REPORTED, state="triaged"),
        row(case_id="b", number="N2", reported_at=REPORTED.replace(hour=17), grid_id="g2"),
        row(case_id="c", number="N3", reported_at=REPORTED.replace(day=5), overdue=True),
    ]
    ids = lambda wanted: [r.case_id for r in chosen(rows, wanted, PRIVATE, ZONE, True)]  # noqa: E731
    assert ids(BoardFilter()) == ["b", "a", "c"]
    assert ids(BoardFilter(state="triaged")) == ["a"]
    assert ids(BoardFilter(grid="g2")) == ["b"]
    assert ids(BoardFilter(overdue="yes")) == ["c"] and ids(BoardFilter(overdue="no")) == ["b", "a"]
    assert ids(BoardFilter(text="n3")) == ["c"] and ids(BoardFilter(text="路灯")) == ["b", "a", "c"]


def test_the_days_are_the_communitys():
    late = row(reported_at=REPORTED)  # the 6th in UTC, the 7th in Shanghai
    keeps = lambda **days: bool(chosen([late], BoardFilter(**days), PRIVATE, ZONE, True))  # noqa: E731
    assert keeps(since=date(2026, 3, 7), until=date(2026, 3, 7))
    assert not keeps(until=date(2026, 3, 6))
    assert not keeps(since=date(2026, 3, 8))


def test_a_private_cases_text_is_neither_shown_nor_searched_for_a_grid_worker():
    private = row(category="dispute.family", description="家里吵架")
    assert shown_text(private, PRIVATE, may_read=False) is None
    assert shown_text(private, PRIVATE, may_read=True) == "家里吵架"
    assert not chosen([private], BoardFilter(text="吵架"), PRIVATE, ZONE, False)
    assert chosen([private], BoardFilter(text="吵架"), PRIVATE, ZONE, True)
    assert chosen([private], BoardFilter(private="yes"), PRIVATE, ZONE, False)


def test_a_grid_worker_sees_only_their_grids_of_their_community():
    rows = [row(case_id="a"), row(case_id="b", grid_id="g2"), row(case_id="c", community_id="x")]
    assert [r.case_id for r in seen_by(Scope("jx", frozenset({"g1"})), rows)] == ["a"]
    assert [r.case_id for r in seen_by(Scope("jx", None), rows)] == ["a", "b"]


def test_pages_hold_fifty_and_a_number_past_the_last_shows_the_last():
    rows = [row(case_id=str(n)) for n in range(120)]
    assert (len(page_of(rows, 1).rows), page_of(rows, 1).pages) == (50, 3)
    last = page_of(rows, 9)
    assert last.number == 3 and len(last.rows) == 20 and last.total == 120
    assert page_of([], 1).pages == 1


def test_the_csv_lines_are_in_the_communitys_zone_and_hide_private_text():
    lines = csv_rows([row(category="dispute.family")], PRIVATE, False, ZONE)
    assert lines[0]["reported_at"] == "2026-03-07T00:30:00+08:00"
    assert lines[0]["description"] == "" and lines[0]["number"] == "JX-20260307-0001"
