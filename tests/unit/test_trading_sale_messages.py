"""What a sale queues for notification is what notification's contract takes: each
`sale.completed` a NotificationEventInput, and its price tick a PriceTickInput (checked
against contracts/openapi/notification.yaml)."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from jsonschema import Draft4Validator

from services.common.contracts import load_contract
from services.trading.adapters.consumer_messages import message_to_price_tick
from services.trading.domain.money import Money
from services.trading.domain.purchase import Sale
from services.trading.mappers import (
    sale_to_event_messages,
    sale_to_tick,
    tick_to_message,
)
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit


def validator(schema_name: str) -> Draft4Validator:
    components = load_contract("notification")["components"]
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


@pytest.fixture
def sale() -> Sale:
    price = Money(int(Decimal("1234.56") * 100))
    return Sale(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), price, FakeClock().now)


def test_sale_events_are_notification_event_inputs(sale):
    events = sale_to_event_messages(sale)
    for event in events:
        validator("NotificationEventInput").validate(event)
    assert {e["userId"] for e in events} == {str(sale.buyer_id), str(sale.seller_id)}
    assert events[0]["data"]["price"] == 1234.56


def test_the_sales_price_tick_is_a_price_tick_input(sale):
    tick = message_to_price_tick(tick_to_message(sale_to_tick(sale)))
    validator("PriceTickInput").validate(tick.to_dict())
    assert (tick.asset_symbol, tick.source_id) == ("NFT-USD", str(sale.id))
