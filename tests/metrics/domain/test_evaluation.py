"""The quarterly evaluation and the red/black list. Plain Python, no I/O."""

from __future__ import annotations

from services.metrics.domain.evaluation import Policy, evaluate

POLICY = Policy(
    weights={"resolution_rate": 50, "satisfaction_rate": 50},
    labels={
        "resolution_rate": {"zh": "办结率", "en": "resolution rate"},
        "satisfaction_rate": {"zh": "满意率", "en": "satisfaction rate"},
    },
    minimum_cases=3,
    red_size=2,
    red_min_score=80,
    black_size=2,
    black_max_score=60,
)


def unit(collected: int, resolved: int, rated: int = 0, satisfied: int = 0) -> dict[str, int]:
    return {
        "reported": collected,
        "resolved": resolved,
        "cohort_resolved": resolved,
        "rated": rated,
        "satisfied": satisfied,
    }


def test_the_score_is_the_weighted_mean_of_the_rates_out_of_100():
    assert POLICY.score({"resolution_rate": 0.9, "satisfaction_rate": 0.7}) == 80.0


def test_a_rate_with_nothing_to_measure_leaves_and_the_others_fill_its_weight():
    assert POLICY.score({"resolution_rate": 0.9, "satisfaction_rate": None}) == 90.0
    assert POLICY.score({"resolution_rate": None, "satisfaction_rate": None}) is None


def test_units_are_ranked_and_the_best_and_worst_make_the_red_and_black_lists():
    report = evaluate(
        POLICY,
        {
            "g1": unit(10, 10, 10, 9),  # 95
            "g2": unit(10, 9, 10, 8),  # 85
            "g3": unit(10, 8, 10, 8),  # 80: third, so not on a red list of two
            "g4": unit(10, 5, 10, 5),  # 50
            "g5": unit(10, 2, 10, 6),  # 40
            "g6": unit(2, 0),  # too few cases to rank
        },
        {"g1": "一网格"},
    )
    ranks = {row["unit"]: row["rank"] for row in report["units"]}
    assert ranks == {"g1": 1, "g2": 2, "g3": 3, "g4": 4, "g5": 5, "g6": None}
    assert [row["unit"] for row in report["units"]][-1] == "g6"
    assert report["red_list"] == [
        {"unit": "g1", "name": "一网格", "score": 95.0, "rank": 1},
        {"unit": "g2", "name": "g2", "score": 85.0, "rank": 2},
    ]
    assert [row["unit"] for row in report["black_list"]] == ["g5", "g4"]  # the worst first


def test_nobody_is_on_a_list_whose_threshold_they_miss():
    report = evaluate(POLICY, {"g1": unit(10, 7, 10, 7), "g2": unit(10, 7, 10, 6)}, {})
    assert report["red_list"] == [] and report["black_list"] == []


def test_the_formula_and_its_rules_are_shown_in_both_languages_beside_the_scores():
    formula = evaluate(POLICY, {}, {})["formula"]
    assert formula["zh"] == "得分 = 50×办结率 + 50×满意率"
    assert formula["en"] == "score = 50 × resolution rate + 50 × satisfaction rate"
    assert formula["weights"] == {"resolution_rate": 50, "satisfaction_rate": 50}
    assert len(formula["rules_zh"]) == len(formula["rules"])
    assert f"少于{POLICY.minimum_cases}件" in formula["rules_zh"][2]
    assert f"不低于{POLICY.red_min_score:g}" in formula["rules_zh"][3]


