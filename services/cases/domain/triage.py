"""Triage from data: which category a report is, how urgent, and whether it is an emergency.

The taxonomy, the keyword rules and the emergency phrases are data
(services/cases/data/*.yaml, read once by compose.py); this module only interprets
them. Plain Python, no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from lianxin.contracts.calendars import DeskCalendar

MAX_SUGGESTIONS = 3


class UnknownCategory(Exception):
    def __init__(self, code: str, field_name: str = "category"):
        super().__init__(f"Unknown category {code}.")
        self.code = code
        self.field_name = field_name

    def details(self) -> dict[str, Any]:
        return {"fields": {self.field_name: [f"Unknown category {self.code}."]}}


@dataclass(frozen=True)
class Limit:
    accept: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class Attribute:
    """An extra question about a category (an Open311 service attribute)."""

    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool
    description: str
    values: tuple[tuple[str, str], ...] = ()
    order: int = 1


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    group: str
    team: str
    priority: str
    limits: Mapping[str, Limit]
    duplicate_radius_m: float
    duplicate_window: timedelta
    attributes: tuple[Attribute, ...] = ()
    private: bool = False  # about a household, not a place: never shown to the public
    property_complaint: bool = False  # about the estate's property company: counted against it

    @property
    def label(self) -> dict[str, str]:
        return {"zh": self.name_zh, "en": self.name_en}

    def limit(self, priority: str) -> Limit:
        return self.limits[priority]

    @property
    def merges_duplicates(self) -> bool:
        return self.duplicate_window > timedelta(0)


@dataclass(frozen=True)
class Rule:
    category: str
    phrases: tuple[str, ...]
    together_with: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    priority: str | None = None


@dataclass(frozen=True)
class EmergencyKind:
    kind: str
    call: str
    phrases: tuple[str, ...]
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Emergency:
    kind: str
    call: str


@dataclass(frozen=True)
class Triage:
    """What triage decided. `category` is None when nothing mapped: manual triage."""

    category: Category | None
    priority: str | None
    source: str  # reporter | keywords | none
    keywords: tuple[str, ...] = ()
    emergency: Emergency | None = None
    suggestions: tuple[str, ...] = ()  # when nothing mapped: categories it partly matched


@dataclass(frozen=True)
class Taxonomy:
    categories: Mapping[str, Category]
    priorities: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    emergencies: tuple[EmergencyKind, ...] = ()
    negations: tuple[str, ...] = ()
    warning_share: float = 0.8  # set from the service's config (TIME_WARNING_SHARE)
    teams: Mapping[str, Mapping[str, str]] | None = None  # team → {zh, en} names
    # the desks keeping opening hours, by `<community>:<team>` (lianxin/contracts/calendars.yaml):
    # their cases' limits follow the desk's calendar
    desks: Mapping[str, DeskCalendar] | None = None
    # an agreement's follow-up visit, this long after it (MEDIATION_FOLLOW_UP_DAYS)
    follow_up_after: timedelta = timedelta(days=30)  # compose.py sets it from the config

    def desk(self, community_id: str, team: str) -> DeskCalendar | None:
        """The calendar of the community's team, when it keeps opening hours."""
        return (self.desks or {}).get(f"{community_id}:{team}")

    def team_name(self, team: str, language: str = "zh") -> str:
        return ((self.teams or {}).get(team) or {}).get(language) or team

    @functools.cached_property
    def public_categories(self) -> tuple[str, ...]:
        """The codes of the categories whose cases the public may see."""
        return tuple(code for code, category in self.categories.items() if not category.private)

    def category(self, code: str, field_name: str = "category") -> Category:
        if code not in self.categories:
            raise UnknownCategory(code, field_name)
        return self.categories[code]

    def higher(self, first: str, second: str | None) -> str:
        """The more urgent of two priorities."""
        if second is None:
            return first
        return max(first, second, key=self.priorities.index)

    def triage(self, description: str, code: str | None = None, hint: str = "") -> Triage:
        """A reporter's category code wins; otherwise the keyword rule whose phrases say the
        most about the report (and the hotline's free-text category, `hint`); on a tie, the
        rule listed first."""
        text = f"{hint} {description}".lower()
        emergency = self.emergency_in(text)
        if code:
            category = self.category(code)
            return Triage(
                category, self._priority(category, None, emergency), "reporter", (), emergency
            )
        best: tuple[int, Rule, tuple[str, ...]] | None = None
        for rule in self.rules:
            found = _rule_matches(rule, text)
            if found and (best is None or sum(map(len, found)) > best[0]):
                best = (sum(map(len, found)), rule, found)
        if best is None:
            return Triage(
                None, "urgent" if emergency else None, "none", (), emergency, self.suggest(text)
            )
        _, rule, found = best
        category = self.categories[rule.category]
        return Triage(
            category,
            self._priority(category, rule.priority, emergency),
            "keywords",
            found,
            emergency,
        )

    def suggest(self, text: str) -> tuple[str, ...]:
        """For the manual triage queue: the categories of the rules a report half matches
        (a phrase of `any` without the `with` it needs, or one of `with` alone), those that
        match the most text first; at most MAX_SUGGESTIONS."""
        scores: dict[str, int] = {}
        for rule in self.rules:
            found = [p for p in (*rule.phrases, *rule.together_with) if _mentions(text, p)]
            score = sum(map(len, found))
            if score > scores.get(rule.category, 0):
                scores[rule.category] = score
        ranked = sorted(scores, key=lambda code: -scores[code])  # stable: rule order on ties
        return tuple(ranked[:MAX_SUGGESTIONS])

    def emergency_in(self, text: str) -> Emergency | None:
        text = text.lower()
        for kind in self.emergencies:
            cleaned = text
            for phrase in kind.ignore:
                cleaned = cleaned.replace(phrase, " ")
            if any(_mentions(cleaned, phrase, self.negations) for phrase in kind.phrases):
                return Emergency(kind.kind, kind.call)
        return None

    def _priority(self, category: Category, raised: str | None, emergency: Emergency | None) -> str:
        priority = self.higher(category.priority, raised)
        return self.higher(priority, "urgent" if emergency else None)

    @classmethod
    def from_data(
        cls,
        taxonomy: Mapping[str, Any],
        keywords: Mapping[str, Any],
        emergencies: Mapping[str, Any],
    ) -> Taxonomy:
        """Build from the three YAML documents, checking they agree with each other."""
        priorities = tuple(taxonomy["priorities"])
        defaults = _limits(taxonomy["default_limits"])
        categories = {
            code: _category(code, entry, defaults, taxonomy["default_duplicates"], priorities)
            for code, entry in taxonomy["categories"].items()
        }
        for category in categories.values():
            if category.team not in (taxonomy.get("teams") or {}):
                raise ValueError(f"{category.code}: team {category.team} has no names")
        rules = tuple(_rule(entry) for entry in keywords["rules"])
        for rule in rules:
            if rule.category not in categories or (
                rule.priority and rule.priority not in priorities
            ):
                raise ValueError(f"keyword rule for an unknown category or priority: {rule}")
        kinds = tuple(
            EmergencyKind(
                kind,
                str(entry["call"]),
                _lower(entry["any"]),
                _lower(entry.get("ignore", ())),
            )
            for kind, entry in emergencies["kinds"].items()
        )
        return cls(
            categories=categories,
            priorities=priorities,
            rules=rules,
            emergencies=kinds,
            negations=_lower(emergencies.get("negations", ())),
            teams=dict(taxonomy.get("teams") or {}),
        )


