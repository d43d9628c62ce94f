"""The answers routes write: JSON, JSON errors, CSV downloads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **details: Any
) -> Response:
    return json_response(status, {"error": {"code": code, "message": message, **details}}, headers)


# On every answer that carries what someone wrote: a browser must not take it for a page
NO_SNIFFING = {"X-Content-Type-Options": "nosniff"}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        headers={**NO_SNIFFING, **(headers or {})},
        mimetype="application/json",
    )


def csv_response(text: str, name: str) -> Response:
    """A CSV download. UTF-8 with a byte-order mark: without it spreadsheet programs read
    the Chinese text as another encoding."""
    return Response(
        "\ufeff" + text,
        status=200,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
