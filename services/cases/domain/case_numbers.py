"""Readable case numbers: `JX-20261121-0042`, per community and local day.

The number is taken by inserting a slot whose `_id` is the number itself (store.py),
so two intakes can never hold the same one; this module only says what the number
looks like. Plain Python, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

NUMBER = re.compile(r"^[A-Z0-9]{1,8}-\d{8}-\d{4,6}$")
MAX_PREFIX = 8


def prefix_for(community_id: str, prefixes: Mapping[str, str]) -> str:
    """The community's own prefix (JX for Jingxiang), or its id in capitals."""
    if community_id in prefixes:
        return prefixes[community_id]
    return re.sub(r"[^A-Z0-9]", "", community_id.upper())[:MAX_PREFIX] or "LX"


def local_day(at: datetime, timezone: str) -> str:
    """The day the case was reported, where it was reported."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")


def case_number(prefix: str, day: str, sequence: int) -> str:
    return f"{prefix}-{day}-{sequence:04d}"


def is_number(text: str) -> bool:
    return NUMBER.match(text) is not None
