"""Connexion handlers of the analytics API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from typing import Any

from services.analytics.mappers import (
    candle_to_contract,
    daily_volume_to_contract,
    interval_from_contract,
    latest_price_to_contract,
    millis_from_rfc3339,
    stats_to_contract,
)
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps


class AnalyticsHandlers:
    def __init__(self, deps: AnalyticsDeps) -> None:
        self._deps = deps

    async def list_asset_stats(self, limit: int, offset: int) -> list[dict[str, Any]]:
        stats = await use_cases.list_asset_stats(self._deps, limit=limit, offset=offset)
        return [stats_to_contract(s) for s in stats]

    async def get_latest_price(self, assetSymbol: str) -> dict[str, Any]:
        return latest_price_to_contract(await use_cases.get_latest_price(self._deps, assetSymbol))

    async def get_asset_stats(self, assetSymbol: str) -> dict[str, Any]:
        return stats_to_contract(await use_cases.get_asset_stats(self._deps, assetSymbol))

    async def get_candles(
        self, assetSymbol: str, interval: str, limit: int, before: str | None = None
    ) -> list[dict[str, Any]]:
        candles = await use_cases.get_candles(
            self._deps,
            assetSymbol,
            interval_from_contract(interval),
            limit=limit,
            start_before=None if before is None else millis_from_rfc3339(before),
        )
        return [candle_to_contract(c) for c in candles]

    async def get_daily_volume(self, assetSymbol: str) -> dict[str, Any]:
        return daily_volume_to_contract(await use_cases.get_daily_volume(self._deps, assetSymbol))
