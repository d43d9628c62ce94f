"""The scan-to-report page's plain rules: the places it offers, what a form must say, the
case it becomes, the verified number's proof, a form's one report, the poster's QR code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import segno

from services.console.domain import codes
from services.console.domain.codes import Outcome
from services.console.domain.report_poster import qr_svg, report_url
from services.console.domain.residents_report import (
    STALLED_AFTER,
    VERIFIED_FOR,
    Draft,
    SentReport,
    case_body,
    draft_errors,
    places_of,
    proof,
    proven,
)

SECRET = "test-console-secret-0123456789"
NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
PHONE = "13900001111"
LISTING = {
    "community_id": "jx",
    "name": "井湘社区",
    "timezone": "Asia/Shanghai",
    "areas": [
        {"code": "jx-g1", "kind": "grid", "parent": "jx", "name": "第一网格"},
        {"code": "jx-e1", "kind": "estate", "parent": "jx-g1", "name": "井湘小区"},
        {"code": "jx-b3", "kind": "building", "parent": "jx-e1", "name": "3栋"},
        {"code": "jx-b5", "kind": "building", "parent": "jx-e1", "name": "5栋"},
        {"code": "jx-b3-u1", "kind": "unit", "parent": "jx-b3", "name": "1单元"},
        {"code": "jx-b5-u2", "kind": "unit", "parent": "jx-b5", "name": "2单元"},
    ],
}
PLACES = places_of(LISTING)
CATEGORIES = ("facility.lighting", "environment.stairwell_clutter")
GOOD = Draft("facility.lighting", "jx-b5", "jx-b5-u2", "5栋2单元楼道灯不亮")


def test_the_buildings_come_with_their_units_under_their_estate():
    assert PLACES.name == "井湘社区"
    assert [(estate, [b.name for b in bs]) for estate, bs in PLACES.by_estate()] == [
        ("井湘小区", ["3栋", "5栋"])
    ]
    assert [unit.code for unit in PLACES.building("jx-b5").units] == ["jx-b5-u2"]
    assert PLACES.building("jx-g1") is None  # a grid is no building


def test_a_good_form_has_no_errors_and_a_whole_building_is_a_place():
    assert draft_errors(GOOD, PLACES, CATEGORIES, photos=9) == {}
    whole = Draft("facility.lighting", "jx-b3", "", "3栋门口灯不亮")
    assert draft_errors(whole, PLACES, CATEGORIES, photos=0) == {}


@pytest.mark.parametrize(
    "draft, photos, wrong",
    [
        (Draft("made.up", "jx-b5", "", "灯"), 0, "category"),
        (Draft("facility.lighting", "jx-b9", "", "灯"), 0, "building"),
        (Draft("facility.lighting", "jx-b3", "jx-b5-u2", "灯"), 0, "unit"),  # another building's
        (Draft("facility.lighting", "jx-b5", "", "   "), 0, "description"),
        (GOOD, 10, "photo"),
    ],
)
def test_a_form_is_refused_on_the_field_it_got_wrong(draft, photos, wrong):
    assert list(draft_errors(draft, PLACES, CATEGORIES, photos)) == [wrong]


def test_the_case_comes_through_the_scan_channel_with_the_verified_number_and_photos():
    body = case_body("jx", GOOD, PHONE, ["ph_abc", "ph_def"])
    assert body["channel"] == "scan" and body["community_id"] == "jx"
    assert body["location"] == {"area_code": "jx-b5-u2"}
    assert body["reporter"] == {"phone": PHONE, "consent": True}
    assert body["attachments"] == ["photo:ph_abc", "photo:ph_def"]
    whole = case_body("jx", Draft("facility.lighting", "jx-b3", "", "灯"), PHONE, [])
    assert whole["location"] == {"area_code": "jx-b3"} and whole["attachments"] == []


def test_a_proof_holds_for_its_number_and_community_until_its_end():
    given = proof(SECRET, PHONE, "jx", NOW)
    assert proven(SECRET, given, PHONE, "jx", NOW + VERIFIED_FOR - timedelta(seconds=1))
    assert not proven(SECRET, given, PHONE, "jx", NOW + VERIFIED_FOR)
    assert not proven(SECRET, given, "13900002222", "jx", NOW)  # moved to another number
    assert not proven(SECRET, given, PHONE, "yl", NOW)  # or another community's page
    assert not proven("another-secret-0123456789", given, PHONE, "jx", NOW)


@pytest.mark.parametrize("forged", ["", "garbage", "9999999999.", "9999999999." + "0" * 64])
def test_a_forged_proof_proves_nothing(forged):
    assert not proven(SECRET, forged, PHONE, "jx", NOW)


def test_a_later_end_cannot_be_written_into_a_proof():
    until, _, digest = proof(SECRET, PHONE, "jx", NOW).partition(".")
    stretched = f"{int(until) + 86400}.{digest}"
    assert not proven(SECRET, stretched, PHONE, "jx", NOW)


def test_a_report_still_sending_long_after_it_began_has_stalled():
    sending = SentReport("k" * 22, "jx", NOW)
    assert not sending.stalled(NOW + STALLED_AFTER)
    assert sending.stalled(NOW + STALLED_AFTER + timedelta(seconds=1))
    made = SentReport("k" * 22, "jx", NOW, "LX-1", "JX-20260306-0001")
    assert made.made and not made.stalled(NOW + timedelta(days=1))


def test_a_residents_code_verifies_a_number_of_nobody_which_a_sign_in_code_never_does():
    issued = codes.issue(SECRET, "digest", None, "123456", NOW)
    _, signing_in = codes.attempt(issued, SECRET, "123456", NOW)
    assert signing_in is Outcome.WRONG  # a sign-in code for nobody never signs in
    kept, verified = codes.attempt(issued, SECRET, "123456", NOW, for_a_person=False)
    assert verified is Outcome.ACCEPTED and kept.used


def test_the_posters_address_names_the_community_and_the_building():
    assert report_url("https://lx.example.cn/", "jx") == "https://lx.example.cn/r/report/jx"
    assert report_url("https://lx.example.cn", "jx", "jx-b5") == (
        "https://lx.example.cn/r/report/jx?building=jx-b5"
    )


def modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG of segno's path draws (`M x y` then `h` runs, `m` moves)."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    dark, x, y = set(), 0.0, 0.0
    for command, numbers in re.findall(r"([MmHh])([^MmHh]*)", path):
        values = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", numbers)]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(values[0])))
            x += values[0]
    return dark


def test_the_posters_qr_code_holds_exactly_the_pages_address():
    url = report_url("https://lx.example.cn", "jx", "jx-b5")
    code = segno.make(url, error="m", micro=False)
    expected = {(x + 4, y + 4) for y, row in enumerate(code.matrix)
                for x, bit in enumerate(row) if bit}  # fmt: skip
    assert modules(qr_svg(url)) == expected
    assert modules(qr_svg(url + "x")) != expected
