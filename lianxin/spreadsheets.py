"""CSV for spreadsheets, the one way every service writes it.

Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a
carriage return first) is quoted with a leading apostrophe: ids, names, notes and
key names come from people and other systems, and a cell such as
`=HYPERLINK("http://…")` would otherwise run when the export is opened. Numbers
are written as numbers (a negative amount stays `-30`): only text is quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """What a spreadsheet may be given for `value`: "" for None, quoted formula text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header of `columns`, then one line per row (missing keys are empty cells)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
    return out.getvalue()
