"""The events estate publishes on `estate.events` (docs/events.md, "estate emits"): what
the estate's self-governance decided that others count. No personal data: households by
id, money in fen, time in minutes.
"""

from __future__ import annotations

from marshmallow import fields, validate

from lianxin.contracts.contract import Contract, Payload

ID = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# -- pact --
# The residents' pact (居民公约红黑榜): what metrics counts per community and quarter. No
# household, no name, no text: an observation by its kind and article, a list by its size.
PACT_KINDS = ("breach", "commendation")
PACT_DECISIONS = ("upheld", "withdrawn")
QUARTER = validate.Regexp(r"^\d{4}Q[1-4]$")


class PactObservationRecorded(Payload):
    observation_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    estate_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    kind = fields.String(required=True, validate=validate.OneOf(PACT_KINDS))
    article_number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    article_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    recorded_role = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)


class PactObservationDecided(Payload):
    observation_id = fields.String(required=True)
    community_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    kind = fields.String(required=True, validate=validate.OneOf(PACT_KINDS))
    outcome = fields.String(required=True, validate=validate.OneOf(PACT_DECISIONS))
    decided_at = fields.AwareDateTime(required=True)


class PactListPublished(Payload):
    community_id = fields.String(required=True, validate=ID)
    quarter = fields.String(required=True, validate=QUARTER)
    black_households = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    red_households = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    observations = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    published_at = fields.AwareDateTime(required=True)


PACT_EVENTS = {
    ("pact.observation_recorded", 1): PactObservationRecorded(),
    ("pact.observation_decided", 1): PactObservationDecided(),
    ("pact.list_published", 1): PactListPublished(),
}


ESTATE = Contract("estate", {**PACT_EVENTS})
