"""What a resident's progress link shows and lets them do (domain/progress.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lianxin.access.progress_links import ProgressReader
from services.cases.domain import lifecycle, progress
from services.cases.domain.case import STATES, CaseNotFound, InvalidTransition, NotPermitted
from services.cases.domain.progress import AlreadyRated, ShownPhoto
from tests.cases.factories import (
    AT,
    STAFF,
    TAXONOMY,
    VOLUNTEER,
    accepted,
    closed,
    dispatched,
    resolved,
    triaged,
)

REPORTER = ProgressReader("LX-1", "LX-1")
FOLLOWER = ProgressReader("LX-1", "LX-2")
LATER = AT + timedelta(days=1)
PHOTO = "photo:ph_" + "a" * 20
WORK = "photo:ph_" + "b" * 20
NOTE_PHOTO = "photo:ph_" + "c" * 20


def test_every_state_has_a_stage_in_plain_words():
    assert set(progress.STAGE_OF_STATE) == STATES
    assert set(progress.STAGE_OF_STATE.values()) == {*progress.STEPS, *progress.ENDINGS}
    stages = [progress.stage(case) for case in (triaged(), dispatched(), accepted(), resolved())]
    assert stages == ["reported", "dispatched", "handling", "resolved"]
    assert progress.stage(closed()) == "closed"


def test_the_timeline_says_what_happened_and_when_never_who_nor_their_notes():
    case = closed(description="楼道灯坏了，联系13807310001")
    shown = progress.timeline(case)
    assert [step["event"] for step in shown] == [
        "reported", "accepted", "dispatched", "handling", "resolved", "closed"
    ]  # fmt: skip
    assert all(set(step) == {"at", "event"} for step in shown)
    view = progress.progress_view(case, REPORTER, [], "Asia/Shanghai")
    said = repr(view)
    for private in ("p-repair-1", "石*", "p-staff-1", "查验合格", "13807310001"):
        assert private not in said


def test_a_second_dispatch_after_a_decline_is_the_same_news():
    case = lifecycle.decline(dispatched(), VOLUNTEER, "不在附近", AT + timedelta(minutes=3)).case
    again = lifecycle.dispatch(case, {**_offer(), "offer_id": "OF-2"}, AT + timedelta(minutes=4))
    events = [step["event"] for step in progress.timeline(again.case)]
    assert events == ["reported", "accepted", "dispatched"]


def test_the_reporter_sees_the_details_and_the_photos_of_the_report_and_the_resolve_step():
    case = _with_photos(closed(attachments=(PHOTO, "https://example.cn/doc.pdf")))
    assert progress.photo_steps(case) == [(PHOTO[6:], "report"), (WORK[6:], "resolve")]
    photos = [ShownPhoto(PHOTO[6:], "report", "report"), ShownPhoto(WORK[6:], "after", "resolve")]
    view = progress.progress_view(case, REPORTER, photos, "Asia/Shanghai")
    assert view["details"] and view["description"] and view["resolution"] == "换了灯泡"
    assert [photo["tag"] for photo in view["photos"]] == ["report", "after"]
    assert not progress.shown_photo(progress.photo_steps(case), NOTE_PHOTO[6:])


def test_a_followers_link_of_a_private_case_shows_the_state_only():
    case = replace(closed(), private=True)
    photos = [ShownPhoto(PHOTO[6:], "report", "report")]
    view = progress.progress_view(case, FOLLOWER, photos, "Asia/Shanghai")
    assert view["stage"] == "closed" and not view["details"]
    assert view["description"] == view["place"] == "" and view["photos"] == []
    assert view["resolution"] is view["category_label"] is view["rating"] is None
    assert progress.progress_view(case, REPORTER, photos, "Asia/Shanghai")["details"]
    assert progress.progress_view(replace(case, private=False), FOLLOWER, [], "UTC")["details"]


def test_a_link_holds_for_its_case_and_a_follower_only_for_a_duplicate_merged_into_it():
    case = closed()
    progress.check_reader(case, REPORTER, None)
    with pytest.raises(CaseNotFound):
        progress.check_reader(case, ProgressReader("LX-9", "LX-9"), None)
    duplicate = replace(triaged(), id="LX-2", state="merged", merged_into={"case_id": "LX-1"})
    progress.check_reader(case, FOLLOWER, duplicate)
    for not_merged in (None, replace(duplicate, merged_into=None),
                       replace(duplicate, merged_into={"case_id": "LX-7"})):  # fmt: skip
        with pytest.raises(CaseNotFound):
            progress.check_reader(case, FOLLOWER, not_merged)


def test_the_reporter_rates_a_closed_case_once():
    case = closed()
    assert progress.may_rate(case, REPORTER) and not progress.may_rate(case, FOLLOWER)
    rated = progress.rate(case, REPORTER, 5, "很及时", LATER)
    assert rated.case.state == "rated" and rated.case.rating == 5
    assert [kind for kind, _ in rated.facts] == ["case.rated"]
    assert rated.case.timeline[-1].by == progress.RATER
    assert not progress.may_rate(rated.case, REPORTER)
    with pytest.raises(AlreadyRated):
        progress.rate(rated.case, REPORTER, 1, "", LATER)


def test_a_case_reopened_and_closed_again_keeps_its_one_rating():
    rated = progress.rate(closed(), REPORTER, 2, "", LATER).case
    reopened = lifecycle.reopen(rated, TAXONOMY, STAFF, "没修好", LATER).case
    again = replace(reopened, state="closed")
    assert not progress.may_rate(again, REPORTER)
    with pytest.raises(AlreadyRated):
        progress.rate(again, REPORTER, 5, "", LATER)


def test_a_follower_does_not_rate_nor_a_case_before_it_is_closed():
    with pytest.raises(NotPermitted):
        progress.rate(closed(), FOLLOWER, 5, "", LATER)
    with pytest.raises(InvalidTransition):
        progress.rate(resolved(), REPORTER, 5, "", LATER)


def test_the_reporters_link_proves_the_reporter_of_its_own_case_only():
    """The state machine's `rate` takes the link's proof for the case it names."""
    other = replace(closed(), id="LX-9")
    with pytest.raises(NotPermitted):
        progress.rate(other, ProgressReader("LX-1", "LX-1"), 5, "", LATER)


def test_a_rejected_case_says_why_with_phone_numbers_masked():
    case = lifecycle.reject(triaged(), STAFF, "不属本社区，请拨 13807310001", LATER).case
    view = progress.progress_view(case, REPORTER, [], "Asia/Shanghai")
    assert view["stage"] == "rejected" and "13807310001" not in view["reason"]
    assert view["reason"].startswith("不属本社区")


def _offer() -> dict:
    from tests.cases.factories import OFFER

    return dict(OFFER)


def _with_photos(case):
    """The case with a work photo on its resolve step and another on a staff note."""
    timeline = [
        replace(step, attachments=(WORK,)) if step.action == "resolve" else step
        for step in case.timeline
    ]
    note = replace(case.timeline[-1], action="note", attachments=(NOTE_PHOTO,))
    return replace(case, timeline=(*timeline, note))
