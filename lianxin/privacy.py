"""Masking personal data before it leaves: in logs, notifications, statistics, and in what
a reader who may not see it is shown.

A phone number is found however a resident writes it: its digits split by spaces,
hyphens, dots or parentheses (ASCII or full-width), in full-width digits (１３８…), led
by +86, 0086 or 86. Only the digits that identify are starred, in place, so the text
keeps its length, its separators and everything around the number:

| what | digits starred | e.g. |
| --- | --- | --- |
| mobile, 1[3-9] and 9 more | the 4th to the 7th | 138-****-5678, +86 138 **** 5678 |
| landline, area code and 7–8 digits | all but the area code and the last two | 0731-**** **66 |
| local number, 7–8 digits standing alone | all but the last two | **** **66 |
| an unbroken run of 12 or more (identity and bank cards) | all but the last four | ***…1234 |
| a text that is only a number (a phone field) | all but the last two | ***45 |

What is left as written: dates (2026-12-06, 20261206, 2025-2026), case numbers
(JX-20261121-0042), amounts (12000元, ¥2500000), times (08:30-17:30), short numbers
(12345, 110, room 1201) and numbers with a decimal point.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

DIGIT = re.compile(r"\d")
PLUS = "+＋"
SEPARATOR = r"[\s\-.()\u2010-\u2015\u2212\uff08\uff09\uff0d\uff0e]"
RUN = re.compile(rf"[{PLUS}]?\d+(?:{SEPARATOR}{{1,3}}[{PLUS}]?\d+)*")  # digits, maybe split
GROUP = re.compile(r"\d+")
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d\d)\d{7,8}")  # area code 010, 02x or 0xxx
LOCAL = re.compile(r"[2-9]\d{6,7}")
DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
YEAR = re.compile(r"(?:19|20)\d\d")
PHONE_FIELD = re.compile(r"\+?\d{5,}")
AMOUNT_BEFORE = "¥￥$"
AMOUNT_AFTER = "元块万亿%"
LONGEST_PHONE = 16  # 0086 and a 12-digit landline
LONG_NUMBER = 12


def mask_phone(text: str) -> str:
    """The text with the identifying digits of every phone number starred (see above):
    enough for staff to recognise a caller, useless to a scraper."""
    if not text or not DIGIT.search(text):
        return text
    hidden = [position for run in RUN.finditer(text) for position in _hidden_in_run(text, run)]
    if not hidden and PHONE_FIELD.fullmatch(text):
        hidden = [position for position, char in enumerate(text) if char.isdecimal()][:-2]
    if not hidden:
        return text
    chars = list(text)
    for position in hidden:
        chars[position] = "*"
    return "".join(chars)


@dataclass(frozen=True)
class Group:
    """Consecutive digits within a run: where they stand and what they are in ASCII."""

    start: int
    end: int
    digits: str
    after_plus: bool  # a + stands between the previous group and this one
    after_dot: bool  # a decimal point (or a dot) does


def _groups(text: str, run: re.Match) -> list[Group]:
    found: list[Group] = []
    previous_end = run.start()
    for match in GROUP.finditer(text, run.start(), run.end()):
        between = text[previous_end : match.start()]
        found.append(
            Group(
                match.start(),
                match.end(),
                _ascii(match.group()),
                any(char in PLUS for char in between),
                "." in between or "．" in between,
            )
        )
        previous_end = match.end()
    return found


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(c)) for c in digits)


def _hidden_in_run(text: str, run: re.Match) -> Iterator[int]:
    """The positions of the digits to star in one run: from each group on, the longest
    span of groups that is a number to mask."""
    groups = _groups(text, run)
    first = 0
    while first < len(groups):
        found: tuple[int, range] | None = None
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].digits
            if last > first and len(digits) > LONGEST_PHONE:
                break
            stars = _stars(text, groups, first, last, digits)
            if stars is not None:
                found = (last, stars)
        if found is None:
            first += 1
            continue
        last, stars = found
        positions = [
            group.start + offset
            for group in groups[first : last + 1]
            for offset in range(group.end - group.start)
        ]
        yield from (positions[index] for index in stars)
        first = last + 1


def _stars(text: str, groups: list[Group], first: int, last: int, digits: str) -> range | None:
    """Which digits of groups[first..last] (by index into `digits`) to star, or None when
    they are not a number to mask."""
    national, prefix = _national(digits, groups[first].after_plus)
    if MOBILE.fullmatch(national):
        return range(prefix + 3, prefix + 7)
    if LANDLINE.fullmatch(national):
        return range(prefix + _area_length(national), len(digits) - 2)
    if prefix and LANDLINE.fullmatch("0" + national):  # +86 731…: the area code's 0 dropped
        return range(prefix + _area_length("0" + national) - 1, len(digits) - 2)
    span = groups[first : last + 1]
    if first == last and len(digits) >= LONG_NUMBER:
        return range(0, len(digits) - 4)
    whole_run = first == 0 and last == len(groups) - 1
    if (
        whole_run
        and not prefix
        and LOCAL.fullmatch(digits)
        and not any(group.after_dot for group in span[1:])
        and not _calendar(span, digits)
        and not _amount(text, span[0].start, span[-1].end)
    ):
        return range(0, len(digits) - 2)
    return None


def _national(digits: str, after_plus: bool) -> tuple[str, int]:
    """The number without its country prefix, and the prefix's length."""
    if digits.startswith("0086"):
        return digits[4:], 4
    if digits.startswith("86") and (after_plus or MOBILE.fullmatch(digits[2:])):
        return digits[2:], 2
    return digits, 0


def _area_length(landline: str) -> int:
    return 3 if landline[1] in "12" else 4


def _calendar(span: list[Group], digits: str) -> bool:
    """A date (2026-12-06, 2026.12.6, 20261206) or a span of years (2025-2026)."""
    if DATE.fullmatch(digits):
        return True
    head, rest = span[0].digits, [group.digits for group in span[1:]]
    if not YEAR.fullmatch(head):
        return False
    return all(len(part) <= 2 for part in rest) or (
        len(rest) == 1 and YEAR.fullmatch(rest[0]) is not None
    )


def _amount(text: str, start: int, end: int) -> bool:
    """Money: ¥ before the number, or 元/万/% after it."""
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip()[:1]
    return bool(before and before in AMOUNT_BEFORE) or bool(after and after in AMOUNT_AFTER)


def mask_name(name: str) -> str:
    """张** / Z***: the first character stays, the rest is hidden."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else name
