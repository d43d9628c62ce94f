"""The pages a person opens without a session — the sign-in page, a resident's first step
(scan-to-report, the pact, the estate fund), a path no page takes — carry forms whose CSRF
token doubles the pre-session cookie (`lx_signin`). Each sets it as the sign-in page
does: HttpOnly, SameSite=Lax, for the whole site, an hour; a browser that holds one keeps
its own (the form it already has stays good), and what the page's form carries is that
value. The cookie opens nothing: a staff page answered with it alone goes to sign-in."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.console.browser import COMMUNITY

pytestmark = pytest.mark.e2e
COOKIE = "lx_signin"
SIGNED_OUT = (
    "/sign-in",
    f"/r/report/{COMMUNITY}",
    f"/r/pact/{COMMUNITY}",
    f"/r/fund/{COMMUNITY}",
    "/no-such-page",
)
FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def set_cookie(answer: requests.Response) -> dict[str, str]:
    """The `lx_signin` Set-Cookie's attributes, by lower-cased name (the value under '')."""
    sent = [c for c in answer.raw.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    assert len(sent) == 1, sent
    value, *attributes = (part.strip() for part in sent[0].split(";"))
    named = dict(a.split("=", 1) if "=" in a else (a, "") for a in attributes)
    return {"": value.split("=", 1)[1]} | {k.lower(): v for k, v in named.items()}


@pytest.mark.parametrize("path", SIGNED_OUT)
def test_a_signed_out_page_sets_the_pre_session_cookie_its_forms_double(console, path):
    first = requests.get(f"{console}{path}", timeout=10, allow_redirects=False)
    assert first.status_code in (200, 404), first.status_code  # the unknown path: 404 page
    made = set_cookie(first)
    assert made[""] and made["path"] == "/" and made["max-age"] == "3600"
    assert made["samesite"] == "Lax" and "httponly" in made
    assert made[""] in FORM_TOKEN.findall(first.text)  # the language switch's form, at least

    kept = requests.get(f"{console}{path}", cookies={COOKIE: made[""]}, timeout=10,
                        allow_redirects=False)  # fmt: skip
    assert set_cookie(kept)[""] == made[""]
    assert set(FORM_TOKEN.findall(kept.text)) == {made[""]}


def test_the_pre_session_cookie_opens_no_staff_page(console):
    token = set_cookie(requests.get(f"{console}/sign-in", timeout=10))[""]
    answer = requests.get(f"{console}/cases", cookies={COOKIE: token}, timeout=10,
                          allow_redirects=False)  # fmt: skip
    assert (answer.status_code, answer.headers["Location"]) == (303, "/sign-in")
