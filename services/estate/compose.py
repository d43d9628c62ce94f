"""Estate's composition root: its settings and its repository, built once.

The nameko service gets the parts through lianxin's PartsProvider(build), the operator's
CLI through lianxin.store.admin, a test through `build(backend.context(...))`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from lianxin.phones import phone_digest
from lianxin.store.repository import StoreContext
from services.estate.app.property_evaluation import PropertyRules
from services.estate.domain.pact_reference import PactReference, reference_from
from services.estate.settings import EstateSettings
from services.estate.store import EstateStore, PropertyStore

PROPERTY_RULES = Path(__file__).parent / "data" / "property.yaml"  # property evaluation


@dataclass(frozen=True)
class Parts:
    """What the entrypoints use: the repository and the settings."""

    store: EstateStore
    settings: EstateSettings
    # -- property evaluation --
    property_rules: PropertyRules = field(
        default_factory=lambda: PropertyRules.from_file(PROPERTY_RULES)
    )

    pact: PactReference = field(default_factory=lambda: pact_reference(""))  # -- pact --

    @property
    def property(self) -> PropertyStore:
        return self.store.property

    def digest(self, phone: str) -> str:
        """A normalised number's keyed digest, as the register stores it."""
        return phone_digest(self.settings.phone_secret, phone)

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


def build(context: StoreContext) -> Parts:
    """Estate's parts on `context`."""
    pact = pact_reference(str(context.config.get("PACT_FILE") or ""))  # -- pact --
    return Parts(EstateStore(context), EstateSettings.from_config(context.config), pact=pact)


# -- pact --
DATA = Path(__file__).parent / "data"


@cache
def pact_reference(path: str) -> PactReference:
    """Each community's pact settings and sample articles: data/pact.yaml, or the file the
    config names (PACT_FILE: the end-to-end tests' windows of seconds), checked whole once
    per process."""
    source = Path(path) if path else DATA / "pact.yaml"
    return reference_from(yaml.safe_load(source.read_text(encoding="utf-8")))
