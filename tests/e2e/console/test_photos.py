"""Photos on a case's page: thumbnails through the console, for whoever may see the case,
and only the photos that case names."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from tests.cases.app.test_photos import jpeg_with_gps
from tests.e2e.conftest import helper_headers
from tests.e2e.console.browser import (
    COMMUNITY,
    GRID_WORKER,
    SCREENSHOTS,
    STAFF_3,
    report,
    signed_in,
)

pytestmark = pytest.mark.e2e


def uploaded(stack, width: int = 640, height: int = 480) -> dict:
    """A photo the helper key (an app) uploads before reporting."""
    answer = requests.post(
        f"{stack.url('cases')}/v1/photos",
        data={"community_id": COMMUNITY},
        files=[("photo", ("p.jpg", jpeg_with_gps(width, height), "image/jpeg"))],
        headers=helper_headers(stack),
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["photos"][0]


def test_staff_see_a_reports_photo_on_its_page_and_nobody_reaches_it_through_another_case(
    page, console, sms, console_stack
):
    photo = uploaded(console_stack)
    case = report(console_stack, "门口的树倒了 a tree fell at the gate", grid="jingxiang-g2",
                  attachments=[photo["reference"]])  # fmt: skip
    other = report(console_stack, "另一件事 something else", grid="jingxiang-g2")
    signed_in(page, console, sms, STAFF_3)
    page.goto(f"{console}/cases/{case['id']}")
    thumbnail = page.locator("#photos img")
    expect(thumbnail).to_have_count(1)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 320  # the thumbnail, not the photo
    page.screenshot(path=str(SCREENSHOTS / "console-photos.png"), full_page=True)
    full = page.request.get(f"{console}/cases/{case['id']}/photos/{photo['id']}")
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"
    assert "sandbox" in full.headers["content-security-policy"]
    assert Image.open(io.BytesIO(full.body())).size == (640, 480)
    # the photo is not reached through a case that does not name it, nor without a session
    assert page.request.get(f"{console}/cases/{other['id']}/photos/{photo['id']}").status == 404
    anonymous = requests.get(
        f"{console}/cases/{case['id']}/photos/{photo['id']}", allow_redirects=False, timeout=10
    )
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/sign-in"


def test_a_grid_worker_does_not_reach_another_grids_photo(page, console, sms, console_stack):
    photo = uploaded(console_stack, 64, 48)
    elsewhere = report(console_stack, "二网格的照片 grid two's photo", grid="jingxiang-g2",
                       attachments=[photo["reference"]])  # fmt: skip
    signed_in(page, console, sms, GRID_WORKER)
    for path in ("", "/thumbnail"):
        url = f"{console}/cases/{elsewhere['id']}/photos/{photo['id']}{path}"
        assert page.request.get(url).status == 404
