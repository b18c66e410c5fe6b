"""The trading API's handlers: one object, as Connexion looks them up by operationId."""

from __future__ import annotations

from services.trading.entrypoints.marketplace_rest import MarketplaceHandlers
from services.trading.entrypoints.ticks_rest import TickHandlers
from services.trading.service_layer.deps import TradingDeps


class TradingHandlers(MarketplaceHandlers, TickHandlers):
    def __init__(self, deps: TradingDeps) -> None:
        self._deps = deps
