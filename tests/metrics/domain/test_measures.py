"""What each event adds, and known sequences folded in any order. Plain Python, no I/O."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.metrics.domain import places, reports
from services.metrics.domain.measures import CASE_MEASURES, facts_of, top_category
from services.metrics.domain.totals import ALL, Partition
from services.metrics.events import READS
from tests.metrics.sequences import DAY, SHANGHAI, T0, Event, Folded, about, lifecycle, opened


def only(events: list[Event]) -> Folded:
    return Folded().fold(events)


def test_a_case_event_adds_to_its_day_and_to_the_live_totals():
    reported = lifecycle()[0]
    day, live = reported.facts()
    assert (day.id, day.partition) == (reported.event_id, Partition("jingxiang", DAY))
    assert (live.id, live.partition) == (f"{reported.event_id}:live", Partition("jingxiang"))
    for dimension in (ALL, ("grid", "jingxiang-g1"), ("category", "facility.lighting")):
        assert day.cells[(*dimension, "reported")] == 1
    assert day.cells[("channel", "hotline", "reported")] == 1
    assert day.cells[("team", "repair_crew", "reported")] == 1
    assert day.cells[("grid_channel", "jingxiang-g1|hotline", "reported")] == 1
    assert live.cells[("category_group", "facility", "reported")] == 1
    assert live.cells[(*ALL, "state:reported")] == 1


@pytest.mark.parametrize("event_type", sorted(CASE_MEASURES))
def test_every_case_event_of_the_contract_counts_its_measure(event_type):
    payload = {**about(), "state": "accepted", "previous_state": "accepted"}
    day = facts_of("E-1", event_type, T0, payload, lambda _: SHANGHAI)[0]
    assert day.cells[(*ALL, CASE_MEASURES[event_type])] == 1


def test_a_transition_moves_one_case_between_states_in_the_live_totals():
    resolved = next(event for event in lifecycle() if event.type == "case.resolved")
    live = resolved.facts()[1]
    assert live.cells[(*ALL, "state:resolved")] == 1
    assert live.cells[(*ALL, "state:accepted")] == -1
    assert live.cells[("grid", "jingxiang-g1", "state:resolved")] == 1


def test_an_event_that_changes_no_state_moves_nothing():
    rated = lifecycle()[-1]
    assert not any(measure.startswith("state:") for _, _, measure in rated.facts()[1].cells)


def test_a_first_resolution_also_counts_for_the_day_the_case_was_reported():
    reported = T0 - timedelta(days=3)
    resolved = next(
        event for event in lifecycle(reported=reported) if event.type == "case.resolved"
    )
    day, _, cohort = resolved.facts()
    assert day.partition.day == date(2026, 3, 4)  # reported 3 March 09:00, resolved 30 h later
    assert cohort.partition == Partition("jingxiang", date(2026, 3, 3))
    assert cohort.cells[(*ALL, "cohort_resolved")] == 1


def test_a_resolution_after_a_reopening_is_not_counted_for_the_cohort_again():
    payload = {**about(), "first_time": False, "reported_at": T0, "resolved_at": T0}
    facts = facts_of("E-2", "case.resolved", T0, payload, lambda _: SHANGHAI)
    assert [fact.id for fact in facts] == ["E-2", "E-2:live"]


def test_times_to_accept_and_resolve_fall_into_buckets():
    events = lifecycle()
    accepted = next(e for e in events if e.type == "case.accepted").facts()[0].cells
    assert accepted[(*ALL, "accept_le_1800")] == 1  # 20 minutes
    assert accepted[(*ALL, "accept_seconds")] == 1200
    resolved = next(e for e in events if e.type == "case.resolved").facts()[0].cells
    assert resolved[(*ALL, "resolve_le_172800")] == 1  # 30 hours
    assert resolved[("team", "repair_crew", "resolve_count")] == 1


def test_a_rating_counts_its_stars_and_whether_the_resident_was_satisfied():
    cells = lifecycle()[-1].facts()[0].cells
    assert cells[(*ALL, "rated")] == 1
    assert cells[(*ALL, "rating_sum")] == 4
    assert cells[(*ALL, "rating_4")] == 1
    assert cells[(*ALL, "satisfied")] == 1


def test_the_community_time_zone_cuts_the_day():
    late = Event(
        "case.reported", {**about(), "reported_at": datetime(2026, 3, 5, 17, tzinfo=UTC)}, T0
    )
    assert late.facts(SHANGHAI)[0].partition.day == date(2026, 3, 6)  # 01:00 on the 6th
    assert late.facts(ZoneInfo("Asia/Urumqi"))[0].partition.day == date(2026, 3, 5)  # 23:00


def test_hours_are_summed_exactly_and_a_reversal_takes_them_away():
    def hours(entry: str, amount: float, kind: str = "credit", state: str = "approved"):
        payload = {
            "entry_id": entry,
            "person_id": "p-1",
            "community_id": "jingxiang",
            "hours": amount,
            "kind": kind,
            "state": state,
        }
        return Event("hours.credited", payload, T0)

    folded = only(
        [
            hours("h1", 1.5),
            hours("h2", 0.25),
            hours("h3", 1.5, kind="reversal"),
            hours("h4", 2.0, state="pending_approval"),
        ]
    )
    day = folded.days()[DAY]
    assert day.measures(("person", "p-1"))["hours_milli"] == 250
    assert day.measures(("person", "p-1"))["hours_pending_milli"] == 2000
    assert folded.live().measures()["hours_milli"] == 250


def test_notification_outcomes_count_by_their_channel():
    payload = {
        "delivery_id": "d-1",
        "case_id": "LX-1",
        "community_id": "jingxiang",
        "category": "facility.lighting",
        "kind": "case.dispatched",
        "channel": "webhook",
        "attempts": 3,
    }
    facts = facts_of("E-9", "notification.dead", T0, payload, lambda _: SHANGHAI)
    assert facts[0].cells[("notify_channel", "webhook", "notifications_dead")] == 1
    assert facts[1].cells[("category_group", "facility", "notifications_dead")] == 1


def test_an_expired_offer_without_a_community_counts_nowhere():
    payload = {"case_id": "LX-1", "offer_id": "o-1", "person_id": "p-1", "attempt": 1}
    assert facts_of("E-1", "offer.expired", T0, payload, lambda _: SHANGHAI) == []
    payload["community_id"] = "jingxiang"
    facts = facts_of("E-1", "offer.expired", T0, payload, lambda _: SHANGHAI)
    assert facts[0].cells[("person", "p-1", "offers_expired")] == 1


def duty(on_duty: int, at: datetime, team: str = "repair_crew") -> Event:
    payload = {
        "community_id": "jingxiang",
        "grid_id": "jingxiang-g1",
        "team": team,
        "on_duty": on_duty,
        "at": at,
    }
    return Event("duty.changed", payload, at)


def test_the_latest_duty_count_wins_even_when_it_arrives_first():
    folded = only([duty(0, T0 + timedelta(hours=2)), duty(3, T0), duty(2, T0 + timedelta(hours=1))])
    assert places.on_duty(folded.live()) == [
        {"grid": "jingxiang-g1", "team": "repair_crew", "on_duty": 0}
    ]


def area(code: str, kind: str, version: int, households: int = 0, **node) -> Event:
    payload = {
        "node": {
            "code": code,
            "kind": kind,
            "community_id": "jingxiang",
            "name": node.pop("name", code),
            "households": households,
            **node,
        },
        "removed": node.pop("removed", False),
        "area_version": version,
    }
    return Event("area.changed", payload, T0)


def test_households_and_the_time_zone_come_from_the_latest_area_versions():
    folded = only(
        [
            area("jingxiang", "community", 2, 5926, timezone="Asia/Shanghai"),
            area("jingxiang", "community", 1, 5000),
            area("jingxiang-g1", "grid", 1, 104, name="一网格"),
            area("jingxiang-b5", "building", 1, 40),  # buildings are not kept
        ]
    )
    live = folded.live()
    assert places.households(live, "jingxiang") == 5926
    assert places.households(live, "jingxiang", "jingxiang-g1") == 104
    assert places.timezone_name(live, "jingxiang") == "Asia/Shanghai"
    assert places.grid_names(live) == {"jingxiang-g1": "一网格"}
    assert len(live.levels) == 2


def test_a_subdistrict_above_the_communities_counts_nowhere():
    payload = {
        "node": {"code": "yuhua", "kind": "subdistrict", "community_id": None},
        "area_version": 1,
    }
    node = READS.readings[("area.changed", 1)].load(payload)
    assert facts_of("E-1", "area.changed", T0, node, lambda _: SHANGHAI) == []


def test_a_community_without_its_own_households_counts_its_grids():
    live = only([area("jingxiang-g1", "grid", 1, 100), area("jingxiang-g2", "grid", 1, 50)]).live()
    assert places.households(live, "jingxiang") == 150


def test_top_level_categories_bound_the_prometheus_labels():
    assert top_category("facility.lighting") == "facility"
    assert top_category("other") == "other"


# -- known sequences, redelivered and out of order ----------------------------------------


def sequence() -> list[Event]:
    return [*lifecycle("LX-1"), *opened("LX-2"), *lifecycle("LX-3", grid_id="g2")]


def test_a_known_sequence_gives_the_expected_numbers():
    folded = only(sequence())
    summary = reports.summarise(list(folded.days().values()), folded.live())
    assert summary["collected"] == 3
    assert summary["resolved"] == 2
    assert summary["resolution_rate"] == round(2 / 3, 4)
    assert summary["on_time_rate"] == 0.0
    assert summary["first_time_rate"] == 1.0
    assert summary["satisfaction_rate"] == 1.0
    assert summary["satisfaction_mean"] == 4.0
    assert summary["overdue"] == 2
    assert summary["backlog"] == {"total": 1, "by_state": {"dispatched": 1}, "overdue": 0}
    assert summary["time_to_accept"]["count"] == 2
    assert summary["by_channel"]["wechat"]["collected"] == 1
    assert summary["by_grid"]["g2"]["resolved"] == 1


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(0, 10))
def test_redelivered_and_out_of_order_events_give_the_same_totals(rng: random.Random, repeats):
    events = sequence()
    delivered = events + [rng.choice(events) for _ in range(repeats)]
    rng.shuffle(delivered)
    in_order = only(events)
    shuffled = only(delivered)
    assert {p: t.cells for p, t in shuffled.partitions.items()} == {
        p: t.cells for p, t in in_order.partitions.items()
    }
    summary = reports.summarise(list(shuffled.days().values()), shuffled.live())
    assert summary["backlog"]["total"] == 1


def test_an_activity_is_held_on_the_day_it_starts_and_attended_on_the_day_of_the_check_in():
    starts = datetime(2026, 3, 7, 17, tzinfo=UTC)  # 01:00 on the 8th in Shanghai
    published = {"activity_id": "A-1", "community_id": "jingxiang", "starts_at": starts}
    attended = {"activity_id": "A-1", "community_id": "jingxiang", "person_id": "p-1",
                "minutes": 90}  # fmt: skip
    folded = only(
        [
            Event("activity.published", published, T0),
            Event("activity.attended", attended, T0),
            Event("activity.attended", attended, T0, event_id="again"),  # another person's
        ]
    )
    held = folded.days()[date(2026, 3, 8)].measures()
    day = folded.days()[DAY].measures()
    assert (held["activities_held"], held.get("activities_attended", 0)) == (1, 0)
    assert (day["activities_attended"], day["activity_minutes"]) == (2, 180)
    summary = reports.summarise(list(folded.days().values()), folded.live())
    assert summary["activities"] == {"held": 1, "attended": 2, "minutes_credited": 180}


def test_care_rounds_count_done_needing_help_and_missed_once_per_round():
    def care(event_id: str, event_type: str, **more):
        payload = {"community_id": "jingxiang", "grid_id": "jingxiang-g1", **more}
        return Event(event_type, payload, T0, event_id=event_id)

    folded = only(
        [
            care("t1", "care.round_ticked", outcome="well"),
            care("t2", "care.round_ticked", outcome="needs_help"),
            care("m1", "care.round_missed", stage="carer"),
            care("m2", "care.round_missed", stage="grid_worker"),  # the same round, later
        ]
    )
    day = folded.days()[DAY]
    summary = reports.summarise([day], None)
    assert summary["care_rounds"] == {"done": 2, "needs_help": 1, "missed": 1}
    assert day.measures(("grid", "jingxiang-g1"))["care_rounds_done"] == 2


def test_estate_fund_payments_and_reversals_add_up_in_fen_on_the_day_recorded():
    def recorded(event_id: str, kind: str, amount: int) -> Event:
        payload = {"payment_id": event_id, "community_id": "jingxiang", "year": 2026}
        payload |= {"kind": kind, "amount_fen": amount, "method": "cash"}
        return Event("fund.payment_recorded", payload, T0, event_id=event_id)

    folded = only(
        [
            recorded("p1", "payment", 53_700),
            recorded("p2", "payment", 20_000),
            recorded("p2r", "reversal", -20_000),
            recorded("p1", "payment", 53_700),  # a redelivery: counted once
        ]
    )
    summary = reports.summarise([folded.days()[DAY]], None)
    assert summary["fund"] == {"payments": 2, "reversals": 1, "paid_fen": 53_700}


def test_the_pact_counts_observations_decisions_and_lists_and_no_grid():
    def pact(event_id, event_type, **more):
        return Event(event_type, {"community_id": "jingxiang", **more}, T0, event_id=event_id)

    folded = only(
        [
            pact("o1", "pact.observation_recorded", kind="breach"),
            pact("o2", "pact.observation_recorded", kind="breach"),
            pact("o3", "pact.observation_recorded", kind="commendation"),
            pact("d1", "pact.observation_decided", outcome="upheld"),
            pact("d2", "pact.observation_decided", outcome="withdrawn"),
            pact("l1", "pact.list_published", black_households=1, red_households=2),
        ]
    )
    day = folded.days()[DAY]
    assert reports.summarise([day], None)["pact"] == {
        "breaches": 2, "commendations": 1, "upheld": 1, "withdrawn": 1, "lists": 1,
        "black_households": 1, "red_households": 2,
    }  # fmt: skip
    # by community only: nothing of the pact reaches a grid (nor the grids' evaluation)
    assert all(cell[: len(ALL)] == ALL for cell in day.cells)
