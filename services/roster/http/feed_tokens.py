"""The feed tokens of each person's iCalendar feed (services.roster.app.feeds).

Calendar apps subscribe to a URL and cannot send an API key, so the feed's URL
carries a signed token naming the person and their feed version; resetting the
feed (a new version) turns every older URL away.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from nameko.extensions import DependencyProvider

from lianxin.access.actors import Unauthenticated
from lianxin.config import DEV_TOKEN_SECRET, Settings

FEED_SALT = "lianxin.rota-feed"


class FeedTokens(DependencyProvider):
    """Signs and checks feed tokens with the secret that signs person tokens."""

    def setup(self) -> None:
        settings = Settings.from_config(self.container.service_name, self.container.config)
        secret = settings.secret("TOKEN_SECRET", settings.token_secret, DEV_TOKEN_SECRET)
        self._serializer = URLSafeSerializer(secret, salt=FEED_SALT)

    def get_dependency(self, worker_ctx) -> FeedTokens:
        return self

    def issue(self, person_id: str, version: int) -> str:
        return self._serializer.dumps({"p": person_id, "v": version})

    def verify(self, token: str, person_id: str, version: int) -> None:
        try:
            claims = self._serializer.loads(token)
        except BadSignature:
            raise Unauthenticated("The feed token is not valid.") from None
        if claims != {"p": person_id, "v": version}:
            raise Unauthenticated("The feed token is not valid for this feed.")
