"""The quarterly evaluation of grids and teams (季度考评) and the red/black list (红黑榜),
with the mediation desk's quarter (矛盾调处) beside them.

The weights and thresholds are data (data/evaluation.yaml, read by compose.py), and
the formula is returned beside the scores, so a grid leader can check a score by hand.
The desk's quarter is counted, not scored: disputes taken, settled and referred, the
sessions held, and the agreements' follow-up visits done on time, late or not made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.metrics.domain.reports import figures

UNIT_KINDS = ("grid", "team")
# the desk's quarter as the evaluation shows it, in this order
DESK_FIGURES = (
    "disputes_taken",
    "disputes_settled",
    "disputes_referred",
    "mediation_sessions",
    "follow_ups_done",
    "follow_ups_on_time",
    "follow_ups_late",
    "follow_ups_overdue",
    "referrals_answered",
)


@dataclass(frozen=True)
class Policy:
    weights: Mapping[str, int]  # rate (a key of reports.figures) → weight
    labels: Mapping[str, Mapping[str, str]]
    minimum_cases: int
    red_size: int
    red_min_score: float
    black_size: int
    black_max_score: float

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        return cls(
            weights=dict(data["weights"]),
            labels=dict(data["labels"]),
            minimum_cases=int(data["minimum_cases"]),
            red_size=int(data["red_list"]["size"]),
            red_min_score=float(data["red_list"]["min_score"]),
            black_size=int(data["black_list"]["size"]),
            black_max_score=float(data["black_list"]["max_score"]),
        )

    def formula(self) -> dict[str, Any]:
        """The score's formula and its rules, in both languages."""
        total = sum(self.weights.values())
        terms = [(weight, self.labels[name]) for name, weight in self.weights.items()]
        return {
            "zh": "得分 = "
            + " + ".join(f"{w}×{label['zh']}" for w, label in terms)
            + (f" (÷{total / 100:g})" if total != 100 else ""),
            "en": "score = "
            + " + ".join(f"{w} × {label['en']}" for w, label in terms)
            + (f" (÷{total / 100:g})" if total != 100 else ""),
            "weights": dict(self.weights),
            "rules": [
                "Rates are those of the quarter, each between 0 and 1.",
                "A rate with nothing to measure is left out and the other weights scaled to 100.",
                f"Units with fewer than {self.minimum_cases} cases collected are not ranked.",
                f"Red list: the best {self.red_size} ranked units scoring {self.red_min_score:g}+.",
                f"Black list: the worst {self.black_size} ranked units scoring below "
                f"{self.black_max_score:g}.",
            ],
            "rules_zh": [  # the same rules, for a page in Chinese (the staff console's)
                "各项比率均为本季度的数值，取值0至1。",
                "某项比率无可计量时不计入，其余权重按比例补足至100。",
                f"本季度受理少于{self.minimum_cases}件的单位不参与排名。",
                f"红榜：排名前{self.red_size}且得分不低于{self.red_min_score:g}的单位。",
                f"黑榜：排名最后{self.black_size}且得分低于{self.black_max_score:g}的单位。",
            ],
        }

    def score(self, rates: Mapping[str, float | None]) -> float | None:
        counted = {name: w for name, w in self.weights.items() if rates.get(name) is not None}
        if not counted:
            return None
        weighted = sum(w * float(rates[name]) for name, w in counted.items())  # type: ignore[arg-type]
        return round(100 * weighted / sum(counted.values()), 1)


def evaluate(
    policy: Policy, flows_by_unit: Mapping[str, Mapping[str, int]], names: Mapping[str, str]
) -> dict[str, Any]:
    """Score each unit, rank those with enough cases, and draw the red and black lists."""
    rows = []
    for unit, flows in flows_by_unit.items():
        numbers = figures(flows)
        rates = {name: numbers[name] for name in policy.weights}
        rows.append(
            {
                "unit": unit,
                "name": names.get(unit, unit),
                "collected": numbers["collected"],
                "resolved": numbers["resolved"],
                **rates,
                "median_resolve_seconds": numbers["time_to_resolve"]["median_seconds"],
                "score": policy.score(rates),
                "ranked": numbers["collected"] >= policy.minimum_cases,
                "rank": None,
            }
        )
    ranked = sorted(
        (row for row in rows if row["ranked"] and row["score"] is not None),
        key=lambda row: (-row["score"], -row["resolved"], row["unit"]),
    )
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    red = [row for row in ranked[: policy.red_size] if row["score"] >= policy.red_min_score]
    rest = [row for row in ranked if row not in red]
    low = [row for row in rest if row["score"] < policy.black_max_score]
    black = low[max(0, len(low) - policy.black_size) :]
    rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["unit"]))
    return {
        "formula": policy.formula(),
        "units": rows,
        "red_list": [_listed(row) for row in red],
        "black_list": [_listed(row) for row in reversed(black)],
    }


def desk_quarter(flows: Mapping[str, int]) -> dict[str, int]:
    """The desk's figures of the community's quarter (its flows summed over the days): a
    visit done after its day is late; a reminder counts a visit not made by its day."""
    desk = {name: int(flows.get(name, 0)) for name in DESK_FIGURES}
    desk["follow_ups_late"] = desk["follow_ups_done"] - desk["follow_ups_on_time"]
    return desk


def _listed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("unit", "name", "score", "rank")}
