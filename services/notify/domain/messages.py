"""Message texts from Jinja2 templates: Chinese first with English beside it, the subject
inside the template, and a community's own wording where it has one.

Each kind of message is one template (`data/templates/<kind>.j2`) extending
`base.j2`, with the blocks `subject`, `zh`, `en` and `short` (the SMS text). A
community overrides any of them with `communities/<community_id>/<kind>.j2`,
looked up first in the operator's template directory (NOTIFY_TEMPLATE_DIR), then
in the shipped one. E-mail gets an HTML part from `message.html.j2` (escaped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lianxin.access.case_pages import LINK_PATH as CASE_PAGE_PATH
from lianxin.privacy import mask_phone
from lianxin.store.documents import document_of
from services.notify.domain.links import LINK_PATH

TEMPLATES = Path(__file__).parents[1] / "data" / "templates"  # compose.py checks them at start
SECTIONS = ("subject", "zh", "en", "short")
SEPARATOR = "\x1f"  # between the sections base.j2 renders; never in a message
LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# a person's own links: notify's action links and the console's case page (never a group's)
ACTION_URL = re.compile(rf"\S*(?:{re.escape(LINK_PATH)}|{re.escape(CASE_PAGE_PATH)})\S*")
GROUP_NOTICE = (
    "处理方式：接单、处置等操作链接只发给本人，不在群内发送。"
    "请本人查看个人短信或邮件中的链接，或由工作人员在连心工作台处理。",
    "Where to act: action links go only to the person concerned, never to a group; they act "
    "from their own message, or staff act in the Lianxin console.",
)
# A private case (a dispute, a care visit) as a group chat sees it: that it needs
# attention, where, and where to look; none of its details
PRIVATE_GROUP_TEXT = (
    "一件涉及居民隐私的案件（{number}，{grid}）需要处理。详情只发给承办人和社区工作人员，"
    "请在连心工作台查看。",
    "A private case ({number}, {grid}) needs attention. Its details go only to the assignee "
    "and staff: open it in the Lianxin console.",
)
PRIVATE_FACTS = ("number", "case_id", "community_id", "grid_id", "grid", "private", "timezone")
PRIORITY_LABELS = {
    "low": ("低", "low"),
    "normal": ("普通", "normal"),
    "high": ("高", "high"),
    "urgent": ("紧急", "urgent"),
}
LEVEL_LABELS = {
    "grid_leader": ("网格长", "grid leader"),
    "community_staff": ("社区工作人员", "community staff"),
    "department": ("职能部门", "the responsible department"),
}


@dataclass(frozen=True)
class Message:
    """A rendered message: what every channel formats its own way."""

    subject: str
    text: str  # Chinese, then English
    html: str
    short: str
    links: Mapping[str, str] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)  # number, place, … for JSON bodies

    def to_dict(self) -> dict[str, Any]:
        return {**document_of(self), "links": dict(self.links), "facts": dict(self.facts)}

    def for_group(self, case_page: str | None) -> Message:
        """The message as a group chat or the default webhook gets it: no action link
        anywhere (a link in a group is anyone's to use), and, about a case, where to act:
        the case's page in the staff console (`case_page`), which asks whoever opens it
        to sign in. A private case's message says only that it needs attention, and where."""
        if case_page and self.facts.get("private"):
            return self._private_for_group(case_page)
        notice = "\n\n" + "\n".join((*GROUP_NOTICE, case_page)) if case_page else ""
        return replace(
            self,
            subject=ACTION_URL.sub("", self.subject),
            text=ACTION_URL.sub("", self.text) + notice,
            html=ACTION_URL.sub("", self.html),
            short=ACTION_URL.sub("", self.short),
            links={},
        )

    def _private_for_group(self, case_page: str) -> Message:
        facts = {key: self.facts[key] for key in PRIVATE_FACTS if key in self.facts}
        grid = str(facts.get("grid") or facts.get("grid_id") or "")
        number = facts.get("number", "")
        zh, en = (text.format(number=number, grid=grid) for text in PRIVATE_GROUP_TEXT)
        subject = f"隐私案件 Private case {facts.get('number', '')}"
        html = f"<p>{escape(zh)}</p><p>{escape(en)}</p><p>{escape(case_page)}</p>"
        return Message(subject, f"{zh}\n\n{en}\n{case_page}", html, zh, {}, facts)

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Message:
        return cls(
            subject=stored.get("subject", ""),
            text=stored.get("text", ""),
            html=stored.get("html", ""),
            short=stored.get("short", ""),
            links=dict(stored.get("links") or {}),
            facts=dict(stored.get("facts") or {}),
        )


class Messages:
    def __init__(self, directory: Path = TEMPLATES, override: Path | None = None):
        loaders = [FileSystemLoader(override)] if override else []
        self._env = Environment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(directory)]),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, kind: str, community_id: str, context: Mapping[str, Any]) -> Message:
        names = [f"communities/{community_id}/{kind}.j2", f"{kind}.j2"]
        rendered = self._env.select_template(names).render({**context, "SEP": SEPARATOR})
        parts = [part.strip() for part in rendered.split(SEPARATOR)]
        if len(parts) != len(SECTIONS):
            raise ValueError(f"template {kind} must extend base.j2 (got {len(parts)} sections)")
        subject, zh, en, short = parts
        subject = one_line(subject)  # it becomes a header (e-mail) or a title (robots)
        text = f"{zh}\n\n{en}".strip()
        links = dict(context.get("links") or {})
        html = self._env.select_template(
            [f"communities/{community_id}/message.html.j2", "message.html.j2"]
        ).render(subject=subject, zh=zh, en=en, links=links, labels=LINK_LABELS)
        return Message(subject, text, html, short, links, context.get("facts", {}))

    def page(self, result: Mapping[str, Any], mode: str) -> str:
        """An action link's page: `confirm` (the case and the button that acts) or
        `result` (what happened, and what may follow). Autoescaped."""
        return self._env.get_template("link.html.j2").render(
            result=result, mode=mode, labels=LINK_LABELS
        )

    def check(self) -> None:
        """Compile every template now, so a broken one stops the service at start."""
        for name in self._env.list_templates(extensions=["j2"]):
            self._env.get_template(name)


