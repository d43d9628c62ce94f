"""Open311 GeoReport v2, as Lianxin answers it: services from the taxonomy, requests from
cases, the spec's documents in JSON or XML. Plain Python, no I/O.

Where the spec leaves room, the choices are:
- a service is a category (`service_code` = its code, `group` its family); a request is a
  case and `service_request_id` its readable number; the `token` is the case id, and a
  request is created at once, so both come back from POST;
- `jurisdiction_id` is the community; it may be left out when the key covers one;
- `status` is `open` until the case is resolved, rejected, merged or withdrawn;
  `status_notes` says which, `agency_responsible` is the team (or the department a case
  was referred to), `expected_datetime` the time limit to resolve;
- names and notes are Chinese, English with `Accept-Language: en`;
- an `email` or `phone` given with a request means the resident wants progress messages;
- requests are read with a key (its communities, masked but for an admin's) or without
  one: the public view, per `jurisdiction_id`, masked, without the token, never a case of
  a private category (disputes, care) nor one not sorted yet, PUBLIC_ROWS at most. The
  private categories stay in the services list: a resident may report them, they are
  only never published, and their description says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from lianxin.privacy import mask_phone
from services.cases.domain.case import Case
from services.cases.domain.photos import referenced
from services.cases.domain.triage import Category, Taxonomy

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
CLOSED = frozenset({"resolved", "closed", "rated", "rejected", "merged", "withdrawn"})
MAX_ROWS = 1000
PUBLIC_ROWS = 50  # a public listing's page: dumping a community costs many requests
DEFAULT_DAYS = 90  # also the most a public listing may span, as the spec has it
TEXT_FIELDS = ("status_notes", "description", "agency_responsible", "service_notice", "address")
NOT_PUBLISHED = "；不公开 / not published"
# What XML 1.0 cannot carry, whatever a document holds from before intake refused it
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
NOTES = {
    "reported": ("已受理，等待分类", "Received, waiting to be sorted"),
    "triaged": ("已立案，正在派遣", "Registered, being dispatched"),
    "dispatched": ("已派遣给值班志愿者", "Sent to the volunteer on duty"),
    "declined": ("正在重新派遣", "Being sent to another volunteer"),
    "accepted": ("正在处理", "Being dealt with"),
    "escalated": ("已上报处理", "Escalated"),
    "reopened": ("重办中", "Reopened"),
    "resolved": ("已处置，待核查：{resolution}", "Dealt with, to be checked: {resolution}"),
    "closed": ("已办结：{resolution}", "Closed: {resolution}"),
    "rated": ("已办结：{resolution}", "Closed: {resolution}"),
    "rejected": ("已退回：{reason}", "Returned: {reason}"),
    "merged": ("与 {into} 合并办理", "Handled together with {into}"),
    "withdrawn": ("已撤回", "Withdrawn"),
}


class Open311Error(Exception):
    """An error the spec's way: an HTTP status and an array of {code, description}."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status


def language(accept_language: str | None) -> str:
    return "en" if (accept_language or "").lower().startswith("en") else "zh"


def service(category: Category, lang: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name_en if lang == "en" else category.name_zh,
        "description": f"{category.name_zh} / {category.name_en}"
        + (NOT_PUBLISHED if category.private else ""),
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ", ".join(category.code.split(".")),
        "group": category.group,
    }


def services(taxonomy: Taxonomy, lang: str) -> list[dict[str, Any]]:
    return [service(category, lang) for category in taxonomy.categories.values()]


def definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": "",
                "order": attribute.order,
                "description": attribute.description,
                "values": [{"key": key, "name": name} for key, name in attribute.values],
            }
            for attribute in category.attributes
        ],
    }


def attributes(category: Category, raw: Mapping[str, list[str]]) -> tuple[dict[str, Any], str]:
    """The answers to a service's attributes, checked against its definition, and their
    readable text (which triage reads too: "有人受伤" is an emergency)."""
    answers: dict[str, Any] = {}
    said: list[str] = []
    for attribute in category.attributes:
        given = [value for value in raw.get(attribute.code, []) if value != ""]
        if not given:
            if attribute.required:
                raise Open311Error(400, f"attribute[{attribute.code}] is required")
            continue
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            names = dict(attribute.values)
            unknown = [value for value in given if value not in names]
            if unknown or (attribute.datatype == "singlevaluelist" and len(given) > 1):
                raise Open311Error(400, f"attribute[{attribute.code}]: one of {', '.join(names)}")
            answers[attribute.code] = given if attribute.datatype == "multivaluelist" else given[0]
            said.extend(names[value] for value in given)
        elif attribute.datatype == "number":
            try:
                answers[attribute.code] = float(given[0])
            except ValueError:
                raise Open311Error(400, f"attribute[{attribute.code}] must be a number") from None
        else:
            answers[attribute.code] = given[0][:500]
            said.append(given[0][:500])
    return answers, " ".join(said)