def _category(
    code: str,
    entry: Mapping[str, Any],
    defaults: Mapping[str, Limit],
    default_duplicates: Mapping[str, Any],
    priorities: tuple[str, ...],
) -> Category:
    if entry["priority"] not in priorities:
        raise ValueError(f"{code}: unknown priority {entry['priority']}")
    duplicates = {**default_duplicates, **entry.get("duplicates", {})}
    return Category(
        code=code,
        name_zh=entry["name"]["zh"],
        name_en=entry["name"]["en"],
        group=entry.get("group", code.split(".")[0]),
        team=entry["team"],
        priority=entry["priority"],
        limits={**defaults, **_limits(entry.get("limits", {}))},
        duplicate_radius_m=float(duplicates["radius_m"]),
        duplicate_window=timedelta(hours=float(duplicates["window_hours"])),
        attributes=tuple(
            _attribute(index, attribute)
            for index, attribute in enumerate(entry.get("attributes", ()), start=1)
        ),
        private=bool(entry.get("private", False)),
        property_complaint=bool(entry.get("property_complaint", False)),
    )


def _limits(raw: Mapping[str, Mapping[str, float]]) -> dict[str, Limit]:
    return {
        priority: Limit(
            timedelta(minutes=float(limit["accept_minutes"])),
            timedelta(hours=float(limit["resolve_hours"])),
        )
        for priority, limit in raw.items()
    }


