"""A community's policy held in data: durations as the files write them, and the defaults
(data/policy.yaml, as services.roster.compose reads them) with a community's overrides
laid over them. Plain Python."""

from __future__ import annotations

import pytest

from services.roster.compose import policy_defaults
from services.roster.domain.policy import duration, policy_from


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800)]
)
def test_durations_in_data(text, seconds):
    assert duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "-3m"])
def test_a_bad_duration_says_so(text):
    with pytest.raises(ValueError, match="Not a duration"):
        duration(text)


def test_a_community_overrides_one_rule_and_keeps_the_others():
    policy = policy_from(
        policy_defaults(),
        {"attempts": 2, "hours": {"rules": {"facility.lighting": {"fixed": "2h"}}}},
    )
    assert policy.dispatch.attempts == 2
    assert policy.hours.rule_for("facility.lighting").fixed_minutes == 120
    assert policy.hours.rule_for("care.elderly_alone").fixed_minutes == 120  # the default's
    assert policy.department_for("parking.fire_lane").code == "fire_rescue"
    assert policy.department_for("parking.zombie_car").code == "urban_management"
    assert policy.department_for("unknown.thing").code == "subdistrict_office"


def test_the_cap_on_open_offers_is_per_role_and_a_community_may_change_one_role():
    defaults = policy_from(policy_defaults(), None).dispatch
    assert defaults.offer_cap(["volunteer"]) < defaults.offer_cap(["grid_leader"])
    mine = policy_from(policy_defaults(), {"max_open_offers": {"volunteer": 1}}).dispatch
    assert mine.offer_cap(["volunteer"]) == 1
    assert mine.offer_cap(["grid_worker"]) == defaults.offer_cap(["grid_worker"])
    assert mine.offer_cap(["volunteer", "staff"]) == defaults.offer_cap(["staff"])  # the largest
    assert mine.offer_cap([]) == 1  # no role: a volunteer's
