"""The cases JSON API on the running services: intake, reading and listing, every action
with the person taken from the key or token, and what it refuses."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from lianxin.access.tokens import TOKEN_SALT
from tests.e2e.cases_support import People, as_roster, offer
from tests.e2e.conftest import (
    TOKEN_SECRET,
    client,
    community,
    ensure_community,
    get_case,
    report_body,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crew(stack, keys) -> People:
    return People(stack, keys, community("api"))


def cases_url(stack, path: str = "") -> str:
    return f"{stack.url('cases')}/v1/cases{path}"


# Intake and reading


def test_a_report_gets_a_readable_number_and_reads_back_identically_by_id_and_number(stack, crew):
    case = crew.report(reporter={"name": "李大爷", "phone": "13812345678"})
    prefix, day, sequence = case["number"].split("-")
    assert prefix == crew.place.replace("-", "").upper()[:8] and len(sequence) == 4
    reported = datetime.fromisoformat(case["reported_at"])  # its day: Beijing's, not UTC's
    assert day == reported.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    assert case["state"] == "triaged" and case["category"] == "facility.lighting"
    assert case["reporter"] == {"name": "李**", "phone": "138****5678", "email": None}
    by_id = requests.get(cases_url(stack, f"/{case['id']}"), headers=crew.hotline, timeout=5).json()
    by_number = requests.get(
        cases_url(stack, f"/{case['number']}"), headers=crew.hotline, timeout=5
    ).json()
    assert by_id["reported_at"] == by_number["reported_at"] == case["reported_at"]
    assert by_id["id"] == by_number["id"] == case["id"]


def test_numbers_run_on_per_community_and_day_under_concurrent_intake(stack, keys):
    team = People(stack, keys, community("num"))
    ensure_community(stack, team.place)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda i: requests.post(
                    cases_url(stack),
                    json=report_body(team.place, description=f"17栋{i}楼楼道灯坏了"),
                    headers=team.hotline,
                    timeout=30,
                ),
                range(8),
            )
        )
    assert [answer.status_code for answer in answers] == [201] * 8
    tails = sorted(int(answer.json()["number"].rsplit("-", 1)[1]) for answer in answers)
    assert tails == list(range(1, 9))


def test_the_listing_filters_pages_by_cursor_and_shows_only_the_keys_communities(stack, keys):
    team = People(stack, keys, community("list"))
    ids = [team.report(description=f"{i}号楼道灯坏了")["id"] for i in range(5)]
    noise = team.report(description="半夜装修，电钻声吵得睡不着")["id"]
    seen, cursor = [], None
    while True:
        page = requests.get(
            cases_url(stack),
            params={
                "community_id": team.place,
                "limit": 2,
                **({"cursor": cursor} if cursor else {}),
            },
            headers=team.hotline,
            timeout=5,
        ).json()
        seen += [case["id"] for case in page["cases"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [noise, *reversed(ids)]  # newest first, each once
    only_noise = requests.get(
        cases_url(stack),
        params={"community_id": team.place, "category": "civility.noise"},
        headers=team.hotline,
        timeout=5,
    ).json()["cases"]
    assert [case["id"] for case in only_noise] == [noise]
    other = People(stack, keys, community("list"))
    theirs = requests.get(cases_url(stack), headers=other.hotline, timeout=5).json()["cases"]
    assert all(case["community_id"] == other.place for case in theirs)
    refused = requests.get(
        cases_url(stack), params={"cursor": "not-a-cursor"}, headers=team.hotline, timeout=5
    )
    assert refused.status_code == 400 and "cursor" in refused.json()["error"]["fields"]


def test_the_taxonomy_and_the_areas_are_there_for_integrators(stack, crew):
    categories = requests.get(
        f"{stack.url('cases')}/v1/categories", headers=crew.hotline, timeout=5
    )
    lighting = next(c for c in categories.json()["categories"] if c["code"] == "facility.lighting")
    assert (
        lighting["team"] == "repair_crew" and lighting["limits"]["normal"]["accept_minutes"] == 30
    )
    private = {c["code"] for c in categories.json()["categories"] if c["private"]}
    assert "dispute.family" in private and "facility.lighting" not in private
    ensure_community(stack, crew.place)
    areas = requests.get(
        f"{stack.url('cases')}/v1/areas/{crew.place}", headers=crew.hotline, timeout=5
    ).json()
    unit = next(area for area in areas["areas"] if area["code"] == "jx-e1-b5-u2")
    assert unit["grid_id"] == "jingxiang-g1" and unit["name"] == "2单元"


def test_a_reporting_key_reads_what_a_report_may_name_and_nothing_else(stack, keys, crew):
    """A scan-to-report page (the console's residents' key: `report` alone) lists the
    categories and its community's places; it reads no case, and another community's
    places are as unknown as a community that does not exist."""
    ensure_community(stack, crew.place)
    reporting = client(keys.issue(["report"], [crew.place], name="reporting-only"))
    categories = reporting.get(f"{stack.url('cases')}/v1/categories", timeout=5)
    assert categories.status_code == 200 and categories.json()["categories"]
    areas = reporting.get(f"{stack.url('cases')}/v1/areas/{crew.place}", timeout=5)
    assert areas.status_code == 200
    assert any(area["code"] == "jx-e1-b5-u2" for area in areas.json()["areas"])
    assert reporting.get(f"{stack.url('cases')}/v1/areas/jingxiang", timeout=5).status_code == 404
    case = crew.report()
    assert reporting.get(cases_url(stack, f"/{case['id']}"), timeout=5).status_code == 403


def test_a_report_is_located_by_area_code_point_or_address(stack, crew):
    by_code = crew.report(location={"area_code": "jx-e2-b17-u1"})
    assert (by_code["grid_id"], by_code["place"]) == ("jingxiang-g2", "井湘北苑17栋1单元")
    by_point = crew.report(location={"lat": 28.1330, "lon": 113.0150}, description="40栋门口垃圾")
    assert by_point["grid_id"] == "jingxiang-g3"
    by_address = crew.report(location={"address": "井湘北苑18栋门口"}, description="有狗没拴绳")
    assert by_address["grid_id"] == "jingxiang-g2"


def test_an_emergency_is_answered_with_the_number_to_call_and_escalated_at_once(stack, crew):
    case = crew.report(description="3栋楼道里着火了，浓烟很大")
    assert case["emergency"] == {"kind": "fire", "call": "119"}
    assert case["state"] == "escalated" and case["escalation"]["level"] == "community_staff"


def test_what_cannot_be_mapped_waits_for_staff_to_triage_it(stack, crew):
    case = crew.report(description="说不清楚是什么问题，你们来看看吧")
    assert case["state"] == "reported" and case["category"] == ""
    queue = requests.get(
        cases_url(stack),
        params={"community_id": crew.place, "state": "reported"},
        headers=crew.hotline,
        timeout=5,
    ).json()["cases"]
    assert case["id"] in [item["id"] for item in queue]
    volunteer = crew.volunteer(crew.id("repair-1"))
    assert (
        crew.post(case["id"], "triage", volunteer, {"category": "general.other"}).status_code == 403
    )
    triaged = crew.post(case["id"], "triage", crew.staff, {"category": "environment.litter"})
    assert triaged.status_code == 200
    assert (triaged.json()["state"], triaged.json()["team"]) == ("triaged", "green_vests")


# Actions


def test_a_case_goes_from_dispatch_to_rating_with_each_person_from_their_credentials(stack, crew):
    case, volunteer = crew.taken(crew.report()["id"])
    accepted = crew.post(case["id"], "accept", volunteer, {"note": "马上到"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    resolved = crew.post(
        case["id"],
        "resolve",
        volunteer,
        {
            "resolution": "换了灯泡",
            "volunteer_hours": 1.5,
            "attachments": ["https://img.example.cn/after.jpg"],
        },
    )
    assert resolved.json()["state"] == "resolved" and resolved.json()["volunteer_hours"] == 1.5
    closed = crew.post(case["id"], "verify", crew.staff, {"note": "已查验"})
    assert closed.json()["state"] == "closed"
    rated = crew.post(case["id"], "rate", crew.hotline, {"rating": 5, "comment": "很及时"})
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    steps = [(step["action"], step["by"], step["channel"]) for step in rated.json()["timeline"]]
    assert ("accept", case["assignee"], "api") in steps
    assert ("verify", crew.staff_id, "api") in steps
    assert rated.json()["timeline"][-2]["attachments"] == []
    resolve_step = next(step for step in rated.json()["timeline"] if step["action"] == "resolve")
    assert resolve_step["attachments"] == ["https://img.example.cn/after.jpg"]


def test_the_person_is_never_taken_from_the_body(stack, crew):
    case, _ = crew.taken(crew.report()["id"])
    body = {"person_id": case["assignee"]}
    no_person = crew.post(case["id"], "accept", {"X-Api-Key": crew.app_key}, body)
    assert no_person.status_code == 400  # person_id is not a field of the body
    no_person = crew.post(case["id"], "accept", {"X-Api-Key": crew.app_key})
    assert no_person.status_code == 403  # a key alone names no person
    stranger = crew.post(case["id"], "accept", crew.volunteer(crew.id("repair-7")))
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "not_assignee"
    assert get_case(stack, case["id"])["state"] == "dispatched"


def test_a_forged_or_expired_person_token_is_refused(stack, crew):
    case, volunteer = crew.taken(crew.report()["id"])
    token = volunteer["X-Lianxin-Person"]
    forged = {
        **volunteer,
        "X-Lianxin-Person": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
    }
    refused = crew.post(case["id"], "accept", forged)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    claims = {"p": case["assignee"], "r": "volunteer", "c": [crew.place]}
    stale = URLSafeTimedSerializer(TOKEN_SECRET, salt=TOKEN_SALT, signer=SignedLongAgo).dumps(
        claims
    )
    expired = crew.post(case["id"], "accept", {**volunteer, "X-Lianxin-Person": stale})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    assert get_case(stack, case["id"])["state"] == "dispatched"


class SignedLongAgo(TimestampSigner):
    """Signs with the services' own secret, dated past the 12 hours a token lives."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 13 * 3600


