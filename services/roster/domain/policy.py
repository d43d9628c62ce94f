"""A community's rules, held in data: offer windows, attempts, the escalation chain,
caps (open cases; open offers by role), reminders, the hours rules and department
referrals.

data/policy.yaml holds the defaults (read once by services.roster.compose and checked
by `PolicySchema`); a community's `policy` in its import file overrides any key of them
(one rule of `hours.rules` or `departments` at a time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from fractions import Fraction
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lianxin.access.actors import ROLES
from lianxin.contracts.roster import ESCALATION_LEVELS
from services.roster.domain.dispatch import PRIORITIES, DispatchPolicy, EscalationStep
from services.roster.domain.ledger import HoursPolicy, HoursRule, NightWork

DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
CATEGORY_PATTERN = validate.Regexp(
    r"^(\*|[a-z_]+\.\*|[a-z_]+\.[a-z_]+)$", error="A category code, prefix.*, or *."
)
CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="A time like 22:00.")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$", error="Use 1–64 of a-z, 0-9, _ and -.")


def duration(text: str) -> timedelta:
    """`90s`, `15m`, `1h30m`, `2d`: how the data files write a length of time."""
    match = DURATION.match(str(text).strip())
    if not match or not any(match.groups()):
        raise ValueError(f"Not a duration like 15m or 1h30m: {text!r}.")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class Duration(fields.String):
    """A duration written as text; loads to the same text once it is known to parse."""

    def __init__(self, minimum: timedelta = timedelta(seconds=1), **kwargs: Any):
        super().__init__(**kwargs)
        self.minimum = minimum

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = duration(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if parsed < self.minimum:
            raise ValidationError(f"At least {self.minimum}.")
        return text


class _Strict(Schema):
    class Meta:
        ordered = True


class StepSchema(_Strict):
    level = fields.String(required=True, validate=validate.OneOf(ESCALATION_LEVELS))
    wait = Duration(load_default=None, allow_none=True)


class RuleSchema(_Strict):
    """Either `fixed: 1h30m`, or `measured: true` (acceptance to resolution) with a cap."""

    fixed = Duration(minimum=timedelta())
    measured = fields.Boolean()
    cap = Duration()
    minimum = Duration(minimum=timedelta())

    @validates_schema
    def one_way(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("fixed" in data) == bool(data.get("measured")):
            raise ValidationError("Give either fixed: <duration> or measured: true.")
        if "fixed" in data and "cap" in data:
            raise ValidationError("A fixed credit has no cap.", "cap")


class NightSchema(_Strict):
    from_ = fields.String(data_key="from", required=True, validate=CLOCK)
    to = fields.String(required=True, validate=CLOCK)
    multiplier = fields.Float(required=True, validate=validate.Range(1, 5))


class HoursSchema(_Strict):
    unit = Duration(minimum=timedelta(minutes=1))
    approval_above = Duration(minimum=timedelta())
    night = fields.Nested(NightSchema, allow_none=True)
    rules = fields.Dict(
        keys=fields.String(validate=CATEGORY_PATTERN), values=fields.Nested(RuleSchema)
    )


class DepartmentSchema(_Strict):
    code = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))


class PolicySchema(_Strict):
    """Every key optional: what a community leaves out comes from data/policy.yaml."""

    offer_window = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PRIORITIES)), values=Duration()
    )
    attempts = fields.Integer(strict=True, validate=validate.Range(1, 20))
    max_open_cases = fields.Integer(strict=True, validate=validate.Range(1, 200))
    max_open_offers = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ROLES)),
        values=fields.Integer(strict=True, validate=validate.Range(1, 200)),
    )
    escalation = fields.List(
        fields.Nested(StepSchema), validate=validate.Length(max=len(ESCALATION_LEVELS))
    )
    staff_team = fields.String(validate=SLUG)
    shift_reminder = Duration(minimum=timedelta())
    no_show_after = Duration(minimum=timedelta())
    care_reminder_after = Duration()
    care_grid_after = Duration()
    hours = fields.Nested(HoursSchema)
    departments = fields.Dict(
        keys=fields.String(validate=CATEGORY_PATTERN), values=fields.Nested(DepartmentSchema)
    )


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Policy:
    dispatch: DispatchPolicy
    hours: HoursPolicy
    departments: Mapping[str, Department]
    staff_team: str
    shift_reminder: timedelta
    no_show_after: timedelta
    care_reminder_after: timedelta  # a care round this long past due reminds its carer
    care_grid_after: timedelta  # and this long after the reminder, tells the grid worker

    def department_for(self, category: str) -> Department:
        """The most specific pattern: the code itself, then its prefix, then `*`."""
        prefix = category.split(".")[0] + ".*"
        for pattern in (category, prefix, "*"):
            if pattern in self.departments:
                return self.departments[pattern]
        return Department("subdistrict_office", "街道办事处")


def merged(defaults: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The defaults with a community's overrides laid over them."""
    base = defaults
    mine = dict(overrides or {})
    result = {**base, **mine}
    hours = {**base["hours"], **mine.get("hours", {})}
    hours["rules"] = {**base["hours"]["rules"], **mine.get("hours", {}).get("rules", {})}
    result["hours"] = hours
    result["departments"] = {**base["departments"], **mine.get("departments", {})}
    return result


