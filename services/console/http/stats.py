"""The statistics page (统计): metrics' reports with their charts and tables, and their CSV
downloads through the console (with the person's token, so metrics judges the person)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from werkzeug.wrappers import Request, Response

from lianxin.http.reading import read_query
from services.console.app import stats
from services.console.app.desk import Desk
from services.console.domain.labels import LANGUAGE_COOKIE, language_of
from services.console.domain.queue import NotVisible
from services.console.domain.stats import (
    StatsQuery,
    area_of,
    channel_names,
    label_of,
    period_errors,
    shown_value,
)
from services.console.http.pages import SECURITY_HEADERS, Pages, page

DATE_ERROR = "stats_error_date"


def chosen(request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    """The page's query, and each field's error (its label key): bad dates show on the
    page next to their fields, and nothing is asked of metrics. A grid that could be
    nobody's is not found, as one of another's is."""
    try:
        query = read_query(request, StatsQuery())
    except ValidationError as refused:
        fields = refused.messages if isinstance(refused.messages, dict) else {}
        if "grid" in fields:
            raise NotVisible("No such grid.") from None
        return {"grid": request.args.get("grid")}, {name: DATE_ERROR for name in fields}
    return query, period_errors(query.get("since"), query.get("until"))


class StatsPages(Pages):
    @page("GET", "/stats")
    def stats_page(self, request):
        session = self.signed_in(request)
        query, errors = chosen(request)
        area = area_of(session.scope, query.get("grid"))
        language = language_of(request.cookies.get(LANGUAGE_COOKIE))
        shown: dict[str, Any] = {"charts": {}}
        if not errors:
            desk = Desk.of(self.parts.services, session)
            since, until = query.get("since"), query.get("until")
            channels = channel_names(lambda key: self.parts.labels.text(key, language))
            shown = stats.statistics(desk, area, since, until, language, channels)
            self.parts.learn_zone(area.community_id, shown["summary"]["timezone"])

        def named(key: str) -> str:
            return self.parts.labels.text(label_of(key), language)

        specs = [chart.spec(named) for chart in shown["charts"].values()]
        return self.render(
            request, "stats/stats.html", session, status=400 if errors else 200,
            errors=errors, area=area, asked=request.args, label_of=label_of,
            value=shown_value, specs=specs, **shown,
        )  # fmt: skip

    @page("GET", "/stats/<string:report>.csv")
    def stats_csv(self, request, report):
        """A report's CSV as metrics made it, for the page's period and area."""
        session = self.signed_in(request)
        query, errors = chosen(request)
        if errors:
            raise ValidationError(errors)
        area = area_of(session.scope, query.get("grid"))
        desk = Desk.of(self.parts.services, session)
        download = stats.export(desk, area, report, query.get("since"), query.get("until"))
        return Response(
            download.content,
            mimetype="text/csv",
            headers={**SECURITY_HEADERS, "Content-Disposition": download.disposition},
        )
