"""A resident's report from the scan-to-report page (扫码反映): what the page offers (the
community's categories, its buildings and their units), what a form must say, the proof
that the phone number was verified, the case the report becomes, and the record of a
form's one report. Plain Python, no I/O.

The page is public: the resident has no account, and proves the number they give for
progress messages with an SMS code (domain/codes.py, by the sign-in's rule). A verified
number is then carried by the report form itself, beside a proof the console signed
(`proof`): the console stores no phone number (domain/phones.py), and the proof binds the
number to the community and an end, so it cannot be moved to another number or page.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

CHANNEL = "scan"  # the intake channel of every report from this page
VERIFIED_FOR = timedelta(minutes=30)  # a verified number makes reports this long
MAX_PHOTOS = 9  # cases' own limit per step (services/cases/domain/photos.py)
MAX_DESCRIPTION = 1000
STALLED_AFTER = timedelta(minutes=2)  # a report still sending this long died on the way


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class Building:
    code: str
    name: str
    estate: str  # the estate's name, which a resident knows the building by
    units: tuple[Choice, ...]


@dataclass(frozen=True)
class Places:
    """The community as the page offers it: its name, zone and buildings with their
    units, from cases' copy of roster's area registry (`GET /v1/areas/<community>`)."""

    community_id: str
    name: str
    timezone: str
    buildings: tuple[Building, ...]

    def building(self, code: str | None) -> Building | None:
        return next((b for b in self.buildings if b.code == code), None)

    def by_estate(self) -> list[tuple[str, list[Building]]]:
        """The buildings under their estates' names, in the registry's order."""
        estates: dict[str, list[Building]] = {}
        for building in self.buildings:
            estates.setdefault(building.estate, []).append(building)
        return list(estates.items())


def places_of(listing: Mapping[str, Any]) -> Places:
    """The page's places from cases' listing of the community's areas."""
    areas = listing.get("areas", ())
    names = {area["code"]: area["name"] for area in areas}
    units: dict[str, list[Choice]] = {}
    for area in areas:
        if area["kind"] == "unit" and area.get("parent"):
            units.setdefault(area["parent"], []).append(Choice(area["code"], area["name"]))
    buildings = tuple(
        Building(area["code"], area["name"], names.get(area.get("parent") or "", ""),
                 tuple(units.get(area["code"], ())))
        for area in areas
        if area["kind"] == "building"
    )  # fmt: skip
    return Places(
        listing["community_id"], listing.get("name") or listing["community_id"],
        listing.get("timezone") or "Asia/Shanghai", buildings,
    )  # fmt: skip


@dataclass(frozen=True)
class Draft:
    """What a report form says, as its schema read it."""

    category: str
    building: str
    unit: str  # "" for the whole building
    description: str


def draft_errors(
    draft: Draft, places: Places, categories: Iterable[str], photos: int
) -> dict[str, str]:
    """The fields a form got wrong, each with its label key; none when it may be sent."""
    errors: dict[str, str] = {}
    if draft.category not in set(categories):
        errors["category"] = "report_error_category"
    building = places.building(draft.building)
    if building is None:
        errors["building"] = "report_error_building"
    elif draft.unit and draft.unit not in {unit.code for unit in building.units}:
        errors["unit"] = "report_error_unit"
    if not draft.description.strip():
        errors["description"] = "report_error_description"
    if photos > MAX_PHOTOS:
        errors["photo"] = "report_error_photo_count"
    return errors


def case_body(
    community_id: str, draft: Draft, phone: str, photo_ids: Iterable[str]
) -> dict[str, Any]:
    """The report as cases' intake takes it (`POST /v1/cases`): through the scan channel,
    placed at the unit (or the building), the verified number its contact with consent to
    progress messages, the uploaded photos named as attachments."""
    return {
        "description": draft.description.strip(),
        "community_id": community_id,
        "channel": CHANNEL,
        "category": draft.category,
        "location": {"area_code": draft.unit or draft.building},
        "reporter": {"phone": phone, "consent": True},
        "attachments": [f"photo:{photo_id}" for photo_id in photo_ids],
    }


# -- the verified number ---------------------------------------------------------------------


def proof(secret: str, phone: str, community_id: str, now: datetime) -> str:
    """What the report form carries beside the verified number: its end and a keyed
    digest of the number, the community and that end."""
    until = int((now + VERIFIED_FOR).timestamp())
    return f"{until}.{_proof_digest(secret, phone, community_id, until)}"


def proven(secret: str, given: str, phone: str, community_id: str, now: datetime) -> bool:
    """Whether `given` proves `phone` verified for this community, and still does."""
    until_text, _, digest = given.partition(".")
    if not until_text.isdigit() or int(until_text) <= now.timestamp():
        return False
    expected = _proof_digest(secret, phone, community_id, int(until_text))
    return hmac.compare_digest(expected.encode(), digest.encode())


def _proof_digest(secret: str, phone: str, community_id: str, until: int) -> str:
    message = f"verified:{phone}:{community_id}:{until}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# -- one report per form ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentReport:
    """A report form's one report, by the form's key: claimed before anything is sent,
    so a second submit of the form sends nothing, and then the case it became (its id
    and readable number), which the confirmation page shows. No phone number."""

    form_key: str
    community_id: str
    started_at: datetime
    case_id: str | None = None
    number: str | None = None

    @property
    def made(self) -> bool:
        return self.case_id is not None

    def stalled(self, now: datetime) -> bool:
        """Still sending long after it began: whoever sent it died on the way, and the
        form may be sent again."""
        return not self.made and now - self.started_at > STALLED_AFTER
