"""Trading's outbox delivery of price ticks to a real notification app (uvicorn on a socket,
in-memory stores): batches of up to 1,000 a call, refused ticks reported by message id, and a
batch notification's contract refuses sent again one tick at a time to find the bad ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from services.common.outbox import DeliveryFailed, OutboxMessage
from services.notification.domain.prices import PriceTick
from services.trading.adapters.notification_client import MAX_TICKS_PER_CALL, NotificationDelivery
from services.trading.domain.ticks import MarketDataTick
from services.trading.mappers import tick_to_message, ticks_to_bundle
from services.trading.service_layer.topics import NOTIFICATION_TOPIC
from tests.support.clock import FakeClock
from tests.support.notification_peer import Calls, running_notification
from tests.support.unix_sockets import socket_dir
from tests.unit.notification_fakes import FakeDatabase

pytestmark = pytest.mark.integration

FUTURE_MS = 4_102_444_800_000  # 2100: beyond any clock skew
SYMBOL = "ETH-USD"


@pytest.fixture
async def notification() -> AsyncIterator[tuple[FakeDatabase, Calls, str]]:
    async with running_notification("trading") as peer:
        yield peer


def message(number: int, *, price: float = 100.0, timestamp: int | None = None) -> OutboxMessage:
    clock = FakeClock()
    stamped = 1_764_000_000_000 + number if timestamp is None else timestamp
    tick = MarketDataTick(_id(number), SYMBOL, price, stamped, clock.now, 0.0)
    return OutboxMessage(number, NOTIFICATION_TOPIC, tick_to_message(tick), clock.now, 0, clock.now)


def bundle(number: int, first: int, count: int, *, bad: int | None = None) -> OutboxMessage:
    """A POSTed batch's message: ticks first .. first + count - 1, one payload; tick `bad`
    stamped in 2100."""
    clock = FakeClock()
    ticks = [
        MarketDataTick(
            _id(n), SYMBOL, 100.0, FUTURE_MS if n == bad else 1_764_000_000_000 + n, clock.now, 0.0
        )
        for n in range(first, first + count)
    ]
    return OutboxMessage(
        number, NOTIFICATION_TOPIC, ticks_to_bundle(ticks), clock.now, 0, clock.now, count
    )


def _id(number: int) -> UUID:
    return UUID(int=number)


async def delivered(address: str, batch: list[OutboxMessage]) -> dict[int, str]:
    deliver = NotificationDelivery(address, 5.0)
    try:
        return await deliver(batch)
    finally:
        await deliver.aclose()


async def test_a_batch_goes_in_one_call_and_its_refused_tick_is_named(notification):
    db, calls, address = notification
    batch = [message(1), message(2, timestamp=FUTURE_MS), message(3, price=105.0)]
    refused = await delivered(address, batch)
    assert list(refused) == [2] and "ahead of this server's clock" in refused[2]
    assert calls.paths == ["/internal/price-ticks/batches"]
    last = db.store.prices[SYMBOL]
    assert (last.price, last.source_id) == (105.0, str(_id(3)))


async def test_more_than_one_call_holds_is_sent_in_order_in_several(notification):
    db, calls, address = notification
    count = MAX_TICKS_PER_CALL + 1
    assert await delivered(address, [message(n) for n in range(1, count + 1)]) == {}
    assert calls.paths == ["/internal/price-ticks/batches"] * 2
    assert db.store.prices[SYMBOL] == PriceTick(
        SYMBOL, 100.0, 1_764_000_000_000 + count, str(_id(count))
    )
    # Redelivered (the relay died before deleting them): nothing changes, nothing is refused.
    assert await delivered(address, [message(n) for n in range(1, count + 1)]) == {}
    assert db.store.prices[SYMBOL].source_id == str(_id(count))


async def test_bundles_are_cut_into_calls_and_a_refused_tick_names_its_bundle(notification):
    db, calls, address = notification
    # 1,200 ticks: the second call starts inside the second bundle, whose last tick is refused.
    batch = [bundle(1, 1, 600), bundle(2, 601, 600, bad=1200), message(1201)]
    refused = await delivered(address, batch)
    assert list(refused) == [2] and "ahead of this server's clock" in refused[2]
    assert calls.paths == ["/internal/price-ticks/batches"] * 2
    assert db.store.prices[SYMBOL].source_id == str(_id(1201))


async def test_a_batch_outside_the_contract_is_sent_again_tick_by_tick(notification):
    """A price notification's schema refuses (here: not a finite price, as a newer trading
    might send) is a 400 for the whole batch; one tick at a time finds it."""
    db, calls, address = notification
    bad = message(2)
    bad.payload["price"] = -1.0
    refused = await delivered(address, [message(1), bad, message(3)])
    assert refused == {2: "notification answered 400"}
    assert calls.paths == ["/internal/price-ticks/batches"] + ["/internal/price-ticks"] * 3
    assert db.store.prices[SYMBOL].source_id == str(_id(3))


async def test_no_notification_fails_the_batch_for_the_outbox_to_retry():
    with socket_dir() as sockets, pytest.raises(DeliveryFailed):
        await delivered(f"unix:{sockets / 'nobody.sock'}", [message(1)])
