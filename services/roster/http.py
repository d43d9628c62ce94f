"""HTTP entrypoints of the roster service."""

from lianxin.clock import utc_now
from lianxin.web import route
from services.roster import handlers
from services.roster.schemas import OnDutyQuery, OnDutySchema, VolunteerHoursSchema

http = route({handlers.PersonNotFound: (404, "not_found")})


class RosterHttp:
    @http(
        "GET",
        "/v1/on-duty",
        summary="Who is on duty now in a grid and team",
        query=OnDutyQuery,
        responses={200: OnDutySchema},
        raises=(),
    )
    def on_duty(self, request, query):
        people = handlers.on_duty(self.store, query["grid_id"], query["team"], utc_now())
        return 200, {"grid_id": query["grid_id"], "team": query["team"], "on_duty": people}

    @http(
        "GET",
        "/v1/people/<string:person_id>/hours",
        summary="A volunteer's hours ledger",
        responses={200: VolunteerHoursSchema},
        raises=(handlers.PersonNotFound,),
    )
    def volunteer_hours(self, request, person_id):
        ledger = handlers.volunteer_hours(self.store, person_id)
        return 200, VolunteerHoursSchema().dump(ledger)
