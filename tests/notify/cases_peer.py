"""A `cases` peer for notify's tests: answers `cases.perform_action` over the real broker
as the contract of docs/events.md says, from case states the test writes, and records
every call, so a test can tell that a refused link changed nothing."""

from datetime import UTC, datetime

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from pymongo import MongoClient

_clients: dict[str, MongoClient] = {}


def _client(uri: str) -> MongoClient:
    """One client for the process: a call should cost a query, not a connection."""
    if uri not in _clients:
        _clients[uri] = MongoClient(uri, tz_aware=True)
    return _clients[uri]


MOVES = {
    ("dispatched", "accept"): "accepted",
    ("dispatched", "decline"): "triaged",
    ("accepted", "resolve"): "resolved",
}


class CasesPeer:
    name = "cases"
    config = Config()

    @rpc
    def perform_action(self, case_id, action, person_id, role, note):
        db = _client(self.config["MONGO_URI"])[self.config["PEER_DB"]]
        db["calls"].insert_one(
            {
                "case_id": case_id,
                "action": action,
                "person_id": person_id,
                "role": role,
                "note": note,
                "at": datetime.now(UTC),
            }
        )
        case = db["cases"].find_one({"_id": case_id})
        if case is None:
            return {"ok": False, "code": "not_found", "state": None}
        if case.get("assignee") != person_id:
            return {"ok": False, "code": "not_assignee", "state": case["state"]}
        target = MOVES.get((case["state"], action))
        if target is None:
            return {"ok": False, "code": "invalid_transition", "state": case["state"]}
        db["cases"].replace_one({"_id": case_id}, {**case, "state": target})
        return {"ok": True, "state": target, "number": case.get("number")}