def test_a_decline_goes_back_to_roster_and_the_next_offer_dispatches_it_again(stack, crew):
    case, volunteer = crew.taken(crew.report()["id"])
    declined = crew.post(case["id"], "decline", volunteer, {"reason": "在外地"})
    assert declined.json()["state"] == "declined" and declined.json()["assignee"] is None
    as_roster(stack, offer(case["id"], person_id=crew.id("repair-2"), attempt=2))  # or roster

    def dispatched_again():
        current = get_case(stack, case["id"])
        actions = [step["action"] for step in current["timeline"]]
        again = "dispatch" in actions[actions.index("decline") :]
        return current["state"] == "dispatched" and again and current

    again = wait_until("the next offer", dispatched_again)
    assert again["assignee"] not in (None, case["assignee"])


def test_concurrent_accepts_on_one_case_apply_exactly_once(stack, crew):
    case, volunteer = crew.taken(crew.report()["id"])

    def accept(_):
        for _attempt in range(20):
            answer = crew.post(case["id"], "accept", volunteer)
            if answer.status_code != 503:
                return answer.status_code
        return 503

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(accept, range(10)))
    assert statuses == [200] + [409] * 9
    timeline = get_case(stack, case["id"])["timeline"]
    assert [step["action"] for step in timeline].count("accept") == 1


