"""The statistics on the running services, from events published onto the real bus as
their producers publish them (docs/events.md): a known sequence, redelivered and out of
order; the rebuild; keys and scopes; bad queries; each community's time zone."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from kombu import Connection, Exchange

from services.metrics.domain.measures import CASE_MEASURES
from services.metrics.domain.totals import local_day
from services.roster.compose import policy_defaults
from services.roster.domain.ledger import award
from services.roster.domain.policy import policy_from
from tests.e2e.conftest import admin_cli, client, community, wait_until
from tests.metrics.sequences import SHANGHAI, T0, Event, lifecycle, opened, step

pytestmark = pytest.mark.e2e

SOURCES = {"case": "cases", "notification": "notify"}  # the rest are roster's
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
MARCH_DAYS = (date(2026, 3, 1), date(2026, 3, 31))


def publish(amqp_uri: str, events: list[Event]) -> None:
    """Publish as the producers' relays do: to `<service>.events`, with confirms, mandatory."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for event in events:
            source = SOURCES.get(event.type.partition(".")[0], "roster")
            exchange = Exchange(f"{source}.events", type="topic", durable=True)
            producer.publish(
                event.message(),
                exchange=exchange,
                routing_key=event.type,
                serializer="json",
                declare=[exchange],
                mandatory=True,
                retry=True,
            )


def area(place: str, code: str, kind: str, households: int, **node: Any) -> Event:
    payload = {
        "node": {
            "code": code,
            "kind": kind,
            "community_id": place,
            "households": households,
            **node,
        },
        "removed": False,
        "area_version": node.pop("version", 1),
    }
    return Event("area.changed", payload, T0)


def hours(place: str, person: str, amount: float) -> Event:
    payload = {
        "entry_id": str(uuid.uuid4()),
        "person_id": person,
        "case_id": "LX-H",
        "community_id": place,
        "household_id": None,
        "hours": amount,
        "kind": "credit",
        "state": "approved",
    }
    return Event("hours.credited", payload, T0 + timedelta(hours=31))


def hotline_cases(place: str, count: int, at: datetime) -> list[Event]:
    """Hotline cases handled from report to rating (so none stays in the backlog)."""
    return [e for _ in range(count) for e in lifecycle(case_id(), at, community_id=place)]


def approved_hours(events: list[Event], since: date, until: date) -> dict[str, float]:
    """Each volunteer's approved hours a report of these days shows: the ledger lines
    published here, and the credit roster (running too) gives whoever resolved a case, by
    its default rules, dated when the case was resolved. The cases' category has a fixed
    credit, so it does not matter whether roster saw the acceptance before the resolution."""
    # roster knows no policy of a community made up here
    rules = policy_from(policy_defaults(), None).hours
    accepted = {
        e.payload["case_id"]: e.payload["accepted_at"] for e in events if e.type == "case.accepted"
    }
    minutes: dict[str, int] = {}
    for event in events:
        p = event.payload
        if not since <= local_day(event.at, SHANGHAI) <= until:
            continue
        if event.type == "hours.credited" and p["state"] == "approved":
            minutes[p["person_id"]] = minutes.get(p["person_id"], 0) + round(p["hours"] * 60)
        elif event.type == "case.resolved":
            credit = award(
                rules, p["category"], accepted.get(p["case_id"]), p["resolved_at"], SHANGHAI
            )
            if credit.state == "approved":
                minutes[p["person_id"]] = minutes.get(p["person_id"], 0) + credit.minutes
    return {person: round(n / 60, 3) for person, n in minutes.items()}


def get(session: requests.Session, stack, route: str, **params: Any) -> requests.Response:
    return session.get(f"{stack.url('metrics')}/v1/stats/{route}", params=params, timeout=10)


def case_id() -> str:
    return f"LX-{uuid.uuid4().hex[:12].upper()}"


