"""The staff console's sign-in codes, sent by SMS to the person's own number
(app/sign_in_codes.py)."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.notify.app import sign_in_codes
from services.notify.http.deliveries import view
from services.notify.http.errors import http
from services.notify.http.schemas import DeliverySchema, SignInCodeSchema


class SignInCodesHttp:
    @http(
        "POST",
        "/v1/sign-in-codes",
        summary="Send a person their console sign-in code by SMS, once; the delivery keeps "
        "the code masked (the console's key only)",
        body=SignInCodeSchema,
        responses={202: DeliverySchema},
        raises=(sign_in_codes.NoSmsNumber, LeaseBusy),
        scope="sign_in",
    )
    def send_sign_in_code(self, request, actor, body):
        sent = sign_in_codes.send_code(
            self.parts.store, self.parts.outbound, actor, body["person_id"], body["code"], utc_now()
        )
        return 202, DeliverySchema().dump(view(sent))