def test_suspension_moves_the_time_limit_on_by_the_pause(stack, crew):
    case, _ = crew.accepted()
    suspended = crew.post(case["id"], "suspend", crew.staff, {"reason": "等自来水公司"})
    assert suspended.json()["suspended"] is True
    resumed = crew.post(case["id"], "resume", crew.staff, {"note": "水公司已处理"})
    before = datetime.fromisoformat(case["resolve_by"])
    after = datetime.fromisoformat(resumed.json()["resolve_by"])
    assert resumed.json()["suspended"] is False and after > before
    again = crew.post(case["id"], "resume", crew.staff, {})
    assert again.status_code == 409


def test_an_extension_is_asked_by_the_assignee_and_decided_by_staff(stack, crew):
    case, volunteer = crew.accepted()
    until = (datetime.fromisoformat(case["resolve_by"]) + timedelta(days=2)).isoformat()
    asked = crew.post(case["id"], "extension", volunteer, {"until": until, "reason": "等配件"})
    assert asked.status_code == 200 and asked.json()["extension"]["state"] == "pending"
    not_staff = crew.post(case["id"], "extension/decision", volunteer, {"approved": True})
    assert not_staff.status_code == 403
    approved = crew.post(case["id"], "extension/decision", crew.staff, {"approved": True})
    assert approved.json()["resolve_by"] == asked.json()["extension"]["until"]
    twice = crew.post(case["id"], "extension/decision", crew.staff, {"approved": False})
    assert twice.status_code == 409


