"""Estate's settings: the secret its phone digests are keyed with.

Every value comes from deploy/config/estate.yaml, whose entries the environment
overrides. Outside dev mode an empty, short or known-default secret stops the service
at start (lianxin.config.Settings.secret): a digest keyed with something guessable could
be reversed by trying every mobile number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lianxin.config import Settings

DEV_PHONE_SECRET = "dev-only-estate-phone-secret"


@dataclass(frozen=True)
class EstateSettings:
    phone_secret: str  # keys the digests of households' numbers (lianxin.phones)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EstateSettings:
        base = Settings.from_config("estate", config)
        secret = str(config.get("PHONE_SECRET") or "")
        return cls(phone_secret=base.secret("ESTATE_PHONE_SECRET", secret, DEV_PHONE_SECRET))
