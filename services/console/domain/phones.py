"""Phone numbers as a person signs in with them: the shared rule (lianxin.phones), under
the console's secret."""

from lianxin.phones import normalized, phone_digest

__all__ = ["normalized", "phone_digest"]
