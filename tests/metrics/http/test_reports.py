"""Each report declared once gives two routes: its JSON route and its CSV twin, with the
same query, scope and errors, the twin rendering the same report through its table.
Plain Python, no I/O: the routes as the service class declares them."""

from __future__ import annotations

import csv
import io

import pytest

from services.metrics.http.reports import CsvRoute
from services.metrics.http.stats import EVALUATION, HOTLINE, SUMMARY, TREND, VOLUNTEERS
from services.metrics.service import MetricsService

REPORTS = (SUMMARY, TREND, HOTLINE, EVALUATION, VOLUNTEERS)


def routes() -> dict[str, object]:
    """Every HTTP route of the service class, by its URL."""
    found = {}
    for name in dir(MetricsService):
        for entrypoint in getattr(getattr(MetricsService, name), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url"):
                found[entrypoint.url] = (name, entrypoint)
    return found


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.path)
def test_a_report_has_its_json_route_and_its_csv_twin_on_one_method(report):
    (json_method, json_route), (csv_method, csv_route) = (
        routes()[report.path],
        routes()[f"{report.path}.csv"],
    )
    assert json_method == csv_method
    assert isinstance(csv_route, CsvRoute) and not isinstance(json_route, CsvRoute)
    for route in (json_route, csv_route):
        assert (route.method, route.query, route.scope) == ("GET", report.query, "read")
    assert json_route.errors == csv_route.errors and json_route.raises == csv_route.raises
    assert json_route.responses == {200: report.schema}
    assert csv_route.summary.startswith(f"The {report.title} as CSV")


def test_every_stats_route_belongs_to_a_declared_report():
    declared = {report.path for report in REPORTS}
    stats = {url.removesuffix(".csv") for url in routes() if url.startswith("/v1/stats/")}
    assert stats == declared


def test_the_twin_renders_the_report_through_its_table_as_a_named_download():
    _, twin = routes()["/v1/stats/volunteers.csv"]
    report = {"volunteers": [{"person_id": "p-1", "hours": 1.5}]}
    response = twin.render(200, report, None, request=None)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="volunteers.csv"'
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    assert next(csv.DictReader(io.StringIO(text)))["person_id"] == "p-1"