def policy_from(defaults: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> Policy:
    """A community's policy: `defaults` (data/policy.yaml, as `PolicySchema` loads it) with
    its overrides laid over them."""
    raw = merged(defaults, overrides)
    escalation = tuple(
        EscalationStep(step["level"], duration(step["wait"]) if step.get("wait") else None)
        for step in raw["escalation"]
    )
    dispatch = DispatchPolicy(
        offer_window={
            priority: duration(text)
            for priority, text in {**defaults["offer_window"], **raw["offer_window"]}.items()
        },
        attempts=raw["attempts"],
        escalation=escalation,
        default_cap=raw["max_open_cases"],
        offer_caps={**defaults["max_open_offers"], **raw["max_open_offers"]},
    )
    return Policy(
        dispatch=dispatch,
        hours=_hours(raw["hours"]),
        departments={
            pattern: Department(entry["code"], entry["name"])
            for pattern, entry in raw["departments"].items()
        },
        staff_team=raw["staff_team"],
        shift_reminder=duration(raw["shift_reminder"]),
        no_show_after=duration(raw["no_show_after"]),
        care_reminder_after=duration(raw["care_reminder_after"]),
        care_grid_after=duration(raw["care_grid_after"]),
    )


def _hours(raw: Mapping[str, Any]) -> HoursPolicy:
    night = raw.get("night")
    return HoursPolicy(
        rules=tuple(_rule(pattern, rule) for pattern, rule in raw["rules"].items()),
        night=NightWork(
            time.fromisoformat(night["from_"]),
            time.fromisoformat(night["to"]),
            Fraction(str(night["multiplier"])),
        )
        if night
        else None,
        approval_above_minutes=_minutes(raw["approval_above"]),
        unit_minutes=_minutes(raw["unit"]),
    )


def _rule(pattern: str, raw: Mapping[str, Any]) -> HoursRule:
    return HoursRule(
        pattern=pattern,
        fixed_minutes=_minutes(raw["fixed"]) if "fixed" in raw else None,
        cap_minutes=_minutes(raw["cap"]) if "cap" in raw else None,
        minimum_minutes=_minutes(raw.get("minimum", "15m")),
    )


def _minutes(text: str) -> int:
    return int(duration(text).total_seconds() // 60)


def storable(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Category patterns are keys in the data files but contain dots, which a stored
    field name may not: rules and departments are stored as lists with a `pattern`."""
    stored = dict(overrides)
    if "hours" in stored:
        hours = dict(stored["hours"])
        if "rules" in hours:
            hours["rules"] = [{"pattern": p, **rule} for p, rule in hours["rules"].items()]
        stored["hours"] = hours
    if "departments" in stored:
        stored["departments"] = [{"pattern": p, **d} for p, d in stored["departments"].items()]
    return stored


def from_storable(stored: Mapping[str, Any]) -> dict[str, Any]:
    overrides = dict(stored)
    if "hours" in overrides:
        hours = dict(overrides["hours"])
        if "rules" in hours:
            hours["rules"] = {r["pattern"]: _without_pattern(r) for r in hours["rules"]}
        overrides["hours"] = hours
    if "departments" in overrides:
        overrides["departments"] = {
            d["pattern"]: _without_pattern(d) for d in overrides["departments"]
        }
    return overrides


def _without_pattern(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "pattern"}
