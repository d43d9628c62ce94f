"""People and areas (人员, 区域) and imports (导入): the pages, and the import's two forms."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lianxin.access.actors import ROLES
from lianxin.clock import utc_now
from lianxin.http.reading import read_form, read_query
from services.console.app import imports, registry
from services.console.app.desk import Desk
from services.console.domain.imports import MAX_FILE_BYTES, UploadRefused, require_importer
from services.console.http.forms import Form
from services.console.http.pages import Pages, page, redirect

CODE = validate.Regexp(r"^$|^[a-z0-9][a-z0-9_-]{0,99}$")  # an id or code, or none


class PeopleFilters(Schema):
    role = fields.String(load_default="", validate=validate.OneOf(("", *ROLES)))
    grid_id = fields.String(load_default="", validate=CODE)
    team = fields.String(load_default="", validate=CODE)
    q = fields.String(load_default="", validate=validate.Length(max=50))
    after = fields.String(load_default="", validate=CODE)


class ImportForm(Form):
    """The file itself comes as the multipart body's `file` part."""


class ApplyForm(Form):
    upload = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class RegistryPages(Pages):
    @page("GET", "/people")
    def people(self, request):
        session = self.signed_in(request)
        filters = {k: v for k, v in read_query(request, PeopleFilters()).items() if v}
        shown = registry.people_page(Desk.of(self.parts.services, session), filters)
        return self.render(request, "registry/people.html", session, **shown)

    @page("GET", "/people/<string:person_id>")
    def person(self, request, person_id):
        session = self.signed_in(request)
        person = registry.person_page(Desk.of(self.parts.services, session), person_id)
        return self.render(request, "registry/person.html", session, person=person)

    @page("GET", "/areas")
    def areas(self, request):
        session = self.signed_in(request)
        tree = registry.areas_page(Desk.of(self.parts.services, session))
        return self.render(request, "registry/areas.html", session, tree=tree)

    @page("GET", "/imports")
    def import_page(self, request):
        session = self.signed_in(request)
        require_importer(session.role)
        shown = imports.last_check(
            Desk.of(self.parts.services, session), self.parts.store, utc_now()
        )
        return self.render(request, "registry/imports.html", session,
                           max_kib=MAX_FILE_BYTES // 1024, refused=None, **shown)  # fmt: skip

    @page("POST", "/imports")
    def check_import(self, request):
        """Roster's dry run of the uploaded file; the page shows it (303), nothing stored
        but the upload, kept for its apply. A file the console does not pass on is the
        form again with the file field's error (400)."""
        session = self.signed_in(request, read_form(request, ImportForm()))
        desk = Desk.of(self.parts.services, session)
        upload = request.files.get("file")
        try:
            imports.check(desk, self.parts.store, upload.filename if upload else "",
                          upload.read() if upload else b"", utc_now())  # fmt: skip
        except UploadRefused as refused:
            shown = imports.last_check(desk, self.parts.store, utc_now())
            return self.render(request, "registry/imports.html", session, status=400,
                               max_kib=MAX_FILE_BYTES // 1024, refused=refused,
                               **shown)  # fmt: skip
        return redirect("/imports#check")

    @page("POST", "/imports/apply")
    def apply_import(self, request):
        """Roster imports exactly the file checked in this session, once."""
        form = read_form(request, ApplyForm())
        session = self.signed_in(request, form)
        desk = Desk.of(self.parts.services, session)
        imports.apply(desk, self.parts.store, form["upload"], utc_now())
        return redirect("/imports#applied")
