"""The hours ledger's rules as plain Python: what a resolution earns, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.spreadsheets import to_csv
from services.roster.domain import ledger
from services.roster.domain.ledger import Entry, HoursPolicy, HoursRule, NightWork, award, balance

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = HoursPolicy(
    rules=(
        HoursRule("*", cap_minutes=180),
        HoursRule("facility.*", cap_minutes=240, minimum_minutes=30),
        HoursRule("facility.lighting", fixed_minutes=90),
    ),
    night=NightWork(
        datetime.strptime("22:00", "%H:%M").time(),
        datetime.strptime("06:00", "%H:%M").time(),
        Fraction(3, 2),
    ),
    approval_above_minutes=240,
)


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_the_most_specific_rule_wins():
    assert POLICY.rule_for("facility.lighting").fixed_minutes == 90
    assert POLICY.rule_for("facility.drain_blocked").cap_minutes == 240
    assert POLICY.rule_for("civility.pets").cap_minutes == 180


def test_a_fixed_credit_ignores_how_long_it_took_but_not_the_night():
    assert award(POLICY, "facility.lighting", at(9), at(9, 5), SHANGHAI).minutes == 90
    night = award(POLICY, "facility.lighting", at(23), at(23, 30), SHANGHAI)
    assert night.minutes == 135 and "night" in night.rule


def test_a_measured_credit_counts_the_time_up_to_the_cap_in_quarter_hours():
    assert award(POLICY, "civility.pets", at(9), at(10, 7), SHANGHAI).minutes == 60  # 67 → 60
    assert award(POLICY, "civility.pets", at(9), at(10, 8), SHANGHAI).minutes == 75  # half up
    assert award(POLICY, "civility.pets", at(9), at(18), SHANGHAI).minutes == 180  # the cap


def test_only_the_night_part_of_the_work_is_multiplied():
    # 21:00 to 23:00: one hour by day, one by night ×1.5 = 150 minutes
    assert award(POLICY, "civility.pets", at(21), at(23), SHANGHAI).minutes == 150
    # 05:00 to 07:00 the next morning: an hour of night, an hour of day
    assert award(POLICY, "civility.pets", at(5, day=7), at(7, day=7), SHANGHAI).minutes == 150


def test_a_minimum_applies_to_quick_work():
    assert award(POLICY, "facility.drain_blocked", at(9), at(9, 2), SHANGHAI).minutes == 30


def test_a_credit_over_the_threshold_waits_for_approval():
    policy = HoursPolicy(rules=(HoursRule("*", cap_minutes=600),), approval_above_minutes=240)
    assert award(policy, "x.y", at(9), at(13), SHANGHAI).state == "approved"
    assert award(policy, "x.y", at(9), at(13, 15), SHANGHAI).state == "pending_approval"


def test_without_an_acceptance_time_a_measured_rule_credits_its_minimum():
    assert award(POLICY, "facility.drain_blocked", None, at(9), SHANGHAI).minutes == 30


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(min_value=0, max_value=2000),
    category=st.sampled_from(["facility.lighting", "facility.drain_blocked", "civility.pets"]),
)
def test_credits_are_whole_units_within_bounds(start, minutes, category):
    begins = start.replace(tzinfo=UTC)
    credit = award(POLICY, category, begins, begins + timedelta(minutes=minutes), SHANGHAI)
    assert credit.minutes % POLICY.unit_minutes == 0
    assert POLICY.rule_for(category).minimum_minutes <= credit.minutes <= 240 * 1.5


def entry(id_, minutes, state="approved", kind="credit", refers_to=None) -> Entry:
    return Entry(id_, kind, state, "p", "c", minutes, at(9), refers_to=refers_to)


def test_the_balance_counts_approved_entries_only_and_a_reversal_takes_back_exactly():
    pending = entry("H-2", 300, "pending_approval")
    entries = [entry("H-1", 90), pending]
    assert balance(entries) == 90
    entries.append(ledger.decide(pending, True, 240, "staff", "", at(10)))
    assert balance(entries) == 330
    entries.append(ledger.reverse(entries[0], "HR-1", at(11), "reopened"))
    assert balance(entries) == 240


def test_a_decision_is_one_entry_with_a_known_id_and_only_for_a_pending_credit():
    pending = entry("H-2", 300, "pending_approval")
    rejected = ledger.decide(pending, False, None, "staff", "no", at(10))
    assert (rejected.id, rejected.kind, rejected.minutes) == ("H-2:decision", "correction", 0)
    with pytest.raises(ledger.NotPending):
        ledger.decide(entry("H-1", 90), True, None, "staff", "", at(10))


def test_an_approval_never_exceeds_the_credit():
    pending = entry("H-2", 300, "pending_approval")
    with pytest.raises(ledger.ExceedsCredit) as raised:
        ledger.decide(pending, True, 315, "staff", "", at(10))
    assert "hours" in raised.value.details()["fields"]
    assert ledger.decide(pending, True, 300, "staff", "", at(10)).minutes == 300


def test_nobody_decides_on_or_corrects_their_own_hours():
    pending = entry("H-2", 300, "pending_approval")  # person "p"
    for approve in (True, False):
        with pytest.raises(ledger.OwnHours):
            ledger.decide(pending, approve, None, "p", "", at(10), acting="p")
    assert ledger.decide(pending, True, None, "staff", "", at(10), acting="s").by == "staff"
    person = {"_id": "p", "community_id": "c", "household_id": "h"}
    with pytest.raises(ledger.OwnHours):
        ledger.correction("HX-1", person, 60, "加班", None, "p", at(10), acting="p")
    made = ledger.correction("HX-1", person, 60, "补录", None, "key", at(10), acting=None)
    assert (made.kind, made.state, made.household_id, made.by) == (
        "correction",
        "approved",
        "h",
        "key",
    )


def test_the_csv_export_gives_exact_minutes_and_hours():
    rows = [ledger.csv_row(e) for e in (entry("H-1", 90), entry("HR-1", -90, kind="reversal"))]
    lines = to_csv(ledger.CSV_COLUMNS, rows).splitlines()
    assert lines[0].startswith("entry_id,at,person_id,")
    assert [line.split(",")[8:10] for line in lines[1:]] == [["90", "1.50"], ["-90", "-1.50"]]


@pytest.mark.parametrize(
    ("whose", "expected"),
    [
        ({"person_id": "p-1"}, True),
        ({"person_id": "p-2"}, False),
        ({"household_id": "h-1"}, True),
        ({"household_id": "h-2"}, False),
        ({"household_id": ""}, False),
    ],
)
def test_who_reads_only_their_own_reads_their_ledger_and_household(whose, expected):
    reader = {"_id": "p-1", "household_id": "h-1"}
    assert ledger.may_read_ledger(reader, **whose) is expected
    assert not ledger.may_read_ledger(None, **whose)
    assert ledger.reads_own_ledger_only("volunteer")
    assert not ledger.reads_own_ledger_only("grid_worker")
    assert not ledger.reads_own_ledger_only(None)
