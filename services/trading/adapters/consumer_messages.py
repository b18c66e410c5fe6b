"""Outbox messages (mappers.tick_to_message's JSON, or a bundle of them) in the shapes their
consumers take: analytics' Tick of a TickBatch, notification's PriceTickInput. Generated wire
models stay here, on the adapters' side, out of the use cases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from generated.rest.notification_client.models import PriceTickInput
from services.common.outbox import OutboxMessage
from services.common.tick_batch_wire import WireTick


def ticks_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's ticks: a bundle's (mappers.ticks_to_bundle), or the one tick it is."""
    bundled = payload.get("ticks")
    return bundled if isinstance(bundled, list) else [payload]


def ticks_with_message_ids(batch: Sequence[OutboxMessage]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every tick of an outbox batch, in order, with the id of the message carrying it."""
    for message in batch:
        for tick in ticks_of(message.payload):
            yield message.id, tick


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
