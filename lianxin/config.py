"""Settings every service reads from its nameko config.

The config file is YAML (deploy/config/<service>.yaml) whose values use
nameko's `${ENV_VAR:default}` substitution, so the environment overrides any
of them without a second mechanism.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    service: str
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_uri: str = "mongodb://127.0.0.1:27017/"
    mongo_db_prefix: str = "lianxin_"
    mongo_engine: str = "auto"  # auto | mongodb | ferretdb (lianxin.engine)
    mongo_timeout_ms: int = 3000
    metrics_address: str = ""
    lease_ttl_seconds: float = 10.0
    lease_wait_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    handler_max_attempts: int = 5
    handler_retry_base_seconds: float = 0.5

    @classmethod
    def from_config(cls, service: str, config: Mapping[str, Any]) -> Settings:
        return cls(
            service=service,
            amqp_uri=config.get("AMQP_URI", cls.amqp_uri),
            mongo_uri=config.get("MONGO_URI", cls.mongo_uri),
            mongo_db_prefix=config.get("MONGO_DB_PREFIX", cls.mongo_db_prefix),
            mongo_engine=str(config.get("MONGO_ENGINE", cls.mongo_engine)),
            mongo_timeout_ms=int(config.get("MONGO_TIMEOUT_MS", cls.mongo_timeout_ms)),
            metrics_address=str(config.get("METRICS_ADDRESS", "") or ""),
            lease_ttl_seconds=float(config.get("LEASE_TTL_SECONDS", cls.lease_ttl_seconds)),
            lease_wait_seconds=float(config.get("LEASE_WAIT_SECONDS", cls.lease_wait_seconds)),
            max_body_bytes=int(config.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            handler_max_attempts=int(config.get("HANDLER_MAX_ATTEMPTS", cls.handler_max_attempts)),
            handler_retry_base_seconds=float(
                config.get("HANDLER_RETRY_BASE_SECONDS", cls.handler_retry_base_seconds)
            ),
        )

    @property
    def database(self) -> str:
        """One database per service (DESIGN.md: each service owns its data)."""
        return f"{self.mongo_db_prefix}{self.service}"
