"""The scan-to-report poster staff print for a community (or one building of it): the
page's address and its QR code.

The QR code is segno's (pinned in pyproject.toml), as SVG drawn inline in the page: no
image is stored or fetched, and the printer gets vectors at any size. Error correction M
(15 % of the code may be soiled or torn, as a poster in a stairwell is) and the standard
quiet zone of four modules.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import segno

ERROR_CORRECTION = "m"
QUIET_ZONE = 4  # modules


def report_url(public_url: str, community_id: str, building: str | None = None) -> str:
    """The scan-to-report page of the community at the console's public address; with a
    building, the page that has it chosen."""
    url = f"{public_url.rstrip('/')}/r/report/{quote(community_id, safe='')}"
    return f"{url}?{urlencode({'building': building})}" if building else url


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_CORRECTION, micro=False)


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline `<svg>` (one path, one module a unit of its
    viewBox, sized by the page's CSS)."""
    return qr_code(url).svg_inline(scale=1, border=QUIET_ZONE, omitsize=True, dark="#000")