def test_reopen_reject_withdraw_and_merge_each_answer_409_when_they_do_not_fit(stack, crew):
    case, _ = crew.resolved()
    reopened = crew.post(case["id"], "reopen", crew.staff, {"reason": "灯又坏了"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "reopened" and reopened.json()["reopen_count"] == 1
    withdrawn = crew.post(crew.report()["id"], "withdraw", crew.hotline, {"reason": "已自行处理"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    again = crew.post(withdrawn.json()["id"], "withdraw", crew.hotline, {"reason": "x"})
    assert again.status_code == 409 and again.json()["error"]["state"] == "withdrawn"
    rejected = crew.post(crew.report()["id"], "reject", crew.staff, {"reason": "不属于社区职责"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    first = crew.report(location={"grid_id": "jingxiang-g3"}, description="40栋门口堆了建筑垃圾")
    # from the manual triage queue (roster has not offered it): staff see it is the same
    second = crew.report(location={"grid_id": "jingxiang-g3"}, description="40栋门口那个事情")
    assert second["state"] == "reported"
    merged = crew.post(second["id"], "merge", crew.staff, {"into": first["number"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["state"] == "merged"
    assert merged.json()["merged_into"] == {"case_id": first["id"], "number": first["number"]}
    assert get_case(stack, first["id"])["duplicates"] == 1


# Duplicates


def test_concurrent_reports_of_one_problem_at_one_place_open_one_case(stack, keys):
    team = People(stack, keys, community("dup"))
    ensure_community(stack, team.place)
    body = report_body(
        team.place,
        description="5栋2单元楼道堆满杂物，堵住了消防通道",
        location={"area_code": "jx-e1-b5-u2"},
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda _: requests.post(
                    cases_url(stack), json=body, headers=team.hotline, timeout=30
                ),
                range(6),
            )
        )
    assert [answer.status_code for answer in answers] == [201] * 6
    cases = [answer.json() for answer in answers]
    opened = [case for case in cases if case["state"] != "merged"]
    assert len(opened) == 1
    assert {case["merged_into"]["case_id"] for case in cases if case["state"] == "merged"} == {
        opened[0]["id"]
    }
    assert get_case(stack, opened[0]["id"])["duplicates"] == 5
    elsewhere = team.report(description="17栋楼道堆满杂物", location={"area_code": "jx-e2-b17-u1"})
    assert elsewhere["state"] != "merged"


def test_once_the_case_is_closed_the_same_report_opens_a_new_one(stack, keys):
    team = People(stack, keys, community("dup"))
    where = {"area_code": "jx-e1-b3-u1"}
    case, _ = team.resolved(location=where)
    repeat = team.report(location=where)
    assert repeat["state"] != "merged" and repeat["id"] != case["id"]


# Idempotent intake


def test_an_intake_retried_with_one_key_returns_one_case_and_another_body_is_a_422(stack, crew):
    ensure_community(stack, crew.place)
    key = f"app-{uuid.uuid4()}"
    body = report_body(crew.place, description="18栋楼道灯坏了")

    def post(_):
        for _attempt in range(20):
            answer = requests.post(
                cases_url(stack),
                json=body,
                headers={**crew.hotline, "Idempotency-Key": key},
                timeout=30,
            )
            if answer.status_code != 503:
                return answer
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))
    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    other = requests.post(
        cases_url(stack),
        json={**body, "description": "别的事"},
        headers={**crew.hotline, "Idempotency-Key": key},
        timeout=10,
    )
    assert other.status_code == 422


def test_an_idempotency_key_belongs_to_the_api_key_that_sent_it(stack, crew, keys):
    """Another integration sending the same Idempotency-Key gets a case of its own, never
    the first one's (once, any key could reach any case by guessing its key)."""
    ensure_community(stack, crew.place)
    key = f"app-{uuid.uuid4()}"
    body = report_body(crew.place, description="19栋楼道灯坏了", channel="app")
    other_app = keys.issue(["report", "read"], [crew.place], name="other-app")
    first = requests.post(
        cases_url(stack), json=body, headers={**crew.hotline, "Idempotency-Key": key}, timeout=10
    )
    second = requests.post(
        cases_url(stack),
        json={**body, "description": "别的事"},
        headers={"X-Api-Key": other_app, "Idempotency-Key": key},
        timeout=10,
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize("channel", ["hotline", "patrol"])
def test_a_report_cannot_claim_a_channel_its_key_does_not_hold(stack, crew, keys, db, channel):
    """A resident app's key once filed reports as `channel: hotline`, moving the hotline
    complaint figures: a key declares the channels it may claim."""
    ensure_community(stack, crew.place)
    app = keys.issue(["report", "read"], [crew.place], name="resident-app")
    before = count(db, crew.place)
    answer = requests.post(
        cases_url(stack),
        json=report_body(crew.place, channel=channel),
        headers={"X-Api-Key": app},
        timeout=10,
    )
    assert answer.status_code == 403 and "channel" in answer.json()["error"]["fields"]
    assert count(db, crew.place) == before
    allowed = requests.post(
        cases_url(stack),
        json=report_body(crew.place, channel="app"),
        headers={"X-Api-Key": app},
        timeout=10,
    )
    assert allowed.status_code == 201 and allowed.json()["channel"] == "app"


# Bad input: refused with a clear 4xx, nothing stored


def count(db, place: str) -> int:
    return db("cases")["cases"].count_documents({"community_id": place})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"community_id": "nowhere"}, "community_id"),
        ({"location": {"grid_id": "no-such-grid"}}, "location.grid_id"),
        ({"location": {"area_code": "no-such-unit"}}, "location.area_code"),
        ({"location": {"lat": 30.5, "lon": 114.3}}, "location"),
        ({"category": "no.such"}, "category"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"reporter": {"phone": "call me"}}, "reporter"),
        ({"description": ""}, "description"),
        ({"severity": "high"}, "severity"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_intake_is_a_400_on_the_field_and_stores_nothing(stack, db, crew, body, field):
    ensure_community(stack, crew.place)
    before = count(db, crew.place)
    answer = requests.post(
        cases_url(stack), json=report_body(crew.place, **body), headers=crew.hotline, timeout=10
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    assert field in answer.json()["error"]["fields"]
    assert count(db, crew.place) == before


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        (b'{"description": "d"}', {"Content-Type": "text/plain"}, 415),
        (b'{"description": "d"}', {}, 415),
        (
            b"description=d&community_id=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
        ),
        (b"not json", {"Content-Type": "application/json"}, 400),
        (b'{"$where": "1"}', {"Content-Type": "application/json"}, 400),
        (b"x" * 70_000, {"Content-Type": "application/json"}, 413),
    ],
    ids=["text-plain", "no-type", "form", "not-json", "operator", "too-large"],
)
def test_only_json_of_a_sane_size_is_read(stack, db, crew, data, headers, status):
    before = count(db, crew.place)
    answer = requests.post(
        cases_url(stack), data=data, headers={**crew.hotline, **headers}, timeout=10
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert count(db, crew.place) == before


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Correlation-Id", "c" * 101), ("X-Correlation-Id", "ä"), ("Idempotency-Key", "k" * 201)],
    ids=["correlation-101", "correlation-not-ascii", "idempotency-201"],
)
def test_unfit_headers_are_refused_at_intake_not_by_every_consumer_later(
    stack, db, crew, header, value
):
    ensure_community(stack, crew.place)
    before = count(db, crew.place)
    answer = requests.post(
        cases_url(stack),
        json=report_body(crew.place),
        headers={**crew.hotline, header: value.encode("utf-8")},
        timeout=10,
    )
    assert answer.status_code == 400 and header in answer.json()["error"]["fields"]
    assert count(db, crew.place) == before


def test_a_correlation_id_of_100_characters_goes_all_the_way(stack, crew):
    ensure_community(stack, crew.place)
    answer = requests.post(
        cases_url(stack),
        json=report_body(crew.place),
        headers={**crew.hotline, "X-Correlation-Id": "c" * 100},
        timeout=10,
    )
    assert answer.status_code == 201
    crew.settled(answer.json()["id"])  # roster took its triage: no consumer refused it


def test_another_communitys_case_is_not_found_for_reading_or_acting(stack, keys, crew):
    case = crew.report()
    outsider = People(stack, keys, community("out"))
    for headers in (outsider.hotline, outsider.staff):
        assert (
            requests.get(cases_url(stack, f"/{case['id']}"), headers=headers, timeout=5).status_code
            == 404
        )
        assert (
            requests.get(
                cases_url(stack, f"/{case['number']}"), headers=headers, timeout=5
            ).status_code
            == 404
        )
    assert outsider.post(case["id"], "reject", outsider.staff, {"reason": "x"}).status_code == 404
    assert (
        outsider.post(case["id"], "withdraw", outsider.hotline, {"reason": "x"}).status_code == 404
    )
    into_theirs = requests.post(
        cases_url(stack), json=report_body(crew.place), headers=outsider.hotline, timeout=10
    )
    assert into_theirs.status_code == 400  # a community the key does not cover is unknown to it
    assert get_case(stack, case["id"])["state"] not in ("rejected", "withdrawn")
