"""Masking personal data before it reaches logs, notifications or statistics."""

import re

PHONE = re.compile(r"(\d{3})\d{4}(\d{4})")


def mask_phone(phone: str) -> str:
    """138****5678: enough for staff to recognise a caller, useless to a scraper."""
    return PHONE.sub(r"\1****\2", phone) if phone else phone


def mask_name(name: str) -> str:
    """张** / Z***: the first character stays, the rest is hidden."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else name
