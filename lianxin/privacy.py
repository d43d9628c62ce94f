"""Masking personal data before it reaches logs, notifications or statistics."""

import re

DIGIT_RUN = re.compile(r"\d{5,}")


def mask_phone(text: str) -> str:
    """138****5678: enough for staff to recognise a caller, useless to a scraper.

    Every run of five or more digits is masked, so a number inside free text is too.
    Mobile-length runs keep their first three and last four digits, shorter ones
    (landlines, extensions) only their last two.
    """
    return DIGIT_RUN.sub(_mask_run, text) if text else text


def _mask_run(match: re.Match) -> str:
    run = match.group()
    if len(run) >= 11:  # 8613812345678 → 86138****5678
        return run[:-8] + "****" + run[-4:]
    return "*" * (len(run) - 2) + run[-2:]


def mask_name(name: str) -> str:
    """张** / Z***: the first character stays, the rest is hidden."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else name
