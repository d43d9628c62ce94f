"""What the console passes on to roster's import, the upload kept between check and
apply, and roster's rejected rows as the page's table (services.console.domain.imports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.console.domain.imports import (
    KEEP_CHECKED,
    MAX_FILE_BYTES,
    StaffOnly,
    Upload,
    UploadRefused,
    base_name,
    digest_of,
    file_text,
    rejected_rows,
    require_importer,
)

NOON = datetime(2026, 3, 6, 4, 0, tzinfo=UTC)


def checked(rejected=(), at=NOON) -> Upload:
    text = "id,community,name\np-x,jingxiang,王五\n"
    answer = {"accepted": {"people": 1}, "rejected": list(rejected)}
    return Upload("s", "p-staff-1", "jingxiang", "people.csv", text,
                  digest_of("people.csv", text), at, answer)  # fmt: skip


def test_only_staff_import():
    require_importer("staff")
    for role in ("grid_leader", "grid_worker", "volunteer"):
        with pytest.raises(StaffOnly):
            require_importer(role)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("", b"x", "import_no_file"),
        ("people.xlsx", b"PK\x03\x04", "import_wrong_type"),
        ("people.csv", "名".encode("gbk") * 10, "import_not_utf8"),
        ("people.csv", b"a" * (MAX_FILE_BYTES + 1), "import_too_large"),
        # Chinese text is sent JSON-escaped (\uXXXX): 12 KiB of it is 24 KiB of characters
        ("people.csv", "名".encode() * (MAX_FILE_BYTES // 5), "import_too_large"),
    ],
)
def test_a_file_the_console_does_not_pass_on_says_why(name, content, reason):
    with pytest.raises(UploadRefused) as refused:
        file_text(name, content)
    assert refused.value.reason == reason


def test_a_spreadsheets_byte_order_mark_is_dropped_and_a_folder_name_too():
    assert file_text("people.csv", "\ufeffid\n".encode()) == "id\n"
    assert base_name("C:\\Users\\staff\\people.csv") == "people.csv"
    assert base_name("../../etc/people.csv") == "people.csv"


def test_only_the_checked_file_clean_fresh_and_unapplied_is_applied():
    upload = checked()
    assert upload.may_apply(upload.digest, NOON + KEEP_CHECKED - timedelta(seconds=1))
    assert not upload.may_apply("0" * 64, NOON)  # another tab's check, or a forged form
    assert not upload.may_apply(upload.digest, NOON + KEEP_CHECKED)
    assert upload.stale(NOON + KEEP_CHECKED)
    done = upload.done({"changed": {"people": 1}})
    assert not done.may_apply(upload.digest, NOON) and done.text == ""
    assert not done.stale(NOON + KEEP_CHECKED)  # an applied check holds no text to drop
    bad = checked([{"source": "people.csv:2", "kind": "people", "key": "p-x", "reasons": ["x"]}])
    assert not bad.clean and not bad.may_apply(bad.digest, NOON)


def test_rejected_rows_name_file_line_column_and_why():
    rows = rejected_rows(
        [
            {"source": "people.csv:3", "kind": "people", "key": "p-x",
             "reasons": ["phone: Digits only.", "No team nobody in jingxiang."]},
            {"source": "more.yaml: rotas #2", "kind": "rotas", "key": "r-1",
             "reasons": ["crews.0.1: Not a valid string."]},
        ]
    )  # fmt: skip
    assert [(r.file, r.line, r.key, r.field, r.why) for r in rows] == [
        ("people.csv", "3", "p-x", "phone", "Digits only."),
        ("people.csv", "3", "p-x", "", "No team nobody in jingxiang."),
        ("more.yaml", "rotas #2", "r-1", "crews.0.1", "Not a valid string."),
    ]
