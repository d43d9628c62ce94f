"""A resident's verification code, texted to the number they gave on the console's
scan-to-report page (app/verification_codes.py)."""

from __future__ import annotations

from lianxin.clock import utc_now
from lianxin.store.lease import LeaseBusy
from services.notify.app import verification_codes
from services.notify.http.deliveries import view
from services.notify.http.errors import http
from services.notify.http.schemas import DeliverySchema, VerificationCodeSchema


class VerificationCodesHttp:
    @http(
        "POST",
        "/v1/verification-codes",
        summary="Text a phone number a verification code, once, for a community the key "
        "covers; at most 5 an hour to one number (429); the delivery keeps the code masked "
        "(the console's residents' key: scope `verify`)",
        body=VerificationCodeSchema,
        responses={202: DeliverySchema},
        raises=(verification_codes.UnknownCommunity, verification_codes.TooManyCodes, LeaseBusy),
        scope="verify",
    )
    def send_verification_code(self, request, actor, body):
        sent = verification_codes.send_code(
            self.parts.store, self.parts.outbound, actor, body["community_id"], body["phone"],
            body["code"], utc_now(),
        )  # fmt: skip
        return 202, DeliverySchema().dump(view(sent))
