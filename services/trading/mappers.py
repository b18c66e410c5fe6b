"""The one place where trading's contracts (REST JSON, analytics' proto) meet domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generated.grpc.capsure.analytics.v1 import SendMarketDataRequest
from services.trading.domain.model import MarketDataTick


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def tick_to_contract(tick: MarketDataTick) -> dict[str, Any]:
    return {
        "id": str(tick.id),
        "assetSymbol": tick.asset_symbol,
        "price": tick.price,
        "timestamp": tick.timestamp,
        "receivedAt": _timestamp(tick.received_at),
    }


def tick_to_request(tick: MarketDataTick) -> SendMarketDataRequest:
    # The tick's id is its source_id: analytics counts a retried forward once.
    return SendMarketDataRequest(
        asset_symbol=tick.asset_symbol,
        price=tick.price,
        timestamp=tick.timestamp,
        source_id=str(tick.id),
    )
