"""The pact's reference data (data/pact.yaml): each community's settings and the articles
its estates start from, checked whole when the service starts. Plain Python: no I/O.

An estate whose pact staff never edited has its community's sample articles as version 1,
holding from the community's `adopted` time; the first edit stores the estate's own pact
(app/pact.py), and the sample is no longer read for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from services.estate.domain.pact import MAX_ARTICLES, Article, Pact
from services.estate.domain.pact_list import PactRules

SAMPLE_EDITOR = "pact.yaml"  # who "edited" a sample article: the reference file
TITLE = validate.Length(min=1, max=40)
TEXT = validate.Length(min=1, max=500)
WINDOW = re.compile(r"^(\d{1,4})([dhms])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
LONGEST_WINDOW = timedelta(days=60)
THRESHOLD = validate.Range(min=1, max=50)


class Window(fields.Field):
    """A window as the file writes it: `7d`, `36h`, `90m`, `45s` (tests use seconds)."""

    def _deserialize(self, value, attr, data, **kwargs) -> timedelta:
        found = WINDOW.match(str(value))
        if found is None:
            raise ValidationError("A window like 7d, 36h, 90m or 45s.")
        window = timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
        if not timedelta(0) < window <= LONGEST_WINDOW:
            raise ValidationError("A window of more than nothing and at most 60 days.")
        return window


class RulesSchema(Schema):
    answer_window = Window(required=True)
    black_min_breaches = fields.Integer(strict=True, required=True, validate=THRESHOLD)
    red_min_commendations = fields.Integer(strict=True, required=True, validate=THRESHOLD)


class ArticleSchema(Schema):
    title = fields.String(required=True, validate=TITLE)
    text = fields.String(required=True, validate=TEXT)


class CommunitySchema(Schema):
    adopted = fields.AwareDateTime(load_default=datetime(2026, 1, 1, tzinfo=UTC))
    rules = fields.Nested(RulesSchema)
    articles = fields.List(
        fields.Nested(ArticleSchema), load_default=list, validate=validate.Length(max=MAX_ARTICLES)
    )


class ReferenceSchema(Schema):
    defaults = fields.Nested(RulesSchema, required=True)
    communities = fields.Dict(keys=fields.String(), values=fields.Nested(CommunitySchema),
                              load_default=dict)  # fmt: skip


@dataclass(frozen=True)
class PactReference:
    """The settings and sample articles of every community data/pact.yaml names."""

    defaults: PactRules
    communities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def rules(self, community_id: str) -> PactRules:
        given = (self.communities.get(community_id) or {}).get("rules")
        return PactRules(**given) if given else self.defaults

    def sample(self, community_id: str, estate_id: str) -> Pact:
        """The estate's pact before staff edit it: the community's sample, version 1."""
        found = self.communities.get(community_id) or {}
        articles = tuple(
            Article(n, 1, a["title"], a["text"], found["adopted"], SAMPLE_EDITOR)
            for n, a in enumerate(found.get("articles") or (), start=1)
        )
        return Pact(estate_id, community_id, articles)


def reference_from(raw: Mapping[str, Any]) -> PactReference:
    """The reference, checked whole (a ValidationError names what is wrong)."""
    loaded = ReferenceSchema().load(dict(raw))
    return PactReference(PactRules(**loaded["defaults"]), loaded["communities"])