LINK_LABELS = {
    "accept": ("接单", "Accept"),
    "decline": ("拒单", "Decline"),
    "resolve": ("已处置", "Mark resolved"),
    "progress": ("查看进展与评价", "Progress and rating"),
    "page": ("查看并处理", "Open the case"),
}


def one_line(text: str) -> str:
    """Text fit for a header: control characters and line breaks (CR, LF, U+2028, …),
    which would end a header and start another, become single spaces."""
    return LINE_BREAKS.sub(" ", text).strip()


def local_time(at: datetime | None, zone: ZoneInfo) -> dict[str, str] | None:
    """A UTC instant as the community reads it, its zone named:
    `11月21日 16:30（北京时间 UTC+08:00）`."""
    if at is None:
        return None
    local = at.astimezone(zone)
    offset = local.strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    zone_zh = "北京时间" if zone.key in ("Asia/Shanghai", "Asia/Chongqing") else zone.key
    return {
        "zh": f"{local.month}月{local.day}日 {local:%H:%M}（{zone_zh} {utc}）",
        "en": f"{local:%d %b %H:%M} ({zone.key}, {utc})",
        "short": f"{local.month}/{local.day} {local:%H:%M}",
    }


def numbered(value: Any, suffix: str, said: tuple[str, ...]) -> str:
    """A bare number gets its suffix ("3" → "3栋"); a name that already says what it is
    ("3栋", "A座") stays as it is."""
    text = str(value or "")
    return text if not text or text.endswith(said) else f"{text}{suffix}"


def place_text(payload: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """Where: the case's readable `place`, completed with the estate / building / unit and
    address of its location that it does not already say, area codes replaced by names."""
    location = payload.get("location") or {}
    grid = names.get(payload.get("grid_id", ""), payload.get("grid_id", ""))
    given = str(payload.get("place") or "")
    parts = [
        names.get(location.get("estate", ""), location.get("estate", "")),
        numbered(location.get("building"), "栋", ("栋", "楼", "座", "幢")),
        numbered(location.get("unit"), "单元", ("单元", "门")),
        location.get("address", ""),
    ]
    missing = [part for part in parts if part and part not in given]
    zh = mask_phone(" ".join(part for part in (given, *missing) if part)) or grid
    en_parts = [
        f"building {location['building']}" if location.get("building") else "",
        f"unit {location['unit']}" if location.get("unit") else "",
    ]
    return {
        "zh": zh,
        "en": ", ".join(part for part in en_parts if part),
        "grid": grid,
        "full": zh if not grid or grid in zh else f"{zh}（{grid}）",  # the grid said once
    }


def category_label(payload: Mapping[str, Any]) -> dict[str, str]:
    label = payload.get("category_label") or {}
    code = payload.get("category", "")
    return {"zh": label.get("zh") or code, "en": label.get("en") or code}


def labels(table: Mapping[str, tuple[str, str]], key: str) -> dict[str, str]:
    zh, en = table.get(key, (key, key))
    return {"zh": zh, "en": en}