@pytest.fixture(scope="module")
def known(stack, amqp_uri, keys):
    """A community with three cases resolved in grid 1, one open in grid 2, its areas, a
    volunteer's hours and last year's fifteen hotline cases; every event published once,
    twenty of them twice, all in a shuffled order."""
    place = community("m")
    events = [
        area(place, place, "community", 2156, timezone="Asia/Shanghai", name="馨宁新村"),
        area(place, f"{place}-g1", "grid", 104, name="一网格"),
        *[
            e
            for _ in range(3)
            for e in lifecycle(case_id(), community_id=place, grid_id=f"{place}-g1")
        ],
        *opened(case_id(), community_id=place, grid_id=f"{place}-g2"),
        hours(place, "p-9", 1.5),
        hours(place, "p-9", 0.25),
        *hotline_cases(place, 15, T0.replace(year=2025)),
    ]
    rng = random.Random(9)
    delivered = events + rng.sample(events, 20)
    rng.shuffle(delivered)
    publish(amqp_uri, delivered)
    reader = client(keys.issue(["read"], [place]))
    hours_of = approved_hours(events, *MARCH_DAYS)

    # every case event of March counted once: the snapshot is the final summary only when
    # the last of them (shuffled, some published twice) has been folded
    expected_totals = Counter(
        CASE_MEASURES[event.type]
        for event in events
        if event.type in CASE_MEASURES
        and MARCH_DAYS[0] <= event.at.astimezone(SHANGHAI).date() <= MARCH_DAYS[1]
    )

    def counted():
        summary = get(reader, stack, "summary", community_id=place, **MARCH).json()
        last_year = get(reader, stack, "hotline", community_id=place, **MARCH).json()
        people = get(reader, stack, "volunteers", community_id=place, **MARCH).json()
        done = (
            all(summary["totals"][measure] == n for measure, n in expected_totals.items())
            and summary["backlog"] == {"total": 1, "by_state": {"dispatched": 1}, "overdue": 0}
            and summary["households"] == 2156
            and last_year["last_year"]["hotline_cases"] == 15
            # roster's credits reach metrics later than the events published here: the
            # snapshot waits for them, or the summary is not yet the final one
            and summary["volunteer_hours"] == round(sum(hours_of.values()), 3)
            and {row["person_id"]: row["hours"] for row in people["volunteers"] if row["hours"]}
            == hours_of
        )
        return done and summary

    summary = wait_until("the known sequence to be counted", counted, timeout=60)
    return {"place": place, "reader": reader, "summary": summary, "hours": hours_of}


def test_the_summary_of_a_known_sequence_redelivered_and_out_of_order(known):
    summary = known["summary"]
    assert (summary["collected"], summary["resolved"]) == (4, 3)
    assert summary["resolution_rate"] == 0.75
    assert summary["on_time_rate"] == 0.0  # every resolution was late
    assert summary["first_time_rate"] == 1.0 and summary["reopen_rate"] == 0.0
    assert summary["satisfaction_rate"] == 1.0 and summary["satisfaction_mean"] == 4.0
    assert summary["overdue"] == 3
    assert summary["backlog"] == {"total": 1, "by_state": {"dispatched": 1}, "overdue": 0}
    # three accepted after 20 minutes: every quantile is 20 minutes (once it read 1350 and
    # 1710 s, the middle of the 15–30 minute bucket, beside a mean of 1200)
    assert summary["time_to_accept"] == {
        "count": 3,
        "median_seconds": 1200.0,
        "p90_seconds": 1200.0,
        "mean_seconds": 1200.0,
        "min_seconds": 1200,
        "max_seconds": 1200,
    }
    assert summary["time_to_resolve"]["mean_seconds"] == 30 * 3600
    assert summary["by_channel"]["hotline"]["collected"] == 3
    assert summary["by_grid"][f"{known['place']}-g2"]["collected"] == 1
    assert summary["timezone"] == "Asia/Shanghai"


def test_a_grid_summary(stack, known):
    grid = f"{known['place']}-g1"
    summary = get(
        known["reader"], stack, "summary", community_id=known["place"], grid_id=grid, **MARCH
    )
    assert summary.status_code == 200
    body = summary.json()
    assert (body["grid_id"], body["collected"], body["households"]) == (grid, 3, 104)
    assert body["backlog"]["total"] == 0


