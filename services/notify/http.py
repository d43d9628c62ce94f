"""HTTP entrypoints of the notify service and its error → status table."""

from lianxin.web import route
from services.notify import handlers
from services.notify.schemas import DeliverySchema

http = route({handlers.DeliveryNotFound: (404, "not_found")})


class NotifyHttp:
    @http(
        "GET",
        "/v1/deliveries/<string:delivery_id>",
        summary="A delivery and its attempts",
        responses={200: DeliverySchema},
        raises=(handlers.DeliveryNotFound,),
    )
    def get_delivery(self, request, delivery_id):
        return 200, DeliverySchema().dump(handlers.get(self.store, delivery_id))
