"""A resident reports a problem from the scan-to-report page (扫码反映): they verify their
number with an SMS code, then send the report, which enters cases' one intake on the
`scan` channel, once per form, with the verified number as its contact.

Everything the page asks of the other services goes through the residents' client (the
console's second key, `report` and `verify` only: apis.py). Codes to one number are
limited with the sign-in codes; codes per address, tries per address and reports per
number and per address by the residents' own limits (domain/limits.py), each counted in
the console's store before anything is sent. A form's report is claimed by the form's key
before its photos are uploaded (store.claim_report): a second submit of the same form —
a double tap, a reload — uploads and reports nothing and is shown the first one's case;
cases' Idempotency-Key (the same form key) covers a retry after the claim's holder died.

Staff print the page's QR code poster (`poster_page`), read with their own token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from services.console.apis import ApiError
from services.console.app.desk import Desk
from services.console.app.sign_in import Asked, Refused, issue_code, try_code
from services.console.domain import limits
from services.console.domain.codes import Outcome
from services.console.domain.phones import normalized, phone_digest
from services.console.domain.queue import NotVisible
from services.console.domain.report_poster import qr_svg, report_url
from services.console.domain.residents_report import (
    Draft,
    Places,
    SentReport,
    case_body,
    draft_errors,
    places_of,
    proof,
    proven,
)
from services.console.domain.stats import category_names
from services.console.store import ConsoleStore

# cases' field names in a 400, as the report form names them and says what is wrong
CASES_FIELDS = {
    "photo": ("photo", "report_error_photo"),
    "attachments": ("photo", "report_error_photo"),
    "category": ("category", "report_error_category"),
    "location": ("building", "report_error_building"),
    "description": ("description", "report_error_description"),
}


class ResidentsClient(Protocol):
    """The residents' client of the other services (apis.Services with their key)."""

    def community_places(self, token: str | None, community_id: str) -> dict[str, Any] | None: ...
    def categories(self, token: str | None) -> list[dict[str, Any]]: ...
    def send_verification_code(self, community_id: str, phone: str, code: str) -> None: ...
    def upload_photos(self, community_id: str, photos: list[bytes]) -> list[str]: ...
    def report_case(self, body: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]: ...


class CommunityUnknown(Exception):
    """No community of that id: the page is not found."""


class Unverified(Exception):
    """The report form's number is not proven (its proof expired, or was not the
    console's): the resident verifies the number again."""


class TooManyReports(Exception):
    """Reports from this number or address are over their limit for now: 429."""


class DraftRefused(Exception):
    """The form's fields that are wrong, each with its label key."""

    def __init__(self, fields: Mapping[str, str]):
        super().__init__(", ".join(fields))
        self.fields = dict(fields)


@dataclass(frozen=True)
class ReportPage:
    """What the page offers for a community: its places and the categories' names."""

    places: Places
    categories: dict[str, str]  # code → name in the page's language


@dataclass(frozen=True)
class ReportForm:
    """A sent report form: its key, the verified number and its proof, what it says."""

    form_key: str
    phone: str
    proof: str
    draft: Draft


def report_page(residents: ResidentsClient, community_id: str, language: str) -> ReportPage:
    listing = residents.community_places(None, community_id)
    if listing is None:
        raise CommunityUnknown(community_id)
    names = category_names(residents.categories(None), language)
    return ReportPage(places_of(listing), dict(sorted(names.items(), key=lambda kv: kv[0])))


@dataclass
class ReportPages:
    """Each community's page as last read, kept a minute in this process: a public page
    (and every link scanner's visit) would otherwise cost cases two reads a view. A
    community cases does not know is kept as unknown the same minute; past `limit`
    entries (ids made up by a scanner) the lot is forgotten."""

    seconds: float = 60.0
    limit: int = 1000
    kept: dict[tuple[str, str], tuple[float, ReportPage | None]] = field(default_factory=dict)

    def page(
        self, residents: ResidentsClient, community_id: str, language: str, now: float
    ) -> ReportPage:
        """The page, read again once its minute is over; CommunityUnknown for none."""
        key = (community_id, language)
        held = self.kept.get(key)
        if held is None or held[0] <= now:
            try:
                found: ReportPage | None = report_page(residents, community_id, language)
            except CommunityUnknown:
                found = None
            if len(self.kept) >= self.limit:
                self.kept.clear()
            held = self.kept[key] = (now + self.seconds, found)
        if held[1] is None:
            raise CommunityUnknown(community_id)
        return held[1]