def test_the_weekly_trend(stack, known):
    trend = get(
        known["reader"], stack, "trend", community_id=known["place"], interval="week", **MARCH
    )
    rows = {row["period"]: row for row in trend.json()["periods"]}
    assert list(rows) == ["2026-W09", "2026-W10", "2026-W11", "2026-W12", "2026-W13", "2026-W14"]
    assert (rows["2026-W10"]["collected"], rows["2026-W10"]["resolved"]) == (4, 3)
    assert rows["2026-W11"]["collected"] == 0


def test_the_hotline_rate_against_last_year(stack, known):
    report = get(known["reader"], stack, "hotline", community_id=known["place"], **MARCH).json()
    assert (report["hotline_cases"], report["last_year"]["hotline_cases"]) == (3, 15)
    assert report["change"] == -0.8  # the field's "down 80% year on year"
    assert report["per_1000_households"] == round(3 * 1000 / 2156, 2)


def test_the_volunteers(stack, known):
    """p-9's hours come from the two ledger lines published; p-1 accepted and resolved the
    three cases, and roster, running too, credits p-1 the hours of each resolution."""
    report = get(known["reader"], stack, "volunteers", community_id=known["place"], **MARCH).json()
    people = {row["person_id"]: row for row in report["volunteers"]}
    assert people["p-9"]["hours"] == 1.75 and people["p-9"]["resolved"] == 0
    assert (people["p-1"]["accepted"], people["p-1"]["resolved"]) == (3, 3)
    assert people["p-1"]["hours"] == known["hours"]["p-1"] == 4.5  # 1h30m a lighting repair
    assert known["summary"]["volunteer_hours"] == 6.25


def test_the_quarterly_evaluation_shows_its_formula(stack, known):
    report = get(
        known["reader"], stack, "evaluation", community_id=known["place"], quarter="2026-Q1"
    ).json()
    assert (report["quarter"], report["from"], report["to"]) == (
        "2026-Q1", "2026-01-01", "2026-03-31",
    )  # fmt: skip
    units = {row["unit"]: row for row in report["units"]}
    grid = units[f"{known['place']}-g1"]
    assert (grid["name"], grid["rank"], grid["score"]) == ("一网格", 1, 70.0)
    assert units[f"{known['place']}-g2"]["ranked"] is False  # one case
    assert report["formula"]["zh"].startswith("得分 = 30×办结率")
    assert report["red_list"] == [] and report["black_list"] == []


@pytest.mark.parametrize(
    ("route", "params", "first"),
    [
        ("summary.csv", MARCH, "community"),
        ("trend.csv", MARCH, "2026-03-01"),
        ("hotline.csv", MARCH, "2026-03"),
        ("evaluation.csv", {"quarter": "2026-Q1"}, "1"),
        ("volunteers.csv", MARCH, None),
    ],
)
def test_every_report_exports_as_csv(stack, known, route, params, first):
    answer = get(known["reader"], stack, route, community_id=known["place"], **params)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment")
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so spreadsheets read the Chinese text
    header, row = text[1:].splitlines()[:2]
    assert first is None or row.split(",")[0] == first, header


def test_the_rebuild_command_gives_the_same_numbers(stack, known, db):
    place = known["place"]
    checked = admin_cli(stack, "metrics", "rebuild")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "match" in checked.stdout
    db("metrics")["days"].update_one(
        {"_id": f"{place}:2026-03-06"},
        {"$set": {"cells": '[["all", "", "reported", 99]]'}},
    )
    damaged = admin_cli(stack, "metrics", "rebuild")
    assert damaged.returncode == 1 and f"{place}:2026-03-06" in damaged.stdout
    repaired = admin_cli(stack, "metrics", "rebuild", "--apply")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    again = get(known["reader"], stack, "summary", community_id=place, **MARCH).json()
    assert again == known["summary"]


# -- keys, scopes and bad input --------------------------------------------------------------


