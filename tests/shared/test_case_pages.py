"""The signed link to a person's case page (lianxin.access.case_pages): read back as
issued; refused when altered, cut short, signed with another secret or salt, or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from lianxin.access.case_pages import (
    LINK_PATH,
    SALT,
    CasePageLink,
    CasePageLinkExpired,
    CasePageLinkInvalid,
    CasePageLinks,
)
from lianxin.access.tokens import TOKEN_SALT

SECRET = "token-secret-0123456789abcdef"
NOW = datetime(2026, 12, 6, 8, 30, 0, 123000, tzinfo=UTC)
LINK = CasePageLink("p-vol-1", "case-1", NOW, NOW.replace(microsecond=0) + timedelta(days=7))


def test_a_link_reads_back_as_issued_to_the_millisecond():
    links = CasePageLinks(SECRET)
    url = links.url("https://console.example.cn/", LINK)
    assert url.startswith("https://console.example.cn" + LINK_PATH)
    assert links.read(url.removeprefix("https://console.example.cn" + LINK_PATH), NOW) == LINK


def test_an_expired_link_is_refused():
    token = CasePageLinks(SECRET).token(LINK)
    with pytest.raises(CasePageLinkExpired):
        CasePageLinks(SECRET).read(token, LINK.expires_at)


def _forged(claims, secret=SECRET, salt=SALT) -> str:
    return URLSafeSerializer(secret, salt=salt).dumps(claims)


CLAIMS = ["p-vol-1", "case-1", int(NOW.timestamp() * 1000), int(NOW.timestamp()) + 3600]


@pytest.mark.parametrize(
    "token",
    [
        CasePageLinks(SECRET).token(LINK)[:-2],  # cut short
        _forged(CLAIMS, secret="another-secret-0123456789"),
        _forged(CLAIMS, salt=TOKEN_SALT),  # a person token's salt
        _forged(["p-vol-1", "case-1"]),  # a link of another shape
        _forged([None, "case-1", CLAIMS[2], CLAIMS[3]]),
        _forged(["p-vol-1", "case-1", "soon", CLAIMS[3]]),
        "garbage",
    ],
    ids=["cut", "other-secret", "person-token-salt", "short", "no-person",
         "bad-time", "garbage"],
)  # fmt: skip
def test_an_altered_or_foreign_link_is_refused(token):
    with pytest.raises(CasePageLinkInvalid):
        CasePageLinks(SECRET).read(token, NOW)


def test_another_case_s_claims_need_the_secret():
    """Editing the payload's case id breaks the signature: a link opens only its case."""
    token = CasePageLinks(SECRET).token(LINK)
    payload, _, signature = token.partition(".")
    other = CasePageLinks(SECRET).token(CasePageLink("p-vol-1", "case-2", NOW, LINK.expires_at))
    with pytest.raises(CasePageLinkInvalid):
        CasePageLinks(SECRET).read(other.partition(".")[0] + "." + signature, NOW)
    assert payload != other.partition(".")[0]
