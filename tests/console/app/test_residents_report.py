"""A resident's report on the in-memory store, the other services a recording twin of the
residents' client: the code goes to the number, a right code proves it, the form makes one
case through the scan channel whatever is sent twice, and every limit holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.console.apis import ApiError
from services.console.app import residents_report, sign_in
from services.console.app.residents_report import (
    DraftRefused,
    ReportForm,
    TooManyReports,
    Unverified,
)
from services.console.app.sign_in import Asked, Refused
from services.console.domain import limits
from services.console.domain.residents_report import STALLED_AFTER, Draft, SentReport, proof
from tests.console.conftest import SECRET
from tests.console.domain.test_residents_report import LISTING

NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
PHONE = "13900001111"
ADDRESS = "10.0.0.9"
GOOD = Draft("facility.lighting", "jx-b5", "jx-b5-u2", "5栋2单元楼道灯不亮")


class Residents:
    """cases and notify as the residents' client reaches them: what each was asked."""

    def __init__(self):
        self.codes: list[tuple[str, str, str]] = []
        self.uploads: list[list[bytes]] = []
        self.reports: list[tuple[dict, str]] = []
        self.refuse_codes: ApiError | None = None
        self.refuse_report: ApiError | None = None

    def community_places(self, token, community_id):
        return LISTING if community_id == "jx" else None

    def categories(self, token):
        return [{"code": "facility.lighting", "name": {"zh": "路灯", "en": "Lighting"}}]

    def send_verification_code(self, community_id, phone, code):
        if self.refuse_codes is not None:
            raise self.refuse_codes
        self.codes.append((community_id, phone, code))

    def upload_photos(self, token, community_id, tag, photos):
        assert token is None and tag == "report"  # a resident has no account
        self.uploads.append(photos)
        return [{"id": f"ph_{len(self.uploads)}_{n}"} for n in range(len(photos))]

    def report_case(self, body, idempotency_key) -> dict[str, Any]:
        if self.refuse_report is not None:
            raise self.refuse_report
        self.reports.append((body, idempotency_key))
        number = f"JX-20260306-{len(self.reports):04d}"
        return {"id": "LX-" + idempotency_key[-6:], "number": number}


@pytest.fixture
def residents() -> Residents:
    return Residents()


@pytest.fixture
def page(residents):
    return residents_report.report_page(residents, "jx", "zh")


def ask(store, residents, phone=PHONE, address=ADDRESS, at=NOW):
    return residents_report.ask_for_code(store, residents, SECRET, "jx", phone, address, at)


def form(key="k" * 22, phone=PHONE, draft=GOOD, at=NOW) -> ReportForm:
    return ReportForm(key, phone, proof(SECRET, phone, "jx", at), draft)


def send(store, residents, page, sent_form=None, photos=(), address=ADDRESS, at=NOW):
    return residents_report.send_report(
        store, residents, SECRET, page, sent_form or form(), list(photos), address, at
    )


def test_the_code_goes_to_the_number_and_a_right_code_proves_it(memory_store, residents):
    assert ask(memory_store, residents) is Asked.SENT
    [(community, phone, code)] = residents.codes
    assert (community, phone) == ("jx", PHONE)
    given = residents_report.verify(memory_store, SECRET, "jx", "139 0000 1111", code, ADDRESS, NOW)
    assert given == proof(SECRET, PHONE, "jx", NOW)
    with pytest.raises(Refused) as again:  # a code proves once
        residents_report.verify(memory_store, SECRET, "jx", PHONE, code, ADDRESS, NOW)
    assert again.value.outcome == "none"


def test_a_wrong_code_is_refused_and_five_lock_the_code(memory_store, residents):
    ask(memory_store, residents)
    [(_, _, code)] = residents.codes
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    outcomes = []
    for _ in range(5):
        with pytest.raises(Refused) as refused:
            residents_report.verify(memory_store, SECRET, "jx", PHONE, wrong, ADDRESS, NOW)
        outcomes.append(refused.value.outcome)
    assert outcomes == ["wrong"] * 4 + ["locked"]
    with pytest.raises(Refused):
        residents_report.verify(memory_store, SECRET, "jx", PHONE, code, ADDRESS, NOW)


def test_a_residents_code_is_not_a_sign_in_code(memory_store, residents):
    """Kept apart: a resident's code neither replaces nor signs in as a staff member's."""
    ask(memory_store, residents)
    [(_, _, code)] = residents.codes
    with pytest.raises(Refused):
        sign_in.sign_in(memory_store, SECRET, PHONE, code, ADDRESS, NOW)


def test_codes_to_a_number_count_with_its_sign_in_codes(memory_store, residents):
    class Nobody:
        def send_sign_in_code(self, person_id, code):
            raise AssertionError("a number of nobody is never texted a sign-in code")

    for _ in range(limits.CODES_PER_PHONE.count - 1):
        assert sign_in.ask_for_code(memory_store, Nobody(), SECRET, PHONE, "10.0.0.1", NOW) is (
            Asked.SENT
        )
    assert ask(memory_store, residents) is Asked.SENT
    assert ask(memory_store, residents, address="10.0.0.2") is Asked.LIMITED
    assert len(residents.codes) == 1
    later = NOW + timedelta(seconds=limits.CODES_PER_PHONE.window_seconds)
    assert ask(memory_store, residents, at=later) is Asked.SENT


def test_codes_from_one_address_are_limited_across_numbers(memory_store, residents):
    for n in range(limits.REPORT_CODES_PER_ADDRESS.count):
        assert ask(memory_store, residents, phone=f"1390000{n:04d}") is Asked.SENT
    assert ask(memory_store, residents, phone="13700000000") is Asked.LIMITED