def _attribute(order: int, raw: Mapping[str, Any]) -> Attribute:
    return Attribute(
        code=raw["code"],
        datatype=raw["datatype"],
        required=bool(raw.get("required", False)),
        description=raw["description"],
        values=tuple((str(value["key"]), value["name"]) for value in raw.get("values", ())),
        order=order,
    )


def _rule(raw: Mapping[str, Any]) -> Rule:
    return Rule(
        category=raw["category"],
        phrases=_lower(raw["any"]),
        together_with=_lower(raw.get("with", ())),
        unless=_lower(raw.get("unless", ())),
        priority=raw.get("priority"),
    )


def _lower(phrases: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(phrase).lower() for phrase in phrases)


def _rule_matches(rule: Rule, text: str) -> tuple[str, ...]:
    """The phrases by which `rule` matches `text` (empty: it does not): every phrase of
    `any` found, and the longest of `with`, so a report that says more scores more."""
    if any(_mentions(text, phrase) for phrase in rule.unless):
        return ()
    found = tuple(phrase for phrase in rule.phrases if _mentions(text, phrase))
    if not found or not rule.together_with:
        return found
    extra = _longest(text, rule.together_with)
    return (*found, extra) if extra is not None else ()


def _longest(text: str, phrases: Iterable[str]) -> str | None:
    found = [phrase for phrase in phrases if _mentions(text, phrase)]
    return max(found, key=len) if found else None


def _mentions(text: str, phrase: str, negations: Iterable[str] = ()) -> bool:
    """CJK phrases match anywhere, Latin ones as whole words ("light", not "delight"). With
    `negations`, an occurrence right after one (没有人受伤, nobody injured) does not count."""
    if phrase not in text:
        return False
    starts = [match.start() for match in _phrase_pattern(phrase).finditer(text)]
    return any(not _negated(text, start, negations) for start in starts)


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Compiled once: the keyword lists hold more phrases than `re` caches patterns."""
    if phrase.isascii():
        return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")
    return re.compile(re.escape(phrase))


def _negated(text: str, start: int, negations: Iterable[str]) -> bool:
    """Whether a negation stands just before `start`, in the same clause."""
    before = CLAUSE_BREAK.split(text[max(0, start - 24) : start])[-1]
    words = " ".join(re.findall(r"[a-z]+", before)[-2:])
    for negation in negations:
        if negation.isascii():
            if negation in words and _word_pattern(negation).search(words):
                return True
        elif negation in before[-4:]:
            return True
    return False


CLAUSE_BREAK = re.compile(r"[,.;:!?，。；：！？、]")


@functools.lru_cache(maxsize=256)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")
