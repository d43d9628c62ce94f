"""A case's timeline in people's words: the notes cases writes itself are fixed English
sentences ("offered to 王** (attempt 1)", "resolve time limit passed"); each is matched
here by its action and shape and said again from the labels table, in either language.

A note a person wrote is shown as written; a sentence cases writes that this table does
not know yet is shown as cases sent it, never hidden. A category a note names by its code
(triage's `facility.lighting (high)`) is said by its name, which the page passes (cases'
taxonomy names it; the labels table does not hold the taxonomy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

LIMIT = r"(?P<which>accept|resolve) time limit passed"
LEVEL = r"(?P<level>grid_leader|community_staff|department)"
EMERGENCY = r"emergency \((?P<kind>fire|gas|injury|violence)\): call (?P<call>\d+)"
ESCALATION_REASON = "escalation_reason"
# (the step's action, the note's shape) → the label whose text says it; the label names
# the shape's groups as {name}; a group named in WORDS (`which`, `priority`, ...) is a word
# the labels table holds too (limit_accept, level_department, priority_high, ...)
FIXED_NOTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("triage",
     re.compile(r"^(?P<category>[a-z_]+\.[a-z_]+) \((?P<priority>low|normal|high|urgent)\)$"),
     "note_triaged"),
    ("dispatch", re.compile(r"^offered to (?P<name>.+) \(attempt (?P<attempt>\d+)\)$"),
     "note_offered"),
    ("expire", re.compile(r"^offer to (?P<name>.*) expired$"), "note_offer_expired"),
    ("assign", re.compile(r"^assigned to (?P<name>.+)$"), "note_assigned"),
    ("merge", re.compile(r"^duplicate of (?P<number>\S+)$"), "note_duplicate_of"),
    ("duplicate", re.compile(r"^also (?P<number>\S+)$"), "note_also"),
    ("overdue", re.compile(rf"^{LIMIT}$"), "note_limit_passed"),
    ("escalate", re.compile(rf"^{LEVEL}: {LIMIT}$"), "note_escalated_limit"),
    ("escalate", re.compile(rf"^{LEVEL}: {EMERGENCY}$"), "note_escalated_emergency"),
    # a case's escalation shows its reason alone (ESCALATION_REASON: not a timeline action)
    (ESCALATION_REASON, re.compile(rf"^{LIMIT}$"), "note_limit_passed"),
    (ESCALATION_REASON, re.compile(rf"^{EMERGENCY}$"), "note_emergency"),
    ("decide_extension", re.compile(r"^(?P<decision>approved|refused)$"), "note_extension"),
)  # fmt: skip
# a group → the prefix of its words' labels
WORDS = {
    "which": "limit",
    "level": "level",
    "decision": "decision",
    "priority": "priority",
    "kind": "emergency_kind",
}
CATEGORY = "category"  # the group a category's code fills: said by the names the page passes
NO_NAMES: Mapping[str, str] = MappingProxyType({})


def said_reason(reason: str, text: Callable[[str], str]) -> str:
    """An escalation's reason in the page's language (cases' fixed ones; others as written)."""
    return said({"action": ESCALATION_REASON, "note": reason}, text)


def said(
    step: Mapping[str, Any],
    text: Callable[[str], str],
    categories: Mapping[str, str] = NO_NAMES,
) -> str:
    """The step's note in the page's language (`text` reads a label; `categories` names
    categories by code in that language: a code it lacks is shown as cases wrote it)."""
    note = step.get("note") or ""
    for action, shape, label in FIXED_NOTES:
        if step.get("action") != action:
            continue
        found = shape.match(note)
        if found:
            values = {name: _word(name, value, text, categories)
                      for name, value in found.groupdict().items()}  # fmt: skip
            return text(label).format(**values)
    return note


def _word(
    group: str, value: str, text: Callable[[str], str], categories: Mapping[str, str]
) -> str:
    if group == CATEGORY:
        return categories.get(value) or value
    return text(f"{WORDS[group]}_{value}") if group in WORDS else value