def ask_for_code(
    store: ConsoleStore,
    residents: ResidentsClient,
    secret: str,
    community_id: str,
    phone_text: str,
    address: str,
    now: datetime,
) -> Asked:
    """Text a code to the number, unless the number or the address had their codes;
    notify's own limit per number answers as the console's does."""
    issued = issue_code(
        store.report_code_change, limits.REPORT_CODES_PER_ADDRESS, store, secret, phone_text,
        address, now,
    )  # fmt: skip
    if issued.asked is not Asked.SENT:
        return issued.asked
    try:
        residents.send_verification_code(community_id, issued.phone, issued.code)
    except ApiError as exc:
        if exc.status == 429:
            return Asked.LIMITED
        raise
    return Asked.SENT


def verify(
    store: ConsoleStore,
    secret: str,
    community_id: str,
    phone_text: str,
    code: str,
    address: str,
    now: datetime,
) -> str:
    """The proof that the number is the resident's (for the report form), or Refused."""
    tried = try_code(
        store.report_code_change, limits.REPORT_TRIES_PER_ADDRESS, store, secret, phone_text,
        code, address, now, for_a_person=False,
    )  # fmt: skip
    if tried.outcome is not Outcome.ACCEPTED:
        raise Refused(tried.outcome.value)
    return proof(secret, tried.phone, community_id, now)


def send_report(
    store: ConsoleStore,
    residents: ResidentsClient,
    secret: str,
    page: ReportPage,
    form: ReportForm,
    photos: list[bytes],
    address: str,
    now: datetime,
) -> SentReport:
    """The form's one report: made now, or the one a first submit of the form made."""
    community_id = page.places.community_id
    phone = normalized(form.phone) or ""
    if not proven(secret, form.proof, phone, community_id, now):
        raise Unverified(community_id)
    errors = draft_errors(form.draft, page.places, page.categories, len(photos))
    if errors:
        raise DraftRefused(errors)
    earlier = store.sent_report(form.form_key)
    if earlier is not None and not earlier.stalled(now):
        return _same_community(earlier, community_id)
    if not (
        store.count(limits.REPORTS_PER_ADDRESS, address, now)
        and store.count(limits.REPORTS_PER_PHONE, phone_digest(secret, phone), now)
    ):
        raise TooManyReports(community_id)
    claimed = SentReport(form.form_key, community_id, now)
    earlier = store.claim_report(claimed, now)
    if earlier is not None:
        return _same_community(earlier, community_id)
    try:
        kept = residents.upload_photos(None, community_id, "report", photos) if photos else []
        photo_ids = [photo["id"] for photo in kept]
        body = case_body(community_id, form.draft, phone, photo_ids)
        case = residents.report_case(body, idempotency_key=f"scan-{form.form_key}")
    except ApiError as exc:
        store.release_report(form.form_key)
        raise _refusal(exc) from None
    except BaseException:
        store.release_report(form.form_key)
        raise
    made = replace(claimed, case_id=case["id"], number=case["number"])
    store.record_report(made)
    return made


def receipt(store: ConsoleStore, community_id: str, form_key: str) -> SentReport | None:
    """The form's report as its confirmation page shows it; None when there is none (or
    it is another community's)."""
    found = store.sent_report(form_key)
    return found if found is not None and found.community_id == community_id else None


def _same_community(report: SentReport, community_id: str) -> SentReport:
    """A form key is the form's own; one sent to another community's page is no report
    of this one."""
    if report.community_id != community_id:
        raise DraftRefused({"form_key": "report_error_form"})
    return report


def _refusal(refused: ApiError) -> Exception:
    """cases' 400 on a field the form has (a photo it does not take, a place it does not
    know) as the form's error; any other refusal as it came."""
    if refused.status != 400 or not refused.fields:
        return refused
    named = [CASES_FIELDS.get(name.split(".")[0]) for name in refused.fields]
    if not all(named):
        return refused
    return DraftRefused(dict(field for field in named if field))


def poster_page(desk: Desk, public_url: str, building_code: str | None) -> dict[str, Any]:
    """The poster of the staff member's community (or of one of its buildings): the page's
    address and its QR code. A building the community does not have makes the
    community's poster."""
    community_id = desk.session.scope.community_id
    listing = desk.services.community_places(desk.token, community_id)
    if listing is None:
        raise NotVisible(community_id)
    places = places_of(listing)
    building = places.building(building_code)
    url = report_url(public_url, community_id, building.code if building else None)
    return {"places": places, "building": building, "url": url, "qr": qr_svg(url)}
