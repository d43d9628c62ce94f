"""The roster's composition root: its reference data and its repository, built once.

Roster's reference data is the policy every community starts from (data/policy.yaml;
a community's import overrides any key of it). It is read and checked here, once per
process, and handed to the repository, which builds each community's Policy from it and
the overrides it stores; nothing else reads data/. The nameko service gets the parts
through lianxin's PartsProvider(build), the operator's CLI through lianxin.store.admin,
a test through `build(backend.context(...))`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lianxin.store.repository import StoreContext
from services.roster.domain.policy import PolicySchema
from services.roster.store import RosterStore

DATA = Path(__file__).parent / "data"


@cache
def policy_defaults() -> dict[str, Any]:
    """data/policy.yaml, checked by the same schema as a community's overrides."""
    raw = yaml.safe_load((DATA / "policy.yaml").read_text(encoding="utf-8"))
    return PolicySchema().load(raw)


@dataclass(frozen=True)
class Parts:
    """What the entrypoints use: the repository, which holds the policy defaults it builds
    each community's policy on (roster has no other reference data)."""

    store: RosterStore

    def ensure_indexes(self) -> None:
        self.store.ensure_indexes()

    def recover(self) -> int:
        return self.store.recover()


def build(context: StoreContext) -> Parts:
    """The roster's parts on `context`."""
    return Parts(RosterStore(context, policy_defaults()))
