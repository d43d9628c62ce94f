"""The process's connection to MongoDB and its service's database.

Fail fast while the database is away: HTTP answers 503 and consumers wait it out.
"""

from __future__ import annotations

from pymongo import MongoClient

from lianxin.config import Settings
from lianxin.store.query_log import QueryLog


def connect(settings: Settings) -> MongoClient:
    """Fail fast while the database is away: HTTP answers 503 and consumers wait it out."""
    listeners = [QueryLog(settings.query_log)] if settings.query_log else []
    return MongoClient(
        settings.mongo_uri,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        connect=False,
        tz_aware=True,
        event_listeners=listeners,
    )
