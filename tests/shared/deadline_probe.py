"""A nameko service for tests/shared/test_deadlines.py: records when each deadline fires,
by its clock (lianxin.clock: real time, or the scaled one LIANXIN_CLOCK gives it)."""

from nameko.dependency_providers import Config
from pymongo import MongoClient

from lianxin.bus.consumer import on_deadline
from lianxin.clock import utc_now


class DeadlineProbe:
    name = "deadlineprobe"
    config = Config()

    @on_deadline("probe.due")
    def on_due(self, deadline):
        client = MongoClient(self.config["MONGO_URI"], tz_aware=True)
        try:
            client[self.config["PROBE_DB"]]["fired"].insert_one(
                {
                    "deadline_id": deadline.id,
                    "due_at": deadline.due_at,
                    "fired_at": utc_now(),
                }
            )
        finally:
            client.close()