def form_attributes(form: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """`attribute[code]=v` and `attribute[code][]=v` fields, by code."""
    found: dict[str, list[str]] = {}
    for name, value in form:
        match = re.fullmatch(r"attribute\[([A-Za-z0-9_.-]{1,64})\](\[\])?", name)
        if match:
            found.setdefault(match.group(1), []).append(value)
    return found


def status(state: str) -> str:
    return "closed" if state in CLOSED else "open"


def is_public(case: Case, taxonomy: Taxonomy) -> bool:
    """Whether the public may see the case: sorted, and into a category that is not private."""
    return case.category in taxonomy.public_categories


def public_view(case: Case, taxonomy: Taxonomy, lang: str, media: str = "") -> dict[str, Any]:
    """A request as anyone may read it: masked, and without the token (the case's id)."""
    view = request_view(case, taxonomy, lang, media)
    del view["token"]
    return view


def request_view(
    case: Case, taxonomy: Taxonomy, lang: str, media: str = "", unmasked: bool = False
) -> dict[str, Any]:
    """A request as a key reads it: every text masked (phone numbers) but for an admin.
    `media` is where the photos of requests are served (MEDIA_PATH under the endpoint's
    address), so that `media_url` is a link anyone who may read the request can open."""
    view = _request(case, taxonomy, lang, media)
    if not unmasked:
        view |= {name: mask_phone(view[name]) for name in TEXT_FIELDS if view[name]}
    return view


def _request(case: Case, taxonomy: Taxonomy, lang: str, media: str) -> dict[str, Any]:
    category = taxonomy.categories.get(case.category)
    location = case.location
    return {
        "service_request_id": case.number,
        "token": case.id,
        "status": status(case.state),
        "status_notes": status_notes(case, lang),
        "service_name": (category.name_en if lang == "en" else category.name_zh)
        if category
        else None,
        "service_code": case.category or None,
        "description": case.description,
        "agency_responsible": agency(case, taxonomy, lang),
        "service_notice": notice(case, lang),
        "requested_datetime": _time(case.reported_at),
        "updated_datetime": _time(case.timeline[-1].at if case.timeline else case.reported_at),
        "expected_datetime": _time(case.resolve_by),
        "address": case.place or location.get("address"),
        "address_id": location.get("area_code"),
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": media_url(case, media),
    }


def media_url(case: Case, media: str) -> str | None:
    """The report's first photo as the media address serves it, or the first link the
    report came with (Open311's own `media_url`)."""
    photo_ids = referenced(case.attachments)
    if photo_ids:
        return f"{media}/{photo_ids[0]}"
    links = [attachment for attachment in case.attachments if attachment.startswith("http")]
    return links[0] if links else None


def status_notes(case: Case, lang: str) -> str:
    text = NOTES[case.state][1 if lang == "en" else 0]
    last = case.timeline[-1].note if case.timeline else ""
    into = (case.merged_into or {}).get("number", "")
    return text.format(resolution=case.resolution or "", reason=last, into=into).rstrip(": ：")


def agency(case: Case, taxonomy: Taxonomy, lang: str) -> str | None:
    department = ((case.escalation or {}).get("target") or {}).get("department")
    if department:
        return department
    return taxonomy.team_name(case.team, lang) if case.team else None


def notice(case: Case, lang: str) -> str | None:
    if case.emergency:
        call = case.emergency["call"]
        return f"Emergency: call {call} now." if lang == "en" else f"紧急情况，请立即拨打{call}。"
    if case.merged_into:
        number = case.merged_into["number"]
        return (
            f"Already reported as {number}."
            if lang == "en"
            else f"已有人反映，合并至{number}办理。"
        )
    return None


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": "2026-11-21T00:00:00Z",
        "contact": "社区网格服务中心 / community grid service centre",
        "key_service": "API keys are issued by the community's administrator.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": "2026-11-21T00:00:00Z",
                "type": "production",
                "formats": list(MEDIA_TYPES.values()),
            }
        ],
    }


def errors(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def to_xml(root: str, value: Any) -> bytes:
    """The spec's XML: lists as repeated elements (`services` holds `service`s)."""
    element = ElementTree.Element(root)
    _fill(element, root, value)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def _fill(element: ElementTree.Element, tag: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, list):
        child_tag = LIST_ITEMS.get(tag, "item")
        for item in value:
            _fill(ElementTree.SubElement(element, child_tag), child_tag, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("\ufffd", str(value))


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
