"""An import's rows as plain Python: the columns of each kind, as a CSV file spells them
and as a YAML document lists them, and files that are not import files."""

from __future__ import annotations

import pytest

from services.roster.admin import read
from services.roster.domain.imports import plan
from services.roster.domain.rows import (
    ImportFileError,
    rows_from_csv,
    rows_from_document,
    rows_from_file,
)
from tests.roster.domain.test_imports import COMMUNITY, NOTHING, PEOPLE, TEAMS


def test_csv_cells_spell_out_lists_contacts_shifts_and_crews(tmp_path):
    text = (
        "id,community,team,starts,slots,crews\n"
        "c1:fix,c1,fix,2026-01-01,"
        '"FREQ=DAILY;BYHOUR=8 for 12h | FREQ=DAILY;BYHOUR=20 for 12h","p-lead | p-a"\n'
    )
    rows = rows_from_csv("rotas", text, "rotas.csv")
    result = plan(
        [*rows_from_document({"areas": COMMUNITY, "people": PEOPLE, "teams": TEAMS}, "y"), *rows],
        NOTHING,
    )
    assert result.ok, result.rejected
    assert len(result.documents["rotas"][0]["plan"]["shifts"]) == 2
    bad = rows_from_csv("people", "id,community,name,contacts\np-z,c1,赵,pager:123\n", "people.csv")
    rejected = plan(bad, NOTHING).rejected
    assert rejected[0].source == "people.csv:2"
    assert any("channel" in reason for reason in rejected[0].reasons)


def test_files_that_are_not_import_files_are_refused(tmp_path):
    (tmp_path / "shifts.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ImportFileError, match="name a CSV file"):
        read([tmp_path / "shifts.csv"])
    with pytest.raises(ImportFileError, match="unknown sections"):
        rows_from_document({"persons": []}, "x.yaml")


def test_an_uploaded_file_is_read_by_its_name_as_the_cli_reads_it():
    """rows_from_file serves the CLI and POST /v1/imports/file alike: a CSV is named for its
    kind (a byte order mark from a spreadsheet is dropped), YAML has sections."""
    text = "\ufeffid,community,name\np-x,jingxiang,王五\n"
    (row,) = rows_from_file("people.csv", text)
    assert (row.kind, row.source, row.data["id"]) == ("people", "people.csv:2", "p-x")
    (row,) = rows_from_file("more.yml", "people:\n  - {id: p-y, community: jingxiang}\n")
    assert (row.kind, row.source) == ("people", "more.yml: people #1")
    for name, text, why in (
        ("policies.csv", "community\njingxiang\n", "name a CSV file"),
        ("people.txt", "id\n", "import .csv or .yaml"),
        ("bad.yaml", "people: [unclosed\n", "not valid YAML"),
        ("list.yaml", "- 1\n", "expected sections"),
    ):
        with pytest.raises(ImportFileError, match=why):
            rows_from_file(name, text)
