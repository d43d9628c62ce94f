"""A resident's progress link (lianxin.access.progress_links): what it names, how long it
holds, and that nothing else passes for one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from lianxin.access.progress_links import (
    LIFETIME,
    SALT,
    ProgressLinkRefused,
    ProgressLinks,
)
from lianxin.access.tokens import PersonTokens

SECRET = "test-token-secret-0123456789"
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
LINKS = ProgressLinks(SECRET)


def test_a_reporters_link_names_the_case_and_its_reporter():
    reader = LINKS.read(LINKS.token("LX-1", "LX-1", NOW), NOW)
    assert (reader.case_id, reader.reported, reader.is_reporter) == ("LX-1", "LX-1", True)


def test_a_followers_link_names_the_duplicate_they_reported():
    reader = LINKS.read(LINKS.token("LX-1", "LX-2", NOW), NOW)
    assert (reader.case_id, reader.reported, reader.is_reporter) == ("LX-1", "LX-2", False)


def test_a_link_holds_for_its_lifetime_and_not_a_second_longer():
    token = LINKS.token("LX-1", "LX-1", NOW)
    assert LINKS.read(token, NOW + LIFETIME - timedelta(seconds=1)).case_id == "LX-1"
    with pytest.raises(ProgressLinkRefused):
        LINKS.read(token, NOW + LIFETIME)


def test_the_url_is_the_consoles_residents_path():
    url = LINKS.url("http://console.test/", "LX-1", "LX-1", NOW)
    assert url.startswith("http://console.test/r/") and "/" not in url.removeprefix(
        "http://console.test/r/"
    )


@pytest.mark.parametrize(
    "forged",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: token[: len(token) // 2],  # cut short
        lambda token: "",
        lambda token: "not-a-token",
        # signed with another secret, or under another salt (an action link, a person token)
        lambda token: ProgressLinks("another-secret-0123456789").token("LX-1", "LX-1", NOW),
        lambda token: URLSafeSerializer(SECRET, salt="lianxin.notify.action-link").dumps(
            ["LX-1", int((NOW + LIFETIME).timestamp())]
        ),
        lambda token: PersonTokens(SECRET).issue("p-1", "staff", ["jingxiang"]),
        # the right secret and salt, but not the claims of a progress link
        lambda token: URLSafeSerializer(SECRET, salt=SALT).dumps({"case": "LX-1"}),
        lambda token: URLSafeSerializer(SECRET, salt=SALT).dumps(["LX-1", "soon"]),
        lambda token: URLSafeSerializer(SECRET, salt=SALT).dumps(["", 9999999999]),
        lambda token: URLSafeSerializer(SECRET, salt=SALT).dumps(["LX-1", 9999999999, "a", "b"]),
    ],
)
def test_nothing_else_passes_for_a_link(forged):
    with pytest.raises(ProgressLinkRefused):
        LINKS.read(forged(LINKS.token("LX-1", "LX-1", NOW)), NOW)


def test_a_link_fits_a_text_message():
    case = "LX-0123456789ABCDEF"
    assert len(LINKS.url("https://lianxin.example.cn", case, case, NOW)) < 110
    assert len(LINKS.url("https://lianxin.example.cn", case, "LX-FEDCBA9876543210", NOW)) < 140
