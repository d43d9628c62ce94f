"""lianxin.spreadsheets: the CSV every export writes, plain Python."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from lianxin.spreadsheets import cell, to_csv


@pytest.mark.parametrize(
    "text", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_text_a_spreadsheet_would_run_is_quoted(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize("value", [-30, -0.5, Decimal("-1.50"), 0, "p-1", "王**", "a=b"])
def test_numbers_and_harmless_text_pass_as_they_are(value):
    assert cell(value) == value


def test_a_table_has_its_header_then_one_line_per_row_missing_cells_empty():
    text = to_csv(["id", "note", "minutes"], [{"id": "H-1", "note": "=cmd", "minutes": -30}, {}])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "note", "minutes"],
        ["H-1", "'=cmd", "-30"],
        ["", "", ""],
    ]
