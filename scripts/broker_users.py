"""The RabbitMQ users the services run as: one per service, `<prefix><service>`, each allowed
only what deploy/rabbitmq/definitions.sh grants it.

`make up` runs the services as the users deploy/local/infra.sh made (their passwords in
var/broker-passwords.env); the tests and the benchmark make users of their own for their
run (`fresh`, `grant` on each vhost they use, `remove` at the end), with rabbitmqctl, as
root. Topology, the admin CLI and the tests' own probing use an administrator (locally
`guest`, which RabbitMQ lets in from localhost only).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.sh"
PASSWORDS_FILE = ROOT / "var" / "broker-passwords.env"  # written by deploy/local/infra.sh
DEFAULT_PREFIX = "lianxin-"


def password_variable(service: str) -> str:
    """The environment variable that carries a service's broker password, everywhere."""
    return f"RABBITMQ_{service.upper()}_PASSWORD"


@dataclass(frozen=True)
class BrokerUsers:
    prefix: str
    passwords: Mapping[str, str]  # service → password

    @classmethod
    def fresh(cls, prefix: str, services: Iterable[str]) -> BrokerUsers:
        """Users of a run's own, with random passwords (made on the broker by `grant`)."""
        return cls(prefix, {service: secrets.token_hex(16) for service in services})

    @classmethod
    def from_file(cls, services: Iterable[str], path: Path = PASSWORDS_FILE) -> BrokerUsers:
        """The local development users, as deploy/local/infra.sh made them."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise RuntimeError(
                f"no {path}: `make infra` (deploy/local/infra.sh) makes the broker users"
            ) from None
        found = dict(line.split("=", 1) for line in lines if "=" in line and line[0] != "#")
        missing = [s for s in services if not found.get(password_variable(s))]
        if missing:
            raise RuntimeError(f"{path} has no password for {', '.join(missing)}; run `make infra`")
        return cls(DEFAULT_PREFIX, {s: found[password_variable(s)] for s in services})

    def user(self, service: str) -> str:
        return f"{self.prefix}{service}"

    def uri(self, broker_uri: str, service: str) -> str:
        """`broker_uri` (host, port, vhost) with the service's user and password."""
        parts = urlsplit(broker_uri)
        host = parts.netloc.rpartition("@")[2]
        user, password = (
            quote(text, safe="") for text in (self.user(service), self.passwords[service])
        )
        return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))

    def definitions(self, vhost: str) -> dict[str, Any]:
        """The users and their permissions on `vhost`, as definitions.sh writes them."""
        env = {**os.environ, **{password_variable(s): p for s, p in self.passwords.items()}}
        env.pop("RABBITMQ_ADMIN_PASSWORD", None)  # no administrator: the local one is guest
        made = subprocess.run(
            [str(DEFINITIONS), "--vhost", vhost, "--prefix", self.prefix],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return json.loads(made.stdout)

    def grant(self, vhost: str) -> None:
        """Make the users (again: passwords are reset) with their permissions on `vhost`."""
        subprocess.run(
            ["rabbitmqctl", "-q", "import_definitions"],  # from stdin ("-" is refused by 3.10)
            input=json.dumps(self.definitions(vhost)),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )

    def remove(self) -> None:
        for service in self.passwords:
            subprocess.run(
                ["rabbitmqctl", "-q", "delete_user", self.user(service)],
                capture_output=True,
                check=False,  # already gone is fine
                timeout=60,
            )
