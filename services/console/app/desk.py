"""A signed-in person's desk: the other services' APIs with their token, and their scope.

Every page's use case takes a Desk. The token is the person's own (minted by cases for
the console's key, apis.Services.person_token), so cases, roster and metrics judge the
person themselves; the console narrows what it shows further to the person's grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.console.apis import Services
from services.console.domain.sessions import Session


@dataclass(frozen=True)
class Desk:
    services: Services
    token: str
    session: Session

    @classmethod
    def of(cls, services: Services, session: Session) -> Desk:
        token = services.person_token(
            session.id_digest, session.person_id, session.role, session.scope.community_id
        )
        return cls(services, token, session)

    def listing(self, limit: int, **query: Any) -> list[dict[str, Any]]:
        """Cases of the person's scope: the community's, or each of their grids'."""
        scope = self.session.scope
        base = {"community_id": scope.community_id, "limit": limit, **query}
        if scope.grids is None:
            return self.services.cases(self.token, **base)
        found: list[dict[str, Any]] = []
        for grid in sorted(scope.grids):
            found.extend(self.services.cases(self.token, **base, grid_id=grid))
        return found
