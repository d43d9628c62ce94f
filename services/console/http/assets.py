"""The console's static files: vendored, pinned and checked, never from a CDN.

`static/` holds htmx and Apache ECharts (each its version in the file name, its SHA-256
in `static/SHA256SUMS`, checked by tests/console/test_assets.py and again here at start:
a file that does not match stops the service), the console's stylesheet and the
statistics page's script. Only the files named in ASSETS are served; a name is never
joined to a path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

from werkzeug.wrappers import Response

from services.console.http.errors import PageNotFound
from services.console.http.pages import page

STATIC = Path(__file__).resolve().parent.parent / "static"
HTMX = "htmx-2.0.4.min.js"
ECHARTS = "echarts-6.1.0.min.js"  # Apache ECharts, the statistics page's charts
ASSETS = {
    HTMX: "text/javascript",
    ECHARTS: "text/javascript",
    "stats.js": "text/javascript",
    "console.css": "text/css",
}
CACHE_SECONDS = 86400


def checksums(folder: Path = STATIC) -> dict[str, str]:
    """What SHA256SUMS says of each vendored file."""
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name.strip(): digest for digest, name in (line.split() for line in lines if line)}


def verified(name: str, folder: Path = STATIC) -> bytes:
    """The file's bytes, when it is what its checksum says (the vendored ones)."""
    content = (folder / name).read_bytes()
    expected = checksums(folder).get(name)
    if expected is not None and hashlib.sha256(content).hexdigest() != expected:
        raise RuntimeError(f"{name} does not match static/SHA256SUMS")
    return content


class AssetRoutes:
    _assets: ClassVar[dict[str, bytes]] = {}  # read and checked once per process

    @page("GET", "/static/<string:name>", uses_database=False)
    def asset(self, request, name):
        if name not in ASSETS:
            raise PageNotFound(f"No file {name}.")
        if name not in self._assets:
            self._assets[name] = verified(name)
        return Response(
            self._assets[name],
            mimetype=ASSETS[name],
            headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}",
                     "X-Content-Type-Options": "nosniff"},
        )  # fmt: skip
