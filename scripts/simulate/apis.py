"""The simulator's only way in: the services' public HTTP APIs, with the keys an operator
issues and the person tokens a volunteer's app holds (never a database write)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

TIMEOUT = 30


class Unexpected(Exception):
    """An answer the act did not expect: the act fails, and so does the run."""


@dataclass
class Apis:
    """The stack's services by name, and the keys by the part they play (KEYS in stage.py)."""

    urls: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)
    community: str = "jingxiang"  # where the person tokens act
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def call(
        self,
        method: str,
        service: str,
        path: str,
        key: str,
        expect: Iterable[int] = (200,),
        person: tuple[str, str] | None = None,
        idempotent: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """One request as the holder of `key` (and `person`, (id, role), acting through it);
        `idempotent` sends an Idempotency-Key, as a form or an app does."""
        headers = {"X-Api-Key": self.keys[key]}
        if person is not None:
            headers["X-Lianxin-Person"] = self.person_token(*person)
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        answer = self._session().request(
            method, self.urls[service] + path, headers=headers, timeout=TIMEOUT, **kwargs
        )
        if answer.status_code not in tuple(expect):
            raise Unexpected(f"{method} {service}{path}: {answer.status_code} {answer.text[:300]}")
        return answer

    def json(self, method: str, service: str, path: str, key: str, **kwargs: Any) -> Any:
        return self.call(method, service, path, key, **kwargs).json()

    def person_token(self, person_id: str, role: str) -> str:
        """A person's token, minted once with the admin key (it lasts 12 real hours)."""
        with self._lock:
            token = self._tokens.get((person_id, role))
        if token is None:
            body = {"person_id": person_id, "role": role, "communities": [self.community]}
            token = self.json(
                "POST", "cases", "/v1/person-tokens", "admin", expect=(201,), json=body
            )["token"]
            with self._lock:
                self._tokens[(person_id, role)] = token
        return token

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session
