"""Starts one service's container in this process, as `nameko run` would, and prints how
many MongoClients the process made and what its readiness probe says: for
tests/shared/test_one_client.py. Run as `python -m tests.shared.client_probe <service>`,
with the service's settings in the environment (deploy/config/<service>.yaml reads them)."""

import eventlet

eventlet.monkey_patch()  # as `nameko run` does, before anything else is imported

import json  # noqa: E402
import sys  # noqa: E402

from pymongo import MongoClient  # noqa: E402

made: list[str] = []
_construct = MongoClient.__init__


def _counted(self, *args, **kwargs):
    made.append(str(args[0] if args else kwargs.get("host")))
    _construct(self, *args, **kwargs)


def main(service: str) -> None:
    MongoClient.__init__ = _counted
    from nameko.containers import ServiceContainer

    from lianxin.config import service_config
    from scripts.stack import service_classes

    container = ServiceContainer(service_classes()[service], service_config(service))
    container.start()
    try:
        readiness = next(
            extension
            for extension in container.extensions
            if type(extension).__name__ == "Readiness"
        )
        checks = readiness.checks()
    finally:
        container.stop()
    print(json.dumps({"clients": len(made), "checks": checks}))


if __name__ == "__main__":
    main(sys.argv[1])
