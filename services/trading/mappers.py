"""The one place where trading's contracts (REST JSON, analytics' proto) meet domain objects."""

from __future__ import annotations

from typing import Any

from generated.grpc.capsure.analytics.v1 import SendMarketDataRequest
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


def tick_to_request(tick: MarketDataTick) -> SendMarketDataRequest:
    # The tick's id is its source_id: analytics counts a retried forward once.
    return SendMarketDataRequest(
        asset_symbol=tick.asset_symbol,
        price=tick.price,
        timestamp=tick.timestamp,
        source_id=str(tick.id),
        quantity=tick.quantity,
    )
