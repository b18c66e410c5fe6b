"""Connexion handlers of the analytics API: parse -> use case -> contract shape. Nothing else."""

from __future__ import annotations

from typing import Any

from services.analytics.mappers import latest_price_to_contract, stats_to_contract
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
