"""Triage from data: colloquial reports to categories, emergencies, the taxonomy's own
consistency. Plain Python, no I/O."""

from __future__ import annotations

import pytest

from services.cases.domain.triage import UnknownCategory
from tests.cases.factories import TAXONOMY

REPORTS = [
    # how residents put it → category, priority
    ("楼上有人往下扔花盆，太危险了", "civility.thrown_objects", "urgent"),
    ("flowerpot thrown from a window on the 9th floor", "civility.thrown_objects", "urgent"),
    ("3栋有人从窗户扔垃圾袋下来", "civility.thrown_objects", "urgent"),
    ("半夜装修电钻声，吵得睡不着", "civility.noise", "normal"),
    ("小区广场舞音响太大，每天晚上到十点", "civility.noise", "normal"),
    ("night-time renovation next door, drilling at night", "civility.noise", "normal"),
    ("楼道里堆满杂物，把消防通道都堵住了", "environment.stairwell_clutter", "high"),
    (
        "a stairwell full of clutter blocking the fire escape",
        "environment.stairwell_clutter",
        "high",
    ),
    ("一辆白色轿车停在消防通道上好几天了", "parking.fire_lane", "urgent"),
    ("僵尸车停了半年没人管", "parking.zombie_car", "low"),
    ("5栋楼道灯坏了，晚上看不见台阶", "facility.lighting", "normal"),
    ("有人在绿地上种菜", "environment.green_space_encroachment", "normal"),
    ("楼下有人养鸡，鸡粪很臭", "environment.poultry", "normal"),
    ("大型犬不拴绳，小孩很害怕", "civility.pets", "normal"),
    ("有人上门推销保健品骗老人", "security.fraud_sales", "high"),
    ("物业不管事，物业费还涨了", "dispute.property_management", "normal"),
    ("楼上楼下邻居为漏水吵架", "dispute.neighbour", "normal"),
    ("独居老人好几天没出门了", "care.elderly_alone", "high"),
    ("房产证办了三年还没下来", "referral.property_title", "low"),
    ("下水道堵了，污水返上来", "facility.drain_blocked", "high"),
]


@pytest.mark.parametrize(("text", "category", "priority"), REPORTS)
def test_colloquial_reports_map_to_their_category_and_priority(text, category, priority):
    decided = TAXONOMY.triage(text)
    assert decided.category is not None, text
    assert (decided.category.code, decided.priority, decided.source) == (
        category,
        priority,
        "keywords",
    )
    assert decided.keywords and all(word in text.lower() for word in decided.keywords)


@pytest.mark.parametrize(
    ("text", "kind", "call"),
    [
        ("厨房着火了，冒烟", "fire", "119"),
        ("闻到很浓的煤气味", "gas", "119"),
        ("楼上扔下花盆砸伤了人，在流血", "injury", "120"),
        ("two men fighting with a knife in the car park", "violence", "110"),
    ],
)
def test_an_emergency_is_recognised_with_the_number_to_call_and_made_urgent(text, kind, call):
    decided = TAXONOMY.triage(text)
    assert decided.emergency is not None
    assert (decided.emergency.kind, decided.emergency.call, decided.priority) == (
        kind,
        call,
        "urgent",
    )


@pytest.mark.parametrize(
    "text",
    [
        "没有人受伤，就是楼道灯坏了",
        "花盆差点砸到人",
        "nobody was injured, the stair light is broken",
        "a car is parked in the fire lane",
        "楼道堆物堵住了消防通道",
    ],
)
def test_no_emergency_where_it_is_denied_or_only_a_fire_lane(text):
    assert TAXONOMY.triage(text).emergency is None


def test_what_nothing_maps_goes_to_manual_triage():
    decided = TAXONOMY.triage("这个事情很奇怪，说不清楚")
    assert (decided.category, decided.priority, decided.source) == (None, None, "none")


def test_the_reporters_category_wins_and_an_unknown_one_is_refused():
    decided = TAXONOMY.triage("楼道灯坏了", code="parking.fire_lane")
    assert (decided.category.code, decided.source) == ("parking.fire_lane", "reporter")
    with pytest.raises(UnknownCategory) as refused:
        TAXONOMY.triage("x", code="no.such")
    assert refused.value.details() == {"fields": {"category": ["Unknown category no.such."]}}


def test_the_hotlines_free_text_category_counts_as_much_as_the_description():
    decided = TAXONOMY.triage("请尽快处理", hint="市容环境-楼道堆物")
    assert decided.category.code == "environment.stairwell_clutter"


def test_latin_keywords_match_whole_words_only():
    assert TAXONOMY.triage("a delightful afternoon").category is None  # not "light"


def test_every_category_has_limits_for_every_priority_and_accepts_before_it_resolves():
    for category in TAXONOMY.categories.values():
        assert set(category.limits) == set(TAXONOMY.priorities), category.code
        for limit in category.limits.values():
            assert limit.accept < limit.resolve, category.code
        assert TAXONOMY.team_name(category.team) != category.team  # every team has a name
        assert category.name_zh and category.name_en


@pytest.mark.parametrize("code", sorted(TAXONOMY.categories))
def test_every_category_name_is_whole_in_both_languages(code):
    """A comma inside an unquoted YAML flow mapping silently cuts a name short."""
    category = TAXONOMY.category(code)
    for name in (category.name_zh, category.name_en):
        assert name and name.count("(") == name.count(")"), name
        assert name.count("（") == name.count("）"), name


def test_a_report_nothing_maps_is_suggested_the_categories_it_half_matches():
    """楼梯 alone is the stairwell rule's `any` without the clutter it needs; 消防通道 the
    fire lane's without a car: the triage queue offers them, best first, and nothing for
    a report that says nothing the rules know."""
    assert TAXONOMY.triage("楼梯那边很奇怪").suggestions == ("environment.stairwell_clutter",)
    assert TAXONOMY.triage("消防通道那里有情况").suggestions[0] == "parking.fire_lane"
    assert TAXONOMY.triage("这个事情很奇怪，说不清楚").suggestions == ()
    assert TAXONOMY.triage("楼道灯坏了").suggestions == (), "a mapped report needs none"