def test_notifys_own_limit_answers_as_the_consoles(memory_store, residents):
    residents.refuse_codes = ApiError(429, "too_many_codes")
    assert ask(memory_store, residents) is Asked.LIMITED
    assert ask(memory_store, residents, phone="abc") is Asked.INVALID


def test_a_form_makes_one_case_through_the_scan_channel_however_often_it_is_sent(
    memory_store, residents, page
):
    photos = [b"jpeg-1", b"jpeg-2"]
    made = send(memory_store, residents, page, photos=photos)
    again = send(memory_store, residents, page, photos=photos, at=NOW + timedelta(seconds=3))
    assert again == made and made.made and made.number == "JX-20260306-0001"
    assert residents.uploads == [photos]  # uploaded once
    [(body, key)] = residents.reports
    assert key == f"scan-{'k' * 22}" and body["channel"] == "scan"
    assert body["attachments"] == ["photo:ph_1_0", "photo:ph_1_1"]
    assert body["reporter"] == {"phone": PHONE, "consent": True}
    assert residents_report.receipt(memory_store, "jx", made.form_key) == made
    assert residents_report.receipt(memory_store, "yl", made.form_key) is None


def test_an_unproven_number_reports_nothing(memory_store, residents, page):
    late = form(at=NOW - timedelta(hours=1))  # its proof ran out
    moved = ReportForm("k" * 22, "13900002222", form().proof, GOOD)  # another number's
    for sent in (late, moved):
        with pytest.raises(Unverified):
            send(memory_store, residents, page, sent)
    assert residents.reports == [] and residents.uploads == []


def test_a_wrong_field_reports_nothing_and_counts_no_report(memory_store, residents, page):
    wrong = form(draft=Draft("facility.lighting", "jx-b3", "jx-b5-u2", "灯"))
    for _ in range(limits.REPORTS_PER_PHONE.count + 1):
        with pytest.raises(DraftRefused) as refused:
            send(memory_store, residents, page, wrong)
    assert refused.value.fields == {"unit": "report_error_unit"}
    assert residents.reports == []
    assert send(memory_store, residents, page).made  # no limit was used up


def test_a_number_makes_five_reports_a_day(memory_store, residents, page):
    for n in range(limits.REPORTS_PER_PHONE.count):
        send(memory_store, residents, page, form(key=f"{n}" * 22), address=f"10.0.1.{n}")
    with pytest.raises(TooManyReports):
        send(memory_store, residents, page, form(key="x" * 22), address="10.0.2.1")
    assert len(residents.reports) == limits.REPORTS_PER_PHONE.count


def test_one_address_makes_thirty_reports_an_hour(memory_store, residents, page):
    for n in range(limits.REPORTS_PER_ADDRESS.count):
        send(memory_store, residents, page, form(key=f"k{n:021d}", phone=f"1390000{n:04d}"))
    with pytest.raises(TooManyReports):
        send(memory_store, residents, page, form(key="y" * 22, phone="13700000000"))


def test_a_photo_cases_refuses_is_the_forms_error_and_the_form_may_be_sent_again(
    memory_store, residents, page
):
    residents.refuse_report = ApiError(400, "invalid_request", fields={"photo": ["Not a JPEG."]})
    with pytest.raises(DraftRefused) as refused:
        send(memory_store, residents, page, photos=[b"not-a-photo"])
    assert refused.value.fields == {"photo": "report_error_photo"}
    residents.refuse_report = None
    assert send(memory_store, residents, page, photos=[b"jpeg"]).made


def test_a_report_whose_sender_died_is_taken_over(memory_store, residents, page):
    stalled = SentReport("k" * 22, "jx", NOW)
    assert memory_store.claim_report(stalled, NOW) is None
    later = NOW + STALLED_AFTER + timedelta(seconds=1)
    assert send(memory_store, residents, page, form(at=later), at=later).made


def test_a_form_key_of_another_communitys_report_makes_nothing_here(memory_store, residents, page):
    memory_store.claim_report(SentReport("k" * 22, "yl", NOW, "LX-9", "YL-1"), NOW)
    with pytest.raises(DraftRefused):
        send(memory_store, residents, page)
    assert residents.reports == []


def test_an_unknown_community_has_no_page(residents):
    with pytest.raises(residents_report.CommunityUnknown):
        residents_report.report_page(residents, "nowhere", "zh")


class Counting(Residents):
    def __init__(self):
        super().__init__()
        self.reads = 0

    def community_places(self, token, community_id):
        self.reads += 1
        return super().community_places(token, community_id)


def test_a_communitys_page_is_read_from_cases_at_most_once_a_minute():
    residents, pages = Counting(), residents_report.ReportPages(seconds=60)
    first = pages.page(residents, "jx", "zh", now=1000.0)
    assert pages.page(residents, "jx", "zh", now=1059.0) is first and residents.reads == 1
    for _ in range(3):  # a scanner's made-up community: asked of cases once a minute too
        with pytest.raises(residents_report.CommunityUnknown):
            pages.page(residents, "nowhere", "zh", now=1001.0)
    assert residents.reads == 2
    pages.page(residents, "jx", "zh", now=1060.0)
    assert residents.reads == 3


def test_the_kept_pages_never_grow_past_their_limit():
    residents, pages = Counting(), residents_report.ReportPages(limit=10)
    for n in range(25):
        with pytest.raises(residents_report.CommunityUnknown):
            pages.page(residents, f"made-up-{n}", "zh", now=0.0)
    assert len(pages.kept) <= 10
