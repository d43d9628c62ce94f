"""A resident's progress link on the in-memory store (app/progress.py): the page it
reads, the rating it gives once, the photos it reaches — and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lianxin.access.progress_links import ProgressLinks
from services.cases.app import actions, photos, progress
from services.cases.domain import lifecycle
from services.cases.domain.case import CaseNotFound, NotPermitted
from services.cases.domain.intake import Report
from services.cases.domain.photos import PhotoNotFound, Uploader, reference
from services.cases.domain.progress import AlreadyRated
from tests.cases.app.test_photos import jpeg_with_gps
from tests.cases.factories import AT, OFFER, REPORTER, STAFF, VOLUNTEER

EVERYWHERE = lambda _: True  # noqa: E731
APP = Uploader("k-hotline", None)
WORKER = Uploader("k-app", "p-repair-1")
LATER = AT + timedelta(days=1)


def reported(parts, description: str = "5栋2单元楼道灯坏了", attachments=()):
    report = Report(
        community_id="jingxiang",
        description=description,
        channel="hotline",
        location={"grid_id": "g1", "area_code": "e1-b5-u2"},
        attachments=tuple(attachments),
    )
    case = parts.intake.report(report, REPORTER, EVERYWHERE, None, "corr-1", AT)[0]
    photos.attach(parts.photos, attachments, case.id, case.community_id, APP)
    return case


def uploaded(parts, uploader: Uploader, tag: str = "report") -> str:
    (photo,) = photos.upload(
        parts.photos, [jpeg_with_gps(64, 48)], "jingxiang", tag, uploader, EVERYWHERE, AT
    )
    return reference(photo.id)


def closed_with_work_photo(parts, case):
    """Dispatched, accepted, resolved with an `after` photo, and verified."""
    work = uploaded(parts, WORKER, "after")
    steps = (
        lambda c, at: lifecycle.dispatch(c, OFFER, at),
        lambda c, at: lifecycle.accept(c, VOLUNTEER, at),
        lambda c, at: lifecycle.resolve(c, VOLUNTEER, "换了灯泡", 1.0, (work,), at),
        lambda c, at: lifecycle.verify(c, STAFF, "", at),
    )
    for step in steps:
        case = actions.act(parts.store, case.id, EVERYWHERE, None, AT, step)
    photos.attach(parts.photos, (work,), case.id, case.community_id, WORKER)
    return case, work


def reader(case_id: str, reported: str | None = None):
    links = ProgressLinks("test-token-secret-0123456789")
    return progress.reader_of(links, links.token(case_id, reported or case_id, AT), AT)


def test_the_reporter_reads_the_page_and_its_photos_and_rates_once(parts, published):
    mine = uploaded(parts, APP)
    case, work = closed_with_work_photo(parts, reported(parts, attachments=(mine,)))
    link = reader(case.id)
    page = progress.view(parts.store, parts.photos, link)
    assert page["stage"] == "closed" and page["may_rate"] and page["timezone"] == "Asia/Shanghai"
    assert [(p["tag"], p["step"]) for p in page["photos"]] == [("report", "report"),
                                                               ("after", "resolve")]  # fmt: skip
    for photo_id in (mine[6:], work[6:]):
        shown, content = progress.photo(parts.store, parts.photos, link, photo_id, "thumb")
        assert shown.case_id == case.id and content
    rated = progress.rate(parts.store, link, {"rating": 5, "comment": "好"}, None, LATER, "k1")
    assert rated.state == "rated" and rated.rating == 5
    # the same form again (its key) answers the case as it is; another form is refused
    again = progress.rate(parts.store, link, {"rating": 1}, None, LATER, "k1")
    assert again.rating == 5 and again.version == rated.version
    with pytest.raises(AlreadyRated):
        progress.rate(parts.store, link, {"rating": 1}, None, LATER, "k2")
    assert published.event_types().count("case.rated") == 1


def test_a_photo_the_page_does_not_show_is_not_found(parts):
    case, _ = closed_with_work_photo(parts, reported(parts))
    elsewhere = reported(parts, "另一件事：3栋门禁坏了", attachments=(uploaded(parts, APP),))
    staff = Uploader("k-staff", "p-staff-1")
    staff_note = uploaded(parts, staff)
    noting = lambda c, at: lifecycle.add_note(c, STAFF, "看过了", (staff_note,), at)  # noqa: E731
    actions.act(parts.store, case.id, EVERYWHERE, None, AT, noting)
    photos.attach(parts.photos, (staff_note,), case.id, "jingxiang", staff)
    link = reader(case.id)
    for photo_id in (elsewhere.attachments[0][6:], staff_note[6:], "ph_" + "x" * 20):
        with pytest.raises(PhotoNotFound):
            progress.photo(parts.store, parts.photos, link, photo_id, "full")


def test_a_followers_link_needs_its_duplicate_merged_into_the_case_and_does_not_rate(parts):
    case, _ = closed_with_work_photo(parts, reported(parts))
    other = reported(parts, "又一件：5栋的楼道灯也坏了")
    with pytest.raises(CaseNotFound):  # not merged into it
        progress.view(parts.store, parts.photos, reader(case.id, other.id))
    open_case = reported(parts, "3栋2单元门口堆满杂物")
    duplicate = reported(parts, "3栋2单元门口的杂物")  # the same place: intake merges it
    assert duplicate.merged_into["case_id"] == open_case.id
    follower = reader(open_case.id, duplicate.id)
    assert progress.view(parts.store, parts.photos, follower)["reporter"] is False
    with pytest.raises(NotPermitted):
        progress.rate(parts.store, follower, {"rating": 5}, None, LATER, None)


def test_an_unknown_case_and_a_forged_link_are_the_same_not_found(parts):
    with pytest.raises(CaseNotFound):
        progress.view(parts.store, parts.photos, reader("LX-NOSUCHCASE0000"))
    links = ProgressLinks("another-secret-0123456789")
    with pytest.raises(CaseNotFound):
        progress.reader_of(ProgressLinks("test-token-secret-0123456789"),
                           links.token("LX-1", "LX-1", AT), AT)  # fmt: skip
