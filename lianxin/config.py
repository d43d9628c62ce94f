"""Settings every service reads from its nameko config.

The config file is YAML (deploy/config/<service>.yaml) whose values use
nameko's `${ENV_VAR:default}` substitution, so the environment overrides any
of them without a second mechanism.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent.parent / "deploy" / "config"
DEV_TOKEN_SECRET = "dev-only-token-secret"  # accepted only in dev mode
MIN_SECRET_LENGTH = 16
KNOWN_DEFAULTS = frozenset(
    {DEV_TOKEN_SECRET, "dev-signing-secret", "dev-only-signing-secret", "change-me", "changeme"}
)


class InsecureSecret(Exception):
    """A secret is empty, too short, or a development default outside dev mode."""


@dataclass(frozen=True)
class Settings:
    service: str
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    mongo_uri: str = "mongodb://127.0.0.1:27017/"
    mongo_db_prefix: str = "lianxin_"
    mongo_engine: str = "auto"  # auto | mongodb | ferretdb | memory (lianxin.store.engine)
    mongo_timeout_ms: int = 3000
    query_log: str = ""  # a file to record the shape of every filter sent (lianxin.store.query_log)
    metrics_address: str = ""
    lease_ttl_seconds: float = 10.0
    lease_wait_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    handler_max_attempts: int = 5
    handler_retry_base_seconds: float = 0.5
    dev_mode: bool = False
    token_secret: str = ""  # signs person tokens; the same in every service
    person_token_max_age_seconds: int = 12 * 3600
    broker_user_prefix: str = "lianxin-"  # service S publishes as the RabbitMQ user <prefix>S

    @classmethod
    def from_config(cls, service: str, config: Mapping[str, Any]) -> Settings:
        return cls(
            service=service,
            amqp_uri=config.get("AMQP_URI", cls.amqp_uri),
            mongo_uri=config.get("MONGO_URI", cls.mongo_uri),
            mongo_db_prefix=config.get("MONGO_DB_PREFIX", cls.mongo_db_prefix),
            mongo_engine=str(config.get("MONGO_ENGINE", cls.mongo_engine)),
            mongo_timeout_ms=int(config.get("MONGO_TIMEOUT_MS", cls.mongo_timeout_ms)),
            query_log=str(config.get("QUERY_LOG") or ""),
            metrics_address=str(config.get("METRICS_ADDRESS", "") or ""),
            lease_ttl_seconds=float(config.get("LEASE_TTL_SECONDS", cls.lease_ttl_seconds)),
            lease_wait_seconds=float(config.get("LEASE_WAIT_SECONDS", cls.lease_wait_seconds)),
            max_body_bytes=int(config.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            handler_max_attempts=int(config.get("HANDLER_MAX_ATTEMPTS", cls.handler_max_attempts)),
            handler_retry_base_seconds=float(
                config.get("HANDLER_RETRY_BASE_SECONDS", cls.handler_retry_base_seconds)
            ),
            dev_mode=_flag(config.get("DEV_MODE", False)),
            token_secret=str(config.get("TOKEN_SECRET") or ""),
            person_token_max_age_seconds=int(
                config.get("PERSON_TOKEN_MAX_AGE_SECONDS", cls.person_token_max_age_seconds)
            ),
            broker_user_prefix=str(config.get("BROKER_USER_PREFIX", cls.broker_user_prefix)),
        )

    def secret(self, name: str, value: str, dev_default: str) -> str:
        """`value`, if it is fit to sign with. In dev mode an empty one becomes
        `dev_default`; outside it an empty, short or development secret stops the
        service from starting, rather than signing with something guessable."""
        if not value and self.dev_mode:
            return dev_default
        if self.dev_mode:
            return value
        if len(value) < MIN_SECRET_LENGTH or value in KNOWN_DEFAULTS:
            raise InsecureSecret(
                f"{name} must be set to a secret of {MIN_SECRET_LENGTH}+ characters, not a "
                "default (or run with DEV_MODE=true for development)"
            )
        return value

    def broker_user(self, service: str) -> str:
        """The RabbitMQ user `service` runs as: the only one the broker lets publish on its
        exchange, and the `user_id` its control events must carry (lianxin.bus.consumer)."""
        return f"{self.broker_user_prefix}{service}"

    @property
    def database(self) -> str:
        """One database per service: each is the only writer of its own
        (docs/architecture.md)."""
        return f"{self.mongo_db_prefix}{self.service}"


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def service_config(service: str) -> dict[str, Any]:
    """A service's nameko config, as a process other than the service reads it (the admin
    CLI): deploy/config/<service>.yaml, with `${ENV:default}` resolved as nameko does."""
    path = CONFIG_DIR / f"{service}.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_config_loader())


@functools.cache
def _config_loader() -> type[yaml.SafeLoader]:
    """A safe loader that knows nameko's `${ENV:default}` tags, of its own: nameko's
    `setup_yaml_parser` adds them to `yaml.SafeLoader` itself, which would change every
    later `yaml.safe_load` in the process (a compose file's `${VAR:-}` read as `-`)."""
    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    class ConfigLoader(yaml.SafeLoader):
        pass

    ConfigLoader.add_constructor("!env_var", env_var_constructor)
    ConfigLoader.add_constructor("!raw_env_var", functools.partial(env_var_constructor, raw=True))
    ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
    return ConfigLoader
