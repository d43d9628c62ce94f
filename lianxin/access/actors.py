"""Who is asking, and what they may do: the scopes, roles and channels a credential names.

An API key names its scopes: `report` (file cases), `read` (see cases, statistics,
ledgers), `act` (volunteer and staff actions), `tokens` (issue person tokens: an app's
back end), `alerts` (post Alertmanager's alerts), `sign_in` (have notify send a person
their console sign-in code: the console's key), `verify` (have notify text a phone number
a verification code: the console's residents' key), `resident` (read or act for the
household of a number the console proved by SMS code: the residents' key), `admin`
(everything, keys included);
its communities, or `*` for all: a key never sees another community's data, and is told
"not found" rather than "forbidden", so it cannot probe for ids; the intake channels it
may claim for a report (`app`, `wechat`, `patrol`, `scan` — the console's scan-to-report
page, …); optionally the 12345 hotline it is bound to; optionally a person (and their
role). The Actor is all of that for one request, with the person acting when there is
one (lianxin.access.tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCOPES = ("report", "read", "act", "tokens", "alerts", "sign_in", "verify", "resident", "admin")
ROLES = ("volunteer", "grid_worker", "unit_leader", "grid_leader", "staff")
ALL_COMMUNITIES = "*"
# what a report may say it came through; `hotline` only from a key bound to a hotline
CHANNELS = (
    "app", "wechat", "hotline", "patrol", "walk_in", "door_knocking", "open311", "scan",
)  # fmt: skip
DEFAULT_CHANNELS = ("app",)


class Unauthenticated(Exception):
    """No key, an unknown or revoked key, or a bad person token: 401."""


class Forbidden(Exception):
    """A valid key without the scope (or role) this needs: 403."""


@dataclass(frozen=True)
class Actor:
    """Who is asking: the key, and the person when one acts."""

    key_id: str
    key_name: str
    scopes: frozenset[str]
    communities: frozenset[str]
    person_id: str | None = None
    role: str | None = None
    channels: frozenset[str] = frozenset(DEFAULT_CHANNELS)
    hotline_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def all_communities(self) -> bool:
        return ALL_COMMUNITIES in self.communities

    def can(self, scope: str) -> bool:
        return self.is_admin or scope in self.scopes

    def require(self, scope: str | tuple[str, ...]) -> None:
        """The scope, or one of several (a photo is uploaded to report or to act)."""
        wanted = (scope,) if isinstance(scope, str) else scope
        if not any(self.can(one) for one in wanted):
            raise Forbidden(f"This key may not {' or '.join(wanted)}.")

    def sees(self, community_id: str) -> bool:
        return self.all_communities or community_id in self.communities

    def covers(self, communities: Iterable[str]) -> bool:
        """Whether every one of `communities` (`*` meaning all) is within this key's."""
        wanted = set(communities)
        if self.all_communities:
            return True
        return ALL_COMMUNITIES not in wanted and wanted <= self.communities

    def may_claim(self, channel: str) -> bool:
        """Whether a report through this key may say it came through `channel`: an
        admin's may say anything; `hotline` needs a key bound to a hotline."""
        if self.is_admin:
            return True
        return channel in self.channels and (channel != "hotline" or self.hotline_id is not None)

    def require_role(self, *roles: str) -> None:
        if self.is_admin and self.person_id is None:
            return
        if self.role not in roles:
            raise Forbidden(f"Only {' or '.join(roles)} may do this.")

    def visible_communities(self) -> frozenset[str] | None:
        """The communities a listing is limited to; None for all."""
        return None if self.all_communities else self.communities
