"""The console's words in its two languages, from one YAML table (data/labels.yaml), and
times shown in the community's zone with the zone named.

Chinese is the default; a cookie (`lx_lang=en`) switches to English. A key the table lacks
shows as itself, so a missing label is visible on the page rather than an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lx_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class Labels:
    """The table, read-only at both levels: a process loads it once (compose.load_labels)
    and every route and page of the process reads that one table, so a write anywhere
    would change every page; it raises TypeError instead."""

    table: Mapping[str, Mapping[str, str]]

    def __post_init__(self) -> None:
        read_only = {key: MappingProxyType(dict(texts or {})) for key, texts in self.table.items()}
        object.__setattr__(self, "table", MappingProxyType(read_only))  # a frozen dataclass's way

    def check(self) -> None:
        """Every label in every language and nothing else: a table with a hole stops the
        service at start, and so does one a comma split (`{en: Per 1,000 households}` is,
        to YAML, `en: Per 1` and a key `000 households`)."""
        for key, texts in self.table.items():
            missing = [lang for lang in LANGUAGES if not (texts or {}).get(lang)]
            if missing:
                raise ValueError(f"label {key!r} has no {', '.join(missing)} text")
            stray = sorted(set(texts) - set(LANGUAGES))
            if stray:
                raise ValueError(f"label {key!r} has more than its texts: {stray} (quote it)")

    def text(self, key: str, language: str) -> str:
        texts = self.table.get(key)
        return texts.get(language, key) if texts else key

    def term(self, kind: str, value: str, language: str) -> str:
        """One of cases' words (`kind` "state" or "action") as people say it; a word cases
        adds before this table knows it shows as cases sent it."""
        texts = self.table.get(f"{kind}_{value}")
        return texts.get(language, value) if texts else value


def language_of(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def local_time(at: datetime | str | None, zone: ZoneInfo) -> str:
    """`2026-03-06 10:00` in the community's zone (the page names the zone once)."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
