"""Message texts, from Jinja2 templates under data/templates (one per event type)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "data" / "templates"
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


class Messages:
    def __init__(self, directory: Path = TEMPLATES):
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )

    def render(self, event_type: str, payload: Mapping[str, Any]) -> str:
        context = {"accept_by_local": None, **payload}
        accept_by = payload.get("accept_by")
        if isinstance(accept_by, datetime):
            context["accept_by_local"] = accept_by.astimezone(LOCAL_ZONE).strftime("%m-%d %H:%M")
        return self._env.get_template(f"{event_type}.txt.j2").render(context).strip()
