"""The one place where trading's contracts (REST JSON, analytics' proto, notification's REST
input) meet domain objects and outbox messages."""

from __future__ import annotations

from typing import Any

from generated.grpc.capsure.analytics.v1 import StreamMarketDataRequest
from generated.rest.notification_client.models import PriceTickInput
from services.common.timestamps import rfc3339
from services.trading.domain.model import MarketDataTick


def tick_to_contract(tick: MarketDataTick) -> dict[str, Any]:
    return {
        "id": str(tick.id),
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "receivedAt": rfc3339(tick.received_at),
        "quantity": tick.quantity,
    }


def tick_to_message(tick: MarketDataTick) -> dict[str, Any]:
    """The outbox payload: what every consumer needs of a tick, as plain JSON."""
    return {
        "id": str(tick.id),
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "quantity": tick.quantity,
    }


def message_to_stream_request(payload: dict[str, Any]) -> StreamMarketDataRequest:
    # The tick's id is its source_id: analytics counts a redelivered tick once.
    return StreamMarketDataRequest(
        asset_symbol=payload["assetSymbol"],
        price=payload["price"],
        timestamp=payload["timestamp"],
        source_id=payload["id"],
        quantity=payload.get("quantity", 0.0),
    )


def message_to_price_tick(payload: dict[str, Any]) -> PriceTickInput:
    # sourceId lets notification answer a redelivered tick as a duplicate (or stale).
    return PriceTickInput(
        asset_symbol=payload["assetSymbol"],
        price=payload["price"],
        timestamp=payload["timestamp"],
        source_id=payload["id"],
    )
