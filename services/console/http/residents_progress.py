"""A resident's progress page, `/r/<token>`: public, no account and no session — the token
of the link their progress message carried is the credential, and cases judges it (a
link altered, unknown or expired is a page that does not exist, 404).

The page shows the case in plain words with a step indicator, its timeline and the photos
the resident may see (through the console, as the staff's case page shows them), and once
the case is closed and not yet rated, the rating form. Opening it never acts (link
previews and scanners fetch it). The form POSTs with a CSRF token by double submit — the
value of the sign-in cookie this page sets (domain/csrf.py), which a page of another site
can neither read nor set; the language switch uses the same — and a key made with the
page, so a second submit of one form rates once. A done rating answers a redirect to the
page, which thanks the resident; a refused one answers the page with the refusal in words
(a second rating, a case not yet closed, a follower's link) and cases' status.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate
from werkzeug.wrappers import Request, Response

from lianxin.http.reading import read_form
from services.console.apis import ApiError, ApiUnavailable
from services.console.app import residents_progress
from services.console.domain import csrf
from services.console.domain.residents_progress import STARS, refusal
from services.console.http.case_forms import ActionForm
from services.console.http.cases import PHOTO_HEADERS
from services.console.http.errors import CsrfRefused
from services.console.http.forms import _text
from services.console.http.pages import Pages, page, redirect

PAGE = "/r/<string:token>"
NOT_INDEXED = {"X-Robots-Tag": "noindex, nofollow"}  # a resident's case is nobody's search
# the form's token outlives a resident's pause before rating (the sign-in page's lasts an hour)
FORM_COOKIE_SECONDS = 24 * 3600


class RatingForm(ActionForm):
    rating = fields.Integer(required=True, strict=False, validate=validate.OneOf(STARS))
    comment = _text(1000)


def require_form_token(request: Request, form) -> None:
    """The form's CSRF token doubles the sign-in cookie the page set (no session here)."""
    if not csrf.matches(request.cookies.get(csrf.SIGN_IN_COOKIE), form.get("csrf")):
        raise CsrfRefused("The form's token is missing or wrong.")


class ResidentProgressPages(Pages):
    @page("GET", PAGE)
    def resident_progress(self, request, token):
        thanked = request.args.get("done") == "rated"
        return self.progress_answer(request, token, thanked=thanked)

    @page("POST", f"{PAGE}/rating")
    def resident_rating(self, request, token):
        try:
            form = read_form(request, RatingForm())
        except ValidationError as invalid:
            require_form_token(request, request.form)  # a forged form: 403 first
            fields_said = invalid.messages if isinstance(invalid.messages, dict) else {}
            return self.progress_answer(
                request, token, refused="progress_refused_invalid", status=400,
                fields=sorted(fields_said),
            )  # fmt: skip
        require_form_token(request, form)
        try:
            residents_progress.rate(self.parts.services, token, form)
        except ApiUnavailable:
            raise
        except ApiError as refused:
            if refused.status == 404:
                raise
            return self.progress_answer(
                request, token, refused=refusal(refused.status, refused.code),
                status=refused.status, fields=sorted(refused.fields),
            )  # fmt: skip
        return redirect(f"/r/{token}?done=rated#rating")

    @page("GET", f"{PAGE}/photos/<string:photo_id>")
    def resident_photo(self, request, token, photo_id):
        return self._progress_photo(token, photo_id, thumbnail=False)

    @page("GET", f"{PAGE}/photos/<string:photo_id>/thumbnail")
    def resident_photo_thumbnail(self, request, token, photo_id):
        return self._progress_photo(token, photo_id, thumbnail=True)

    def _progress_photo(self, token: str, photo_id: str, thumbnail: bool) -> Response:
        """A photo the page shows, through the console (its images come only from itself)."""
        content, kind = residents_progress.photo(self.parts.services, token, photo_id, thumbnail)
        headers = {**PHOTO_HEADERS, **NOT_INDEXED}
        return Response(content, status=200, mimetype=kind, headers=headers)

    def progress_answer(
        self,
        request: Request,
        token: str,
        status: int = 200,
        refused: str | None = None,
        fields: list[str] | None = None,
        thanked: bool = False,
    ) -> tuple[int, Any, str]:
        """The page as the case stands now, with what was refused, if anything. It sets
        the sign-in cookie its forms' CSRF token doubles, when the browser has none."""
        shown = residents_progress.progress_page(
            self.parts.services, token, self.parts.settings.default_zone
        )
        return self.render_signed_out(
            request, "residents/progress.html", status, NOT_INDEXED, FORM_COOKIE_SECONDS,
            token=token, refused=refused, error_fields=fields or [],
            thanked=thanked and shown["progress"]["rating"] is not None, stars=STARS, **shown,
        )  # fmt: skip
