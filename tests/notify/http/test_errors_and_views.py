"""What the HTTP API shows, without a server: a delivery's view (addresses masked, URL
queries cut, dumped by its schema) and the error → status table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.notify.domain import links
from services.notify.domain.delivery import Contact, Delivery, DeliveryNotFound, NotDead, Recipient
from services.notify.http.deliveries import view
from services.notify.http.errors import ERRORS
from services.notify.http.schemas import DeliverySchema

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def delivery(contact: Contact, **changes) -> Delivery:
    return Delivery(
        id="DL-1",
        cause_id="e-1",
        kind="case.dispatched",
        recipient=Recipient("person", "p-1", "侯**"),
        contact=contact,
        message={"subject": "新案件"},
        created_at=AT,
        community_id="jx",
        case_id="LX-1",
        fallbacks=(Contact("email", "a@b.cn"),),
        **changes,
    )


@pytest.mark.parametrize(
    ("contact", "shown"),
    [
        (Contact("sms", "13912345678"), "139****5678"),
        (
            Contact("wecom", "https://qyapi.weixin.qq.com/send?key=SECRET"),
            "https://qyapi.weixin.qq.com/send?…",
        ),
        (Contact("wecom", "group:jx/jx-g1"), "group:jx/jx-g1"),
    ],
)
def test_a_delivery_is_shown_with_its_address_masked(contact, shown):
    dumped = DeliverySchema().dump(view(delivery(contact)))
    assert dumped["address"] == shown and "SECRET" not in str(dumped)
    assert (dumped["subject"], dumped["next_channels"]) == ("新案件", ["email"])


def test_a_next_attempt_is_shown_only_while_the_delivery_is_open():
    assert view(delivery(Contact("sms", "139"), next_attempt_at=AT))["next_attempt_at"] == AT
    sent = delivery(Contact("sms", "139"), next_attempt_at=AT, state="sent")
    assert view(sent)["next_attempt_at"] is None


def test_every_refusal_of_a_link_and_of_a_delivery_has_its_status():
    refusals = {
        kind
        for kind in vars(links).values()
        if isinstance(kind, type) and issubclass(kind, links.LinkRefused)
    }
    assert refusals - {links.LinkRefused} <= set(ERRORS)
    assert ERRORS[DeliveryNotFound][0] == 404 and ERRORS[NotDead][0] == 409
