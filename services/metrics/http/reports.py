"""A report's routes, declared once: its JSON route and its CSV twin (`<path>.csv`).

Both take the same query and run the same method; the twin renders the report the
method returns through the report's CSV table (exports.py) instead of as JSON. Every
route needs a key with the `read` scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from werkzeug.wrappers import Request, Response

from lianxin.http.entrypoint import HttpRoute
from lianxin.http.errors import ErrorTable
from lianxin.http.openapi import CSV
from lianxin.http.responses import csv_response
from services.metrics.http.errors import ERRORS, RAISES

CSV_NOTE = " as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese text)"

Table = Callable[[Mapping[str, Any]], str]


class CsvRoute(HttpRoute):
    """The JSON pipeline with a CSV answer: the worker's report, through `table`, as a
    download named `filename`.csv. Errors stay JSON, as on every route."""

    def __init__(
        self,
        method: str,
        url: str,
        errors: ErrorTable | None = None,
        *,
        table: Table,
        filename: str,
        **kwargs: Any,
    ):
        self.table = table
        self.filename = filename
        super().__init__(method, url, errors, **kwargs)

    def render(
        self, status: int, body: Any, headers: Mapping[str, str] | None, request: Request
    ) -> Response:
        return csv_response(self.table(body), self.filename)


@dataclass(frozen=True)
class Report:
    """One report of the statistics API. `path` is its JSON route; `title` names it in
    its CSV twin's summary; `table` turns the report into CSV."""

    path: str
    summary: str
    title: str
    query: type[Schema]
    schema: type[Schema]
    table: Table

    def routes(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate the method that answers the report with both its routes."""
        common: dict[str, Any] = {"query": self.query, "raises": RAISES, "scope": "read"}
        json_route = HttpRoute.decorator(
            "GET", self.path, ERRORS, summary=self.summary, responses={200: self.schema}, **common
        )
        csv_route = CsvRoute.decorator(
            "GET",
            f"{self.path}.csv",
            ERRORS,
            summary=f"The {self.title}{CSV_NOTE}",
            responses={200: CSV},
            table=self.table,
            filename=self.path.rpartition("/")[2],
            **common,
        )
        return csv_route(json_route(method))
