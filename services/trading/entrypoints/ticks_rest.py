"""Connexion handlers of the market data operations: parse -> use case -> contract shape.
Mixed into TradingHandlers (Connexion looks handlers up by operationId on one object)."""

from __future__ import annotations

from typing import Any

from services.trading.mappers import tick_to_contract
from services.trading.service_layer import ticks
from services.trading.service_layer.deps import TradingDeps


class TickHandlers:
    _deps: TradingDeps

    async def submit_market_data(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        tick = await ticks.submit_market_data(
            self._deps,
            asset_symbol=body["assetSymbol"],
            price=body["price"],
            timestamp=body["timestamp"],
            quantity=body.get("quantity", 0.0),
        )
        return tick_to_contract(tick), 201

    async def submit_market_data_batch(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        accepted = await ticks.submit_market_data_batch(
            self._deps,
            [
                ticks.TickInput(
                    t["assetSymbol"], t["price"], t["timestamp"], t.get("quantity", 0.0)
                )
                for t in body["ticks"]
            ],
        )
        return {"accepted": accepted}, 201

    async def list_market_data(self, assetSymbol: str, limit: int) -> list[dict[str, Any]]:
        recent = await ticks.list_market_data(self._deps, assetSymbol, limit=limit)
        return [tick_to_contract(t) for t in recent]
