"""A nameko service for tests/shared/test_control_events.py: a consumer of a control event
(`from_source_only`), run as roster's broker user, that records each event it applies.
While a document `broken` exists its handler fails, as a handler whose database
misbehaves would (and so goes round its retries, or is parked)."""

import contextlib

from nameko.dependency_providers import Config
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from lianxin.bus.consumer import event_handler


class ControlProbe:
    name = "roster"
    config = Config()

    @event_handler("cases", "probe.changed", from_source_only=True)
    def on_probe_changed(self, message):
        client = MongoClient(self.config["MONGO_URI"])
        try:
            db = client[self.config["PROBE_DB"]]
            db["attempts"].insert_one({"event_id": message["event_id"]})
            attempts = db["attempts"].count_documents({"event_id": message["event_id"]})
            if db["broken"].find_one({"_id": "broken"}) or attempts <= message["fail_first"]:
                raise RuntimeError("the probe's store failed")
            with contextlib.suppress(DuplicateKeyError):
                db["applied"].insert_one({"_id": message["event_id"]})
        finally:
            client.close()
