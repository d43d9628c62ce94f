"""Request and response schemas of a person's week of duty (`GET /v1/people/{id}/
duty-week`, app/duty_week.py): each shift's rota, team and grids with their names, its
times in UTC and in the community's zone, and where the person stands now."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields

from services.roster.http.schemas import TeamNameSchema


def _a_monday(day) -> None:
    if day.weekday() != 0:
        raise ValidationError("A Monday (the week runs Monday to Sunday).")


class DutyWeekQuery(Schema):
    week = fields.Date(
        validate=_a_monday,
        metadata={"description": "the week's Monday; default: this week in the community's zone"},
    )


class GridRefSchema(Schema):
    grid_id = fields.String()
    name = fields.String()


class DutyRotaSchema(Schema):
    rota_id = fields.String()
    team = fields.Nested(TeamNameSchema)
    grids = fields.List(fields.Nested(GridRefSchema), metadata={"description": "it serves"})
    check_in_required = fields.Boolean()
    checked_in_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "the person's open sign-in (签到), if any"}
    )
    on_duty_now = fields.Boolean(metadata={"description": "covers, sign-ins and leave applied"})


class DutyShiftSchema(Schema):
    rota_id = fields.String()
    team = fields.Nested(TeamNameSchema)
    grids = fields.List(fields.Nested(GridRefSchema))
    day = fields.Date(metadata={"description": "the local day it starts on"})
    start = fields.AwareDateTime(metadata={"description": "UTC"})
    end = fields.AwareDateTime(metadata={"description": "UTC"})
    start_local = fields.AwareDateTime(metadata={"description": "in the community's zone"})
    end_local = fields.AwareDateTime(metadata={"description": "in the community's zone"})
    on_duty = fields.Boolean(
        metadata={"description": "the person's duty touches it (not on leave, not covered)"}
    )
    under_way = fields.Boolean()
    on_duty_now = fields.Boolean(metadata={"description": "under way, and the person on duty"})
    covering = fields.Boolean(
        metadata={"description": "someone else's shift, the person's by a cover or extra duty"}
    )


class DutyWeekSchema(Schema):
    person_id = fields.String()
    community_id = fields.String()
    timezone = fields.String()
    week = fields.Date(metadata={"description": "its Monday"})
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to")
    rotas = fields.List(
        fields.Nested(DutyRotaSchema),
        metadata={"description": "every rota the person is on, whichever grids it serves"},
    )
    shifts = fields.List(fields.Nested(DutyShiftSchema), metadata={"description": "in order"})
