"""Consumer-driven contract for trading -> notification: the outbox delivers price ticks with
`POST /internal/price-ticks/batches` (sourceId = trading's tick id), and a redelivered tick is
answered 200 like a new one (notification dedupes it); a completed sale is delivered to the
buyer and the seller as `sale.completed` with `POST /internal/notification-events/batches`.

Consumer side: trading's real NotificationDelivery adapter (generated client) talks to pact's
mock notification service; the resulting pact must equal the committed one in contracts/pacts/
(regenerate with CAPSURE_UPDATE_PACTS=1). Provider side: a real notification process is
verified against the committed pact, with provider states set up through its own API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import httpx
import pytest
from pact import Pact, match

from services.common.notification_events import NotificationEventDelivery
from services.common.outbox import OutboxMessage
from services.trading.adapters.notification_client import NotificationDelivery
from services.trading.domain.money import Money
from services.trading.domain.purchase import Sale
from services.trading.mappers import sale_to_event_messages
from tests.support.pacts import PACTS, assert_committed, interactions, verified_interactions
from tests.support.platform import running_services

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "trading-notification.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def tick(symbol: str, source_id: str) -> dict[str, Any]:
    return {
        "id": source_id,
        "assetSymbol": symbol,
        "price": 3120.5,
        "timestamp": 1_764_000_000_000,
        "quantity": 0.0,
    }


NEW_TICK = tick("ETH-USD", "5a0f1e2d-3c4b-4a59-8e7f-6a5b4c3d2e1f")
REDELIVERED_TICK = tick("BTC-USD", "7c2e4a6b-8d0f-4e1a-9b3c-5d7e9f1a3b5c")


def trading_notification_pact() -> Pact:
    return Pact("trading", "notification").with_specification("V4")


def expect_delivery(
    pact: Pact, payload: dict[str, Any], state: str, outcome: str, previous: float | None
) -> None:
    (
        pact.upon_receiving(f"a batch of price ticks from trading ({state})")
        .given(state, sourceId=payload["id"], assetSymbol=payload["assetSymbol"])
        .with_request("POST", "/internal/price-ticks/batches")
        .with_body(
            {
                "ticks": [
                    {
                        "assetSymbol": match.regex(
                            payload["assetSymbol"], regex=r"^[A-Z0-9-]{1,25}$"
                        ),
                        "price": match.number(payload["price"]),
                        "timestamp": match.int(payload["timestamp"]),
                        "sourceId": match.uuid(payload["id"]),
                    }
                ]
            },
            content_type="application/json",
        )
        .will_respond_with(200)
        .with_body(
            {
                # One result per tick, in order; the generated client reads each field.
                "results": [
                    {
                        "outcome": match.regex(outcome, regex="^(applied|duplicate|stale)$"),
                        "previousPrice": None if previous is None else match.number(previous),
                        "alertsFired": match.int(0),
                    }
                ]
            },
            content_type="application/json",
        )
    )


def message(payload: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(1, "notification.price-ticks", payload, T0, 0, T0)


@pytest.mark.parametrize(
    ("payload", "state", "outcome", "previous"),
    [
        (NEW_TICK, "no tick of the asset was applied", "applied", None),
        (REDELIVERED_TICK, "the tick was already applied", "duplicate", 3120.5),
    ],
)
async def test_consumer_delivers_a_price_tick(pact_dir, payload, state, outcome, previous):
    pact = trading_notification_pact()
    expect_delivery(pact, payload, state, outcome, previous)
    with pact.serve() as server:
        deliver = NotificationDelivery(str(server.url), 2.0)
        try:
            refused = await deliver([message(payload)])
        finally:
            await deliver.aclose()
    assert refused == {}  # taken: nothing to retry or park
    pact.write_file(pact_dir, overwrite=False)


SALE = Sale(
    id=UUID("4c6e8a0c-2e4a-4c6e-8a0c-2e4a6c8e0a2c"),
    listing_id=UUID("5d7f9b1d-3f5b-4d7f-9b1d-3f5b7d9f1b3d"),
    purchase_id=UUID("6e8a0c2e-4a6c-4e8a-8c2e-4a6c8e0a2c4e"),
    nft_id=UUID("3b9d5f7a-1c2e-4d6f-8a0b-2c4e6a8b0d1f"),
    seller_id=UUID("1f3e5d7c-9b0a-4c2e-8d4f-6a8c0e2b4d6f"),
    buyer_id=UUID("2e4d6c8b-0a1f-4e3d-9c5b-7a9e1d3f5b7d"),
    price=Money.parse("42.50"),
    completed_at=T0,
)
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def _sale_data(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: match.number(value)
        if key == "price"
        else match.str(value)
        if key == "currency"
        else match.uuid(value)
        for key, value in data.items()
    }


def expect_sale_event(pact: Pact, payload: dict[str, Any]) -> None:
    data = _sale_data(payload["data"])
    (
        pact.upon_receiving("a batch with a completed sale from trading")
        .given("the event was not delivered to the user")
        .with_request("POST", "/internal/notification-events/batches")
        .with_body(
            {
                "events": [
                    {
                        "eventId": match.uuid(payload["eventId"]),
                        "type": match.regex("sale.completed", regex=r"^sale\.completed$"),
                        "userId": match.uuid(payload["userId"]),
                        "occurredAt": match.regex(payload["occurredAt"], regex=RFC3339),
                        "data": data,
                    }
                ]
            },
            content_type="application/json",
        )
        .will_respond_with(200)
        .with_body(
            {
                # One result per event, in order: trading reads the outcome.
                "results": [
                    {
                        "outcome": "delivered",
                        "notificationId": match.uuid("0b1d3f5a-7c9e-4b1d-8f5a-7c9e1b3d5f7a"),
                    }
                ]
            },
            content_type="application/json",
        )
    )


async def test_consumer_delivers_a_completed_sale(pact_dir):
    buyer_event = sale_to_event_messages(SALE)[0]  # the seller's has the same shape
    pact = trading_notification_pact()
    expect_sale_event(pact, buyer_event)
    with pact.serve() as server:
        deliver = NotificationEventDelivery(str(server.url), 2.0)
        try:
            refused = await deliver([OutboxMessage(1, "sale.events", buyer_event, T0, 0, T0)])
        finally:
            await deliver.aclose()
    assert refused == {}
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(
        pact_dir, "trading-notification", "tests/contract/test_pact_trading_notification.py"
    )


def test_notification_provider_honours_the_trading_pact(tmp_path):
    with running_services(tmp_path, ["notification"]) as services:
        notification = services["notification"]

        def provider_state(
            state: str, action: Literal["setup", "teardown"], parameters: dict[str, Any] | None
        ) -> None:
            # States are reached through the provider's own API, never its tables.
            if action == "setup" and state == "the tick was already applied":
                params = parameters or {}
                payload = tick(params["assetSymbol"], params["sourceId"])
                response = httpx.post(
                    f"{notification.url}/internal/price-ticks",
                    json={
                        "assetSymbol": payload["assetSymbol"],
                        "price": payload["price"],
                        "timestamp": payload["timestamp"],
                        "sourceId": payload["id"],
                    },
                )
                response.raise_for_status()

        verified = verified_interactions(
            "notification", notification.url, PACT_FILE, provider_state
        )
    assert verified == len(interactions(PACT_FILE)) == 3
