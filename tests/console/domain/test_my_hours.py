"""A person's own hours (domain/my_hours.py): roster's ledger lines folded into one line
per credit in its last state, and minutes as hours and minutes."""

from __future__ import annotations

import pytest

from services.console.domain.my_hours import duration, hours_lines


def entry(entry_id: str, kind: str = "credit", state: str = "approved", minutes: int = 60,
          at: str = "2026-03-04T02:00:00+00:00", **more) -> dict:  # fmt: skip
    return {"entry_id": entry_id, "kind": kind, "state": state, "minutes": minutes, "at": at,
            "case_id": more.pop("case_id", f"LX-{entry_id}"), "note": "", **more}  # fmt: skip


def states(entries) -> dict[str, tuple[str, int]]:
    return {line.entry_id: (line.state, line.minutes) for line in hours_lines(entries)}


def test_an_approved_credit_is_credited_and_a_waiting_one_waits():
    found = states([entry("H-1"), entry("H-2", state="pending_approval", minutes=300)])
    assert found == {"H-1": ("credited", 60), "H-2": ("waiting", 300)}


def test_staff_approval_credits_what_was_granted_and_a_rejection_says_why():
    approved = entry("H-1:decision", minutes=240, refers_to="H-1", at="2026-03-05T02:00:00+00:00")
    rejected = entry("H-2:decision", kind="correction", minutes=0, refers_to="H-2",
                     note="不属于志愿服务")  # fmt: skip
    lines = hours_lines([
        entry("H-1", state="pending_approval", minutes=300), approved,
        entry("H-2", state="pending_approval", minutes=300), rejected,
    ])  # fmt: skip
    found = {line.entry_id: line for line in lines}
    assert set(found) == {"H-1", "H-2"}  # the decisions fold into their credits
    assert (found["H-1"].state, found["H-1"].minutes) == ("credited", 240)
    assert (found["H-2"].state, found["H-2"].note) == ("rejected", "不属于志愿服务")


def test_a_reopened_case_reverses_its_credit_and_voids_a_waiting_one():
    reversal = entry("HR-1", kind="reversal", minutes=-60, refers_to="H-1", note="case reopened")
    void = entry("H-2:decision", kind="correction", minutes=0, refers_to="H-2",
                 note="void: case reopened: 未修好")  # fmt: skip
    found = states([entry("H-1"), reversal, entry("H-2", state="pending_approval"), void])
    assert found == {"H-1": ("reversed", 60), "H-2": ("reversed", 60)}


def test_a_correction_is_a_line_of_its_own_and_lines_are_newest_first():
    correction = entry("HX-1", kind="correction", minutes=-30, case_id=None,
                       at="2026-03-06T02:00:00+00:00", note="重复登记")  # fmt: skip
    lines = hours_lines([entry("H-1"), correction])
    assert [(line.entry_id, line.state) for line in lines] == [
        ("HX-1", "correction"), ("H-1", "credited")
    ]
    assert lines[0].amount == duration(-30)


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(0, (False, 0, 0)), (45, (False, 0, 45)), (150, (False, 2, 30)), (-75, (True, 1, 15))],
)
def test_minutes_as_hours_and_minutes(minutes, shown):
    found = duration(minutes)
    assert (found.negative, found.hours, found.minutes) == shown
