"""The CSV twins of the reports: one tidy table per report, safe in a spreadsheet.
Plain Python, no I/O."""

from __future__ import annotations

import csv
import io

import pytest

from services.metrics.domain import reports
from services.metrics.domain.evaluation import DESK_FIGURES, desk_quarter, evaluate
from services.metrics.http import exports
from tests.metrics.domain.test_evaluation import POLICY, unit
from tests.metrics.sequences import Folded, lifecycle, opened


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_summary_csv_has_the_community_first_then_each_breakdown():
    folded = Folded().fold([*lifecycle("LX-1"), *opened("LX-2")])
    summary = {
        "community_id": "jingxiang",
        "grid_id": None,
        **reports.summarise(list(folded.days().values()), folded.live()),
    }
    rows = parse(exports.summary_csv(summary))
    assert (rows[0]["scope"], rows[0]["value"], rows[0]["collected"]) == (
        "community",
        "jingxiang",
        "2",
    )
    assert rows[0]["backlog"] == "1"
    scopes = {(row["scope"], row["value"]) for row in rows[1:]}
    assert ("channel", "wechat") in scopes and ("grid", "jingxiang-g1") in scopes


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"])
def test_text_a_spreadsheet_would_run_is_quoted(dangerous):
    rows = parse(exports.volunteers_csv({"volunteers": [{"person_id": dangerous, "hours": 1.5}]}))
    assert rows[0]["person_id"] == "'" + dangerous
    assert rows[0]["hours"] == "1.5"


def evaluation_csv(report: dict) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The units' table, and the desk's quarter below it after an empty line."""
    units, desk = exports.evaluation_csv(report).split("\r\n\r\n")
    return parse(units), parse(desk)


def test_the_evaluation_csv_marks_the_lists_and_carries_the_formula():
    desk = desk_quarter({"disputes_taken": 4, "follow_ups_done": 3, "follow_ups_on_time": 2})
    scored = evaluate(POLICY, {"g1": unit(10, 10, 10, 9), "g4": unit(10, 5, 10, 5)}, {})
    rows, desk_rows = evaluation_csv({**scored, "desk": desk})
    assert [(row["unit"], row["list"], row["score"]) for row in rows] == [
        ("g1", "red", "95.0"),
        ("g4", "black", "50.0"),
    ]
    assert rows[0]["formula"].startswith("score = 50 × resolution rate")
    assert [row["desk"] for row in desk_rows] == list(DESK_FIGURES)
    counted = {row["desk"]: row["count"] for row in desk_rows}
    assert (counted["disputes_taken"], counted["follow_ups_late"]) == ("4", "1")
