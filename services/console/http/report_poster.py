"""The scan-to-report poster (扫码反映海报): a staff page that shows the community's poster
— its name, the QR code of its scan-to-report page, how to use it — ready to print on A4
(the print stylesheet hides everything else); per building if one is chosen, its QR code
then opening the page with that building chosen. It reads only."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lianxin.http.reading import read_query
from services.console.app import residents_report
from services.console.app.desk import Desk
from services.console.http.case_forms import CODE
from services.console.http.pages import Pages, page


class PosterQuery(Schema):
    building = fields.String(load_default="", validate=validate.Regexp(rf"^({CODE})?$"))


class ReportPosterPages(Pages):
    @page("GET", "/areas/poster")
    def report_poster(self, request):
        session = self.signed_in(request)
        building = read_query(request, PosterQuery())["building"]
        shown = residents_report.poster_page(
            Desk.of(self.parts.services, session), self.parts.settings.public_url, building
        )
        return self.render(request, "residents/report_poster.html", session, **shown)
