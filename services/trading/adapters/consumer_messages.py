"""Outbox messages (mappers.tick_to_message's JSON) in the shapes their consumers take:
analytics' Tick of a TickBatch, notification's PriceTickInput. Generated wire models stay
here, on the adapters' side, out of the use cases."""

from __future__ import annotations

from typing import Any

from generated.rest.notification_client.models import PriceTickInput
from services.common.tick_batch_wire import WireTick


def message_to_wire_tick(payload: dict[str, Any]) -> WireTick:
    """A Tick of analytics' TickBatch. The tick's id is its source_id: analytics counts a
    redelivered tick once."""
    return (
        payload["assetSymbol"],
        float(payload["price"]),
        payload["timestamp"],
        payload["id"],
        float(payload.get("quantity", 0.0)),
    )


def message_to_price_tick(payload: dict[str, Any]) -> PriceTickInput:
    # sourceId lets notification answer a redelivered tick as a duplicate (or stale).
    return PriceTickInput(
        asset_symbol=payload["assetSymbol"],
        price=payload["price"],
        timestamp=payload["timestamp"],
        source_id=payload["id"],
    )
