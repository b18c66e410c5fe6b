"""Connexion handlers of the trading API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from typing import Any

from services.trading.entrypoints.marketplace_rest import MarketplaceHandlers
from services.trading.mappers import tick_to_contract
from services.trading.service_layer import use_cases
from services.trading.service_layer.use_cases import TradingDeps


class TradingHandlers(MarketplaceHandlers):
    def __init__(self, deps: TradingDeps) -> None:
        self._deps = deps

    async def submit_market_data(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        tick = await use_cases.submit_market_data(
            self._deps,
            asset_symbol=body["assetSymbol"],
            price=body["price"],
            timestamp=body["timestamp"],
            quantity=body.get("quantity", 0.0),
        )
        return tick_to_contract(tick), 201

    async def list_market_data(self, assetSymbol: str, limit: int) -> list[dict[str, Any]]:
        ticks = await use_cases.list_market_data(self._deps, assetSymbol, limit=limit)
        return [tick_to_contract(t) for t in ticks]
