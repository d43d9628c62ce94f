"""The estate fund end to end: hours a member of a household is credited in roster reach
the household's statement once (a replayed `hours.credited` changes nothing), convert only
while staff let the household pay in hours, a payment recorded twice counts once (in the
statement and in metrics), and nobody but the community's staff acts on it — another
community's staff see nothing, a volunteer is refused, bad input changes nothing, and a
resident's statement needs a number that is on the household."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import client, publish_events, wait_until
from tests.e2e.test_roster_dispatch import import_community, new_code, small_community

pytestmark = pytest.mark.e2e

HEADER = "household_id,community,estate,building,unit,room,floor_area,phones\n"
PHONE = "13807319911"


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


@pytest.fixture(scope="module")
def place(stack, admin_key, keys) -> str:
    """A community of its own in roster (its volunteer v1 lives in `<place>-h1`) and in
    estate (the register: h1 89.50 m² with PHONE, h2), with this year's and next year's rates."""
    code = new_code("fund")
    assert import_community(stack, admin_key, small_community(code)).status_code == 200
    register = HEADER + f"{code}-h1,{code},e1,b1,u1,101,89.50,{PHONE}\n"
    register += f"{code}-h2,{code},e1,b1,u1,102,60,13807319912\n"
    admin = client(admin_key)
    imported = admin.post(
        f"{stack.url('estate')}/v1/households/imports",
        json={"name": "households.csv", "text": register},
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    for year in (this_year(), this_year() + 1):  # a run past Beijing's new year finds its rates
        rates = {"year": year, "dues_rate_fen_per_m2": 600, "hour_rate_fen": 2000}
        answer = admin.put(f"{stack.url('estate')}/v1/fund/settings/{code}", json=rates,
                           timeout=10)  # fmt: skip
        assert answer.status_code == 200, answer.text
    return code


@pytest.fixture(scope="module")
def staff(place, keys) -> requests.Session:
    return client(
        keys.issue(["act", "read"], [place]), keys.person_token(f"{place}-staff", "staff", [place])
    )


def statement(stack, session, place: str, household: str = "h1") -> requests.Response:
    return session.get(
        f"{stack.url('estate')}/v1/fund/statements/{place}/{place}-{household}", timeout=10
    )


def handled_hours(stack) -> float:
    """hours.credited events estate's replicas handled, from their own /metrics."""
    total = 0.0
    for replica in stack.replica_ids("estate"):
        text = requests.get(f"http://127.0.0.1:{stack.metrics_port('estate', replica)}/metrics",
                            timeout=5).text  # fmt: skip
        pattern = r'^lianxin_events_handled_total\{(.*event="hours.credited".*)\} (\S+)$'
        total += sum(float(v) for labels, v in re.findall(pattern, text, re.M) if "ok" in labels)
    return total


def test_hours_credited_in_roster_reach_the_statement_once_even_replayed(stack, place, staff):
    assert statement(stack, staff, place).json()["statement"]["credited_minutes"] == 0
    approved = staff.post(
        f"{stack.url('estate')}/v1/fund/eligibility/{place}/{place}-h1/approve",
        json={"year": this_year(), "reason": "低保户 low income"},
        timeout=10,
    )
    assert approved.status_code == 200 and approved.json()["eligible_now"], approved.text
    corrected = staff.post(
        f"{stack.url('roster')}/v1/people/{place}-v1/hours/corrections",
        json={"hours": 1.5, "reason": "清洁家园 clean-up"},
        headers={"Idempotency-Key": f"fund-{uuid.uuid4()}"},
        timeout=10,
    )
    assert corrected.status_code == 201, corrected.text
    entry = corrected.json()

    def counted() -> dict | None:
        found = statement(stack, staff, place).json()["statement"]
        return found if found["credited_minutes"] else None

    found = wait_until("the hours in the household's statement", counted)
    assert (found["credited_minutes"], found["eligible_minutes"]) == (90, 90)
    assert found["converted_fen"] == 3_000  # 1.5 h at 20 yuan
    assert found["balance_fen"] == 53_700 - 3_000  # 89.50 m² at 6 yuan

    before = handled_hours(stack)
    replay = {
        "event_id": str(uuid.uuid4()),  # even under a new event id: the entry counts once
        "type": "hours.credited",
        "version": 1,
        "occurred_at": entry["at"],
        "correlation_id": str(uuid.uuid4()),
        "case_id": None,
        "payload": {
            "entry_id": entry["entry_id"], "person_id": f"{place}-v1", "case_id": None,
            "community_id": place, "household_id": f"{place}-h1", "hours": 1.5,
            "kind": "correction", "state": "approved", "refers_to": None,
        },
    }  # fmt: skip
    publish_events(stack, "roster", [replay, replay])
    wait_until("estate to handle the replays", lambda: handled_hours(stack) >= before + 2)
    assert statement(stack, staff, place).json()["statement"] == found


