"""Who gets the case, and how a dispatch moves: plain Python, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.roster.domain import dispatch as dispatching
from services.roster.domain.dispatch import (
    Candidate,
    CaseRef,
    DispatchPolicy,
    EndOffer,
    Escalate,
    EscalationStep,
    Hold,
    MakeOffer,
    Release,
    choose,
    handles,
)

NOW = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
POLICY = DispatchPolicy(
    offer_window={"urgent": timedelta(minutes=5), "normal": timedelta(minutes=15)},
    attempts=3,
    escalation=(
        EscalationStep("grid_leader", timedelta(minutes=15)),
        EscalationStep("community_staff", timedelta(minutes=30)),
        EscalationStep("department"),
    ),
    default_cap=5,
    offer_caps={"volunteer": 3},
)
CASE = CaseRef("LX-1", "jx", "g1", "facility.lighting", "repair_crew", "normal", "corr")


def person(
    name: str, distance=0, open_cases=0, cap=5, last=None, open_offers=0, offer_cap=3
) -> Candidate:
    return Candidate(
        name, name.upper(), "repair_crew", "g1", distance, open_cases, cap, last,
        open_offers=open_offers, offer_cap=offer_cap,
    )  # fmt: skip


# -- the fair choice -----------------------------------------------------------------------------


def test_the_same_grid_comes_before_fewer_open_cases_elsewhere():
    chosen = choose([person("far", distance=1), person("near", open_cases=3)], (), "C")
    assert chosen.person_id == "near"


def test_fewest_open_cases_then_longest_since_the_last_offer():
    busy = person("busy", open_cases=2)
    recent = person("recent", open_cases=1, last=NOW - timedelta(minutes=1))
    waiting = person("waiting", open_cases=1, last=NOW - timedelta(hours=3))
    assert choose([busy, recent, waiting], (), "C").person_id == "waiting"
    never = person("never", open_cases=1)
    assert choose([busy, recent, waiting, never], (), "C").person_id == "never"


def test_nobody_at_their_cap_or_who_passed_is_chosen():
    full = person("full", open_cases=5)
    passed = person("passed")
    assert choose([full, passed], ["passed"], "C") is None
    assert choose([full, passed, person("free", distance=1)], ["passed"], "C").person_id == "free"


def test_nobody_with_as_many_open_offers_as_their_role_allows_is_offered_another():
    busy = person("busy", open_offers=3, offer_cap=3)
    assert choose([busy], (), "C") is None
    assert choose([busy, person("far", distance=1)], (), "C").person_id == "far"
    assert choose([person("busy", open_offers=2, offer_cap=3)], (), "C").person_id == "busy"


def test_an_open_offer_counts_until_it_expires():
    held = [
        {"offer_id": "OF-1", "case_id": "C-1", "expires_at": NOW + timedelta(minutes=1)},
        {"offer_id": "OF-2", "case_id": "C-2", "expires_at": NOW},  # its expiry is due
    ]
    assert dispatching.open_offers(held, NOW) == ["OF-1"]


def test_someone_on_two_rotas_counts_at_their_nearest():
    found = dispatching.eligible([person("a", distance=1), person("a", distance=0)], ())
    assert [(c.person_id, c.distance) for c in found] == [("a", 0)]


@given(
    people=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.integers(0, 6),
            st.integers(1, 6),
            st.integers(0, 100),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=8,
    ),
    passed=st.sets(st.integers(0, 7)),
    case_id=st.text(min_size=1, max_size=8),
)
def test_the_choice_is_always_an_eligible_person_ranked_first(people, passed, case_id):
    candidates = [
        person(f"p{i}", distance, open_, cap, NOW - timedelta(minutes=minutes), offers)
        for i, (distance, open_, cap, minutes, offers) in enumerate(people)
    ]
    passed_ids = {f"p{i}" for i in passed}
    chosen = choose(candidates, passed_ids, case_id)
    eligible = [
        c
        for c in candidates
        if c.person_id not in passed_ids and c.open_cases < c.cap and c.open_offers < c.offer_cap
    ]
    if not eligible:
        assert chosen is None
        return
    assert chosen in eligible
    best = min((c.distance, c.open_cases, c.last_offer_at) for c in eligible)
    assert (chosen.distance, chosen.open_cases, chosen.last_offer_at) == best


def test_equal_candidates_share_the_work_across_cases():
    pair = [person("a"), person("b")]
    picks = {choose(pair, (), f"C-{n}").person_id for n in range(50)}
    assert picks == {"a", "b"}


@pytest.mark.parametrize(
    ("categories", "category", "team", "takes"),
    [
        ([], "facility.lighting", "repair_crew", True),  # the taxonomy's team
        (["facility.*"], "facility.lighting", "other", True),
        (["facility.lighting"], "facility.lighting", "other", True),
        (["*"], "dispute.family", "other", True),
        (["parking.*"], "facility.lighting", "other", False),
    ],
)
def test_a_rota_takes_its_teams_categories_and_the_taxonomys_choice(
    categories, category, team, takes
):
    entry = {"team": "repair_crew", "categories": categories}
    assert handles(entry, category, team) is takes


# -- the dispatch ------------------------------------------------------------------------------


def offer_to(dispatch, people, now=NOW, nobody="nobody on duty"):
    offer_id = f"OF-{dispatch.round}-{dispatch.attempt + 1}"
    return dispatching.next_move(dispatch, people, offer_id, now, POLICY, nobody)


def test_an_offer_goes_to_the_best_candidate_and_expires_after_the_window():
    moved, effects = offer_to(dispatching.start(CASE), [person("a"), person("b", open_cases=1)])
    (make,) = effects
    assert isinstance(make, MakeOffer)
    assert (make.offer.person_id, make.offer.attempt) == ("a", 1)
    assert make.offer.expires_at == NOW + timedelta(minutes=15)
    assert moved.state == "offered" and moved.offer == make.offer


def test_decline_and_expiry_pass_to_the_next_and_the_chain_starts_after_the_attempts():
    dispatch = dispatching.start(CASE)
    people = [person(name, last=NOW - timedelta(hours=4 - i)) for i, name in enumerate("abcd")]
    for outcome, expected in (("declined", "a"), ("expired", "b"), ("declined", "c")):
        dispatch, effects = offer_to(dispatch, people)
        assert effects[0].offer.person_id == expected
        dispatch, ended = dispatching.pass_on(dispatch, effects[0].offer.id, outcome)
        assert ended == [EndOffer(effects[0].offer, outcome)]
    assert dispatch.passed == ("a", "b", "c")
    dispatch, effects = offer_to(dispatch, people)  # three attempts made: d is not tried
    assert effects == [
        Escalate(1, "grid_leader", "no one accepted after 3 offers", timedelta(minutes=15))
    ]
    assert dispatch.state == "escalated"


def test_nobody_on_duty_escalates_at_once_with_the_reason():
    _, effects = offer_to(dispatching.start(CASE), [], nobody="no rota serves grid g9")
    assert effects == [Escalate(1, "grid_leader", "no rota serves grid g9", timedelta(minutes=15))]


def test_each_step_fires_once_in_order_and_the_chain_ends():
    dispatch, _ = offer_to(dispatching.start(CASE), [])
    dispatch, effects = dispatching.next_step(dispatch, 2, 1, POLICY)
    assert effects[0].level == "community_staff" and effects[0].wait == timedelta(minutes=30)
    assert dispatching.next_step(dispatch, 2, 1, POLICY) is None  # the same step again: nothing
    dispatch, effects = dispatching.next_step(dispatch, 3, 1, POLICY)
    assert effects == [Escalate(3, "department", effects[0].reason, None)]
    assert dispatching.next_step(dispatch, 4, 1, POLICY) is None


def test_acceptance_stops_the_chain_and_expiry():
    dispatch, effects = offer_to(dispatching.start(CASE), [person("a")])
    taken, taken_effects = dispatching.take(dispatch, "a")
    assert taken_effects == [EndOffer(effects[0].offer, "accepted"), Hold("a")]
    assert dispatching.pass_on(taken, effects[0].offer.id, "expired") is None
    escalated, _ = offer_to(dispatching.start(CASE), [])
    assigned, _ = dispatching.take(escalated, "leader")
    assert dispatching.next_step(assigned, 2, 1, POLICY) is None


def test_a_decline_of_an_offer_no_longer_open_changes_nothing():
    dispatch, effects = offer_to(dispatching.start(CASE), [person("a"), person("b")])
    passed, _ = dispatching.pass_on(dispatch, effects[0].offer.id, "declined")
    assert dispatching.pass_on(passed, effects[0].offer.id, "expired") is None


def test_resolution_and_withdrawal_release_the_holder_and_reopening_starts_a_new_round():
    dispatch, _ = offer_to(dispatching.start(CASE), [person("a")])
    dispatch, _ = dispatching.take(dispatch, "a")
    resolved, effects = dispatching.resolve(dispatch)
    assert effects == [Release("a")] and resolved.holder is None
    reopened, effects = dispatching.reopen(resolved)
    assert (reopened.round, reopened.attempt, reopened.passed, reopened.step) == (2, 0, (), 0)
    assert effects == []
    withdrawn, effects = dispatching.end(dispatch)
    assert effects == [Release("a")] and withdrawn.state == "ended"


def test_events_older_than_the_last_applied_are_stale_and_ids_are_bounded():
    dispatch = dispatching.start(CASE)
    for index in range(40):
        dispatch = dispatch.remember(f"e{index}", index)
    assert len(dispatch.applied) == dispatching.APPLIED_KEPT and dispatch.seen("e39")
    assert dispatch.is_stale(39) and not dispatch.is_stale(40)
    assert dispatch.version_of(None) == 40  # no version: in the order it arrives


def test_every_change_that_leaves_nobody_with_the_case_ends_its_offer_and_releases_its_holder():
    """Events arrive out of order: a resolution or a reopening may meet an open offer or a
    holder that an earlier event would have ended, and must end them itself."""
    offered, made = offer_to(dispatching.start(CASE), [person("a")])
    offer = made[0].offer
    for change in (dispatching.resolve, dispatching.reopen, dispatching.end):
        moved, effects = change(offered)
        assert (moved.offer, effects) == (None, [EndOffer(offer, "withdrawn")]), change
    held, _ = dispatching.take(offered, "a")
    for change in (dispatching.resolve, dispatching.reopen, dispatching.end):
        moved, effects = change(held)
        assert (moved.holder, effects) == (None, [Release("a")]), change


def test_a_decline_by_the_person_assigned_releases_them_and_passes_them_over():
    escalated, _ = offer_to(dispatching.start(CASE), [])
    assigned, _ = dispatching.take(escalated, "b")
    declined, effects = dispatching.decline(assigned, "b", None)
    assert effects == [Release("b")]
    assert (declined.state, declined.holder, declined.passed) == ("offered", None, ("b",))


def test_a_decline_of_the_open_offer_ends_it_and_one_of_another_leaves_it_open():
    dispatch, made = offer_to(dispatching.start(CASE), [person("a")])
    declined, effects = dispatching.decline(dispatch, "a", made[0].offer.id)
    assert effects == [EndOffer(made[0].offer, "declined")] and declined.offer is None
    untouched, effects = dispatching.decline(dispatch, "z", "OF-OLD")
    assert effects == [] and untouched.offer == made[0].offer and "z" in untouched.passed
