"""The one clock services read, so handlers can be given another in tests."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
