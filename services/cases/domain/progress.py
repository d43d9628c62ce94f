"""What a resident's progress link shows of a case, and the rating it may give. Plain Python.

A resident has no account: the link of each progress message (lianxin.access.progress_links)
names the case and whom it was sent to — its reporter, or a follower who reported a
duplicate merged into it. The page says where the case stands in plain words (a `stage`,
the steps a resident knows: reported, dispatched, being handled, resolved, closed; or how it
ended: rejected, merged, withdrawn) and what happened when, never who: no staff name,
person id, phone or note (their notes are the community's working record). The resident
sees the text of their report, the place, the resolution, the photos of their report and of
the resolve step (before/after), and the reason given when the case was not taken up.

A private case (a dispute, a care visit: domain/disclosure.py) is about a household: only
its reporter's link shows those details; a follower's shows the stage and the timeline.

The reporter rates a closed case once (回访): the link is their proof, as the key of the
channel that reported it is the app's. A follower's link does not rate, and a case keeps
its one rating even when it is reopened and closed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lianxin.access.progress_links import ProgressReader
from lianxin.privacy import mask_phone
from services.cases.domain import lifecycle
from services.cases.domain.case import By, Case, CaseNotFound, NotPermitted, Outcome
from services.cases.domain.photos import referenced

# The steps of the page's indicator, in order; a case that ended otherwise shows its end
STEPS = ("reported", "dispatched", "handling", "resolved", "closed")
ENDINGS = ("rejected", "merged", "withdrawn")
STAGE_OF_STATE = {
    "reported": "reported",
    "triaged": "reported",
    "dispatched": "dispatched",
    "declined": "dispatched",  # the next volunteer is being found
    "escalated": "dispatched",  # a grid leader or staff arrange it
    "reopened": "dispatched",  # to be done again
    "accepted": "handling",
    "resolved": "resolved",
    "closed": "closed",
    "rated": "closed",
    "rejected": "rejected",
    "merged": "merged",
    "withdrawn": "withdrawn",
}
# What a resident is told of each timeline entry; the rest (a decline, a lapsed offer, a
# note, a time limit, an extension, a duplicate) is the community's working record
EVENT_OF_ACTION = {
    "report": "reported",
    "triage": "accepted",  # 受理: the community took the report up
    "dispatch": "dispatched",
    "assign": "dispatched",
    "accept": "handling",
    "escalate": "escalated",
    "suspend": "waiting",  # on an outside department
    "resume": "resumed",
    "resolve": "resolved",
    "verify": "closed",
    "rate": "rated",
    "reopen": "reopened",
    "reject": "rejected",
    "merge": "merged",
    "withdraw": "withdrawn",
}
PHOTO_STEPS = ("report", "resolve")  # whose photos a resident sees
RATER = "resident"  # the timeline's `by` of a rating given through the progress page


class AlreadyRated(Exception):
    """The case was rated before: a resident rates a case once (409)."""

    def __init__(self, case_id: str):
        super().__init__(f"Case {case_id} is rated already: a case is rated once.")


@dataclass(frozen=True)
class ShownPhoto:
    """A photo the page shows: which one, what it shows, and of which step."""

    id: str
    tag: str
    step: str


def check_reader(case: Case, reader: ProgressReader, reported: Case | None) -> None:
    """The link names this case, and a follower's the duplicate they reported, which was
    merged into it (`reported`, read by its id); anything else is no page (CaseNotFound)."""
    if case.id != reader.case_id:
        raise CaseNotFound(reader.case_id)
    if reader.is_reporter:
        return
    into = (reported.merged_into or {}).get("case_id") if reported else None
    if into != case.id:
        raise CaseNotFound(reader.case_id)


def sees_details(case: Case, reader: ProgressReader) -> bool:
    """A private case's details only for its reporter; any other case's for its readers."""
    return reader.is_reporter or not case.private


def stage(case: Case) -> str:
    return STAGE_OF_STATE.get(case.state, "reported")


def timeline(case: Case) -> list[dict[str, Any]]:
    """What happened and when, a step once when it repeats (a second dispatch after a
    decline is the same news to a resident)."""
    shown: list[dict[str, Any]] = []
    for step in case.timeline:
        event = EVENT_OF_ACTION.get(step.action)
        if event is None or (shown and shown[-1]["event"] == event):
            continue
        shown.append({"at": step.at, "event": event})
    return shown


def photo_steps(case: Case) -> list[tuple[str, str]]:
    """The photos the page may show, `(photo id, step)`: the report's, then each resolve
    step's; never a note's (a working record) nor a link to a file elsewhere."""
    found = [(photo_id, "report") for photo_id in referenced(case.attachments)]
    for step in case.timeline:
        if step.action == "resolve":
            found += [(photo_id, "resolve") for photo_id in referenced(step.attachments)]
    first: dict[str, str] = {}
    for photo_id, step in found:
        first.setdefault(photo_id, step)
    return list(first.items())


def may_rate(case: Case, reader: ProgressReader) -> bool:
    return reader.is_reporter and case.state == "closed" and case.rating is None


def rate(case: Case, reader: ProgressReader, rating: int, comment: str, now: datetime) -> Outcome:
    """The reporter's rating, once per case (the state machine's `rate`, as the reporter)."""
    if not reader.is_reporter:
        raise NotPermitted("Only the resident who reported the case may rate it.")
    if case.rating is not None:
        raise AlreadyRated(case.id)
    by = By(RATER, "progress", reporter_of=reader.case_id)
    return lifecycle.rate(case, by, rating, comment, now)


def progress_view(
    case: Case,
    reader: ProgressReader,
    photos: list[ShownPhoto],
    timezone: str,
) -> dict[str, Any]:
    """The page's content: never a name, person id or note; details as `sees_details`."""
    details = sees_details(case, reader)
    view: dict[str, Any] = {
        "number": case.number,
        "community_id": case.community_id,
        "timezone": timezone,
        "stage": stage(case),
        "reporter": reader.is_reporter,
        "details": details,
        "reported_at": case.reported_at,
        "timeline": timeline(case),
        "merged_into": {"number": case.merged_into["number"]} if case.merged_into else None,
        "may_rate": may_rate(case, reader),
        "rating": _rating(case) if reader.is_reporter else None,
        "category_label": None,
        "description": "",
        "place": "",
        "resolution": None,
        "resolved_at": None,
        "reason": None,
        "photos": [],
    }
    if details:
        view |= {
            "category_label": dict(case.category_label) or None,
            "description": case.masked_description,
            "place": case.masked_place,
            "resolution": mask_phone(case.resolution) if case.resolution else None,
            "resolved_at": case.resolved_at,
            "reason": _rejection(case),
            "photos": [{"id": p.id, "tag": p.tag, "step": p.step} for p in photos],
        }
    return view


def _rating(case: Case) -> dict[str, Any] | None:
    if case.rating is None:
        return None
    return {"rating": case.rating, "comment": mask_phone(case.rating_comment or "")}


def _rejection(case: Case) -> str | None:
    """Why the case was not taken up, as the rejection message told the resident."""
    if case.state != "rejected":
        return None
    rejected = [step for step in case.timeline if step.action == "reject"]
    return mask_phone(rejected[-1].note) if rejected and rejected[-1].note else None


def shown_photo(photo_steps_of_case: list[tuple[str, str]], photo_id: str) -> bool:
    """Whether the page shows this photo: the only photos its routes serve."""
    return any(pid == photo_id for pid, _ in photo_steps_of_case)


def with_tags(
    steps: list[tuple[str, str]], tags: Mapping[str, str]
) -> list[ShownPhoto]:
    """The photos the page shows, with what each shows (`tags`, of those bound to the
    case: a photo not bound to it is not shown)."""
    return [ShownPhoto(pid, tags[pid], step) for pid, step in steps if pid in tags]