STATS_ROUTES = [
    "summary",
    "summary.csv",
    "trend",
    "trend.csv",
    "hotline",
    "hotline.csv",
    "evaluation",
    "evaluation.csv",
    "volunteers",
    "volunteers.csv",
]


@pytest.mark.parametrize("route", STATS_ROUTES)
def test_a_key_sees_only_its_own_communities_statistics(stack, keys, route):
    mine, theirs = community("a"), community("b")
    reader = client(keys.issue(["read"], [mine]))
    assert get(reader, stack, route, community_id=mine).status_code == 200
    refused = get(reader, stack, route, community_id=theirs)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    assert get(requests.Session(), stack, route, community_id=mine).status_code == 401


def test_a_key_without_the_read_scope_is_refused(stack, keys):
    place = community("r")
    reporter = client(keys.issue(["report"], [place]))
    answer = get(reporter, stack, "summary", community_id=place)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("summary", {"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ("summary", {"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ("summary", {"from": "yesterday"}, "from"),
        ("summary", {"grid_id": ""}, "grid_id"),
        ("trend", {"interval": "hour"}, "interval"),
        ("evaluation", {"quarter": 5}, "quarter"),
        ("evaluation", {"of": "person"}, "of"),
        ("volunteers", {"surprise": "1"}, "surprise"),
    ],
)
def test_bad_queries_get_400_with_field_errors(stack, keys, route, params, field):
    place = community("q")
    reader = client(keys.issue(["read"], [place]))
    answer = get(reader, stack, route, community_id=place, **params)
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["error"]["fields"]


def test_the_community_time_zone_cuts_its_days(stack, amqp_uri, keys, db):
    """23:30 in Urumqi is already the next day in Shanghai: a community roster places in
    Asia/Urumqi counts the case on its own calendar day."""
    place = community("z")
    publish(amqp_uri, [area(place, place, "community", 300, timezone="Asia/Urumqi")])
    wait_until(
        "the community's zone",
        lambda: (
            "Asia/Urumqi"
            in (db("metrics")["live"].find_one({"_id": f"{place}:live"}) or {}).get("levels", "")
        ),
    )
    late = datetime(2026, 3, 6, 17, 30, tzinfo=UTC)  # 23:30 in Urumqi, 01:30 on the 7th in Shanghai
    publish(amqp_uri, opened(case_id(), late, community_id=place)[:1])
    reader = client(keys.issue(["read"], [place]))

    def on(day: date) -> int:
        summary = get(reader, stack, "summary", community_id=place, **{"from": day, "to": day})
        return summary.json()["collected"]

    wait_until("the case on the 6th, Urumqi's day", lambda: on(date(2026, 3, 6)) == 1)
    assert on(date(2026, 3, 7)) == 0
    summary = get(reader, stack, "summary", community_id=place).json()
    assert summary["timezone"] == "Asia/Urumqi"


def test_two_accepts_within_a_second_have_a_median_within_that_second(stack, amqp_uri, keys):
    """Issue 15: the summary said a median of 150 s beside a mean of 1 s (half the first
    bucket's bound). A time of 0 s is kept as the shortest, not dropped as an empty cell."""
    place = community("t")
    accepts = [
        step(
            "case.accepted",
            "accepted",
            "dispatched",
            T0 + timedelta(seconds=seconds),
            case=case_id(),
            about={"community_id": place},
            person_id="p-1",
            reported_at=T0,
            accepted_at=T0 + timedelta(seconds=seconds),
        )
        for seconds in (0.3, 0.8)  # stored as 0 and 1 whole seconds
    ]
    publish(amqp_uri, accepts)
    reader = client(keys.issue(["read"], [place]))

    def timed():
        summary = get(reader, stack, "summary", community_id=place, **MARCH).json()
        return summary["time_to_accept"]["count"] == 2 and summary["time_to_accept"]

    assert wait_until("both accepts counted", timed) == {
        "count": 2,
        "median_seconds": 0.5,
        "p90_seconds": 0.9,
        "mean_seconds": 0.5,
        "min_seconds": 0,
        "max_seconds": 1,
    }