def test_a_payment_recorded_twice_counts_once_and_a_reversal_undoes_it(stack, place, staff):
    body = {"community_id": place, "household_id": f"{place}-h2", "year": this_year()}
    body |= {"amount_fen": 36_000, "method": "wechat", "receipt": "JX-2026-0001"}
    url = f"{stack.url('estate')}/v1/fund/payments"
    first = staff.post(url, json=body, headers={"Idempotency-Key": "pay-1"}, timeout=10)
    again = staff.post(url, json=body, headers={"Idempotency-Key": "pay-1"}, timeout=10)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert again.json()["id"] == first.json()["id"]
    other = staff.post(url, json=body, headers={"Idempotency-Key": "pay-2"}, timeout=10)
    assert other.status_code == 409 and other.json()["error"]["code"] == "receipt_used"
    shown = statement(stack, staff, place, "h2").json()
    assert shown["statement"]["paid_fen"] == 36_000 and shown["statement"]["balance_fen"] == 0

    def counted() -> dict | None:
        summary = staff.get(
            f"{stack.url('metrics')}/v1/stats/summary", params={"community_id": place}, timeout=10
        ).json()
        return summary["fund"] if summary["fund"]["payments"] else None

    assert wait_until("metrics to count the payment", counted)["paid_fen"] == 36_000
    reversed_ = staff.post(
        f"{url}/{first.json()['id']}/reverse", json={"reason": "收据填错 wrong receipt"}, timeout=10
    )
    assert reversed_.status_code == 201 and reversed_.json()["amount_fen"] == -36_000
    assert statement(stack, staff, place, "h2").json()["statement"]["paid_fen"] == 0


def test_bad_input_is_refused_with_its_fields_and_changes_nothing(stack, place, staff):
    url = f"{stack.url('estate')}/v1/fund/payments"
    body = {"community_id": place, "household_id": f"{place}-h2", "year": this_year()}
    bad = body | {"amount_fen": 0, "method": "gold", "receipt": "=HYPERLINK(1)"}
    answer = staff.post(url, json=bad, headers={"Idempotency-Key": "bad-1"}, timeout=10)
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) >= {"amount_fen", "method", "receipt"}
    unnamed = staff.post(url, json=body | {"amount_fen": 100, "method": "cash", "receipt": "R9"},
                         timeout=10)  # fmt: skip
    assert unnamed.status_code == 400 and "Idempotency-Key" in unnamed.json()["error"]["fields"]
    no_reason = staff.post(
        f"{stack.url('estate')}/v1/fund/eligibility/{place}/{place}-h2/approve",
        json={"year": this_year(), "reason": ""},
        timeout=10,
    )
    assert no_reason.status_code == 400
    shown = statement(stack, staff, place, "h2").json()
    assert shown["windows"] == [] and all(p["receipt"] != "R9" for p in shown["payments"])


def test_another_communitys_staff_a_volunteer_and_unknown_numbers_get_nothing(
    stack, place, staff, keys, admin_key
):
    elsewhere = new_code("fund")
    assert import_community(stack, admin_key, small_community(elsewhere)).status_code == 200
    theirs = client(
        keys.issue(["act", "read"], [elsewhere]),
        keys.person_token(f"{elsewhere}-staff", "staff", [elsewhere]),
    )
    assert statement(stack, theirs, place).status_code == 404
    body = {"community_id": place, "household_id": f"{place}-h1", "year": this_year()}
    body |= {"amount_fen": 100, "method": "cash", "receipt": "X-1"}
    url = f"{stack.url('estate')}/v1/fund/payments"
    refused = theirs.post(url, json=body, headers={"Idempotency-Key": "x-1"}, timeout=10)
    assert refused.status_code == 404
    volunteer = client(
        keys.issue(["act", "read"], [place]), keys.person_token(f"{place}-v1", "volunteer", [place])
    )
    assert statement(stack, volunteer, place).status_code == 403
    assert volunteer.post(url, json=body, headers={"Idempotency-Key": "x-2"}, timeout=10
                          ).status_code == 403  # fmt: skip

    residents = client(keys.issue(["resident"], ["*"], name="residents"))
    ask = f"{stack.url('estate')}/v1/fund/resident-statements"
    mine = residents.post(ask, json={"community_id": place, "phone": PHONE}, timeout=10)
    assert mine.status_code == 200, mine.text
    assert [h["statement"]["household_id"] for h in mine.json()["households"]] == [f"{place}-h1"]
    for phone in ("13800000001", "13807319912x"):
        unknown = residents.post(ask, json={"community_id": place, "phone": phone}, timeout=10)
        assert unknown.status_code in (400, 404) and "households" not in unknown.text
    elsewhere_number = residents.post(
        ask, json={"community_id": elsewhere, "phone": PHONE}, timeout=10
    )
    assert elsewhere_number.status_code == 404
    assert staff.post(ask, json={"community_id": place, "phone": PHONE}, timeout=10
                      ).status_code == 403  # the staff's key may not act for residents  # fmt: skip
