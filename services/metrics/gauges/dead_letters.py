"""The consumer queues whose dead letters the business metrics count.

Their names are those lianxin.bus.topology gives the consumers each service declares,
read from the service classes named in the config (DEAD_LETTER_WATCH).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Mapping

from lianxin.bus import deadletters

log = logging.getLogger(__name__)

# Run in a separate interpreter: importing the other services' modules in this process
# would register their Prometheus metrics here, and /metrics would expose them.
QUEUE_NAMES = """
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
from lianxin.bus import topology
queues = []
for name, path in json.loads(sys.argv[1]).items():
    module, _, attribute = path.partition(":")
    service_cls = getattr(importlib.import_module(module), attribute)
    queues.extend(topology.consumed_sources(name, service_cls))
print(json.dumps(queues))
"""


class DeadLetterDepths:
    """The depth of every consumer queue's dead-letter queue. The queues are those the
    watched services declare (name → `module:Class`), as lianxin.bus.topology names them,
    read once, on first use."""

    def __init__(self, amqp_uri: str, services: Mapping[str, str]):
        self._amqp_uri = amqp_uri
        self._services = dict(services)
        self._queues: list[str] | None = None

    def queues(self) -> list[str]:
        if self._queues is None:
            found = subprocess.run(
                [sys.executable, "-c", QUEUE_NAMES, json.dumps(self._services)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if found.returncode != 0:
                log.error("cannot name the queues to watch: %s", found.stderr.strip()[-500:])
                self._queues = []  # no dead-letter gauge rather than an error every tick
            else:
                self._queues = sorted(json.loads(found.stdout.strip().splitlines()[-1]))
        return self._queues

    def __call__(self) -> dict[str, int]:
        return deadletters.depths(self._amqp_uri, self.queues())
