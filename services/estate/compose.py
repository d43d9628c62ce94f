"""Estate's composition root: its settings and its repository, built once.

The nameko service gets the parts through lianxin's PartsProvider(build), the operator's
CLI through lianxin.store.admin, a test through `build(backend.context(...))`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lianxin.phones import phone_digest
from lianxin.store.repository import StoreContext
from services.estate.settings import EstateSettings
from services.estate.store import EstateStore


@dataclass(frozen=True)
class Parts:
    """What the entrypoints use: the repository and the settings."""

    store: EstateStore
    settings: EstateSettings

    def digest(self, phone: str) -> str:
        """A normalised number's keyed digest, as the register stores it."""
        return phone_digest(self.settings.phone_secret, phone)

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


def build(context: StoreContext) -> Parts:
    """Estate's parts on `context`."""
    return Parts(EstateStore(context), EstateSettings.from_config(context.config))
