"""Request and response schemas of the household register. A household's numbers leave
only masked."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.estate.domain.households import SLUG


class ImportFileBody(Schema):
    """The register as uploaded (`households.csv`), read as the operator's CLI reads it."""

    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9_.-]{1,64}$", error="A file's name: a-z, 0-9, _, - and ."
        ),
        metadata={"description": "households.csv"},
    )
    text = fields.String(required=True, validate=validate.Length(min=1, max=2_000_000))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False)


class RegisterQuery(Schema):
    community_id = fields.String(required=True, validate=SLUG)
    after = fields.String(validate=SLUG, metadata={"description": "the last household id seen"})


class HouseholdSchema(Schema):
    community_id = fields.String()
    household_id = fields.String()
    estate = fields.String()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    floor_area_centi_m2 = fields.Integer(metadata={"description": "hundredths of a m², exact"})
    phones = fields.List(fields.String(), metadata={"description": "masked"})


class RegisterSchema(Schema):
    community_id = fields.String()
    households = fields.List(fields.Nested(HouseholdSchema))
    next_after = fields.String(
        allow_none=True, metadata={"description": "`after` for the next page; null at the end"}
    )


class RejectedSchema(Schema):
    source = fields.String()
    household_id = fields.String()
    reasons = fields.List(fields.String())


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    applied = fields.Boolean()
    accepted = fields.Integer()
    changed = fields.Integer()
    rejected = fields.List(fields.Nested(RejectedSchema))


class ImportRejectedSchema(Schema):
    class Error(Schema):
        code = fields.String()
        message = fields.String()
        rejected = fields.List(fields.Nested(RejectedSchema))

    error = fields.Nested(Error)
