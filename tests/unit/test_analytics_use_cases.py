"""The analytics service's rules, through its composition root with in-memory fakes."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest

from services.analytics.bootstrap import build_deps
from services.analytics.domain.errors import InvalidTick, NoMarketData
from services.analytics.domain.model import (
    MAX_QUANTITY,
    AssetStats,
    MarketTick,
)
from services.analytics.mappers import UNIX_EPOCH
from services.analytics.service_layer import use_cases
from services.analytics.service_layer.use_cases import AnalyticsDeps
from services.common.market_data import MAX_FUTURE_SKEW, MAX_TIMESTAMP_MS, TickFromTheFuture
from services.common.quoting import quoted
from tests.support.clock import FakeClock
from tests.unit.analytics_fakes import InMemoryTickRepository, items

pytestmark = pytest.mark.unit


@pytest.fixture
def repo() -> InMemoryTickRepository:
    return InMemoryTickRepository()


@pytest.fixture
def deps(repo: InMemoryTickRepository, clock: FakeClock) -> AnalyticsDeps:
    return build_deps(repo, clock=clock)


def tick(symbol: str = "BTC", price: float = 100.0, timestamp: int = 1_000, source_id=None):
    return MarketTick(asset_symbol=symbol, price=price, timestamp=timestamp, source_id=source_id)


# --- the tick's rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "price", "timestamp", "source_id"),
    [
        ("BTC", 0.01, 0, None),
        ("ETH-USD", 1e12, MAX_TIMESTAMP_MS, "a"),
        ("A" * 12 + "-" + "9" * 12, 5e-324, 1, "x" * 128),
        ("1INCH", 3, 1_700_000_000_000, None),  # an int price is a valid number
    ],
    ids=["smallest", "largest", "longest pair", "int price"],
)
def test_valid_ticks_are_made(symbol, price, timestamp, source_id):
    assert tick(symbol, price, timestamp, source_id).asset_symbol == symbol


@pytest.mark.parametrize(
    ("symbol", "price", "timestamp", "source_id", "rule"),
    [
        ("btc", 1.0, 1, None, "asset_symbol"),
        ("BTC\n", 1.0, 1, None, "asset_symbol"),  # `$` would let the newline through
        ("", 1.0, 1, None, "asset_symbol"),
        ("A" * 13, 1.0, 1, None, "asset_symbol"),
        ("BTC-", 1.0, 1, None, "asset_symbol"),
        ("BTC-ETH-USD", 1.0, 1, None, "asset_symbol"),
        ("BTC", 0.0, 1, None, "price"),
        ("BTC", -1.0, 1, None, "price"),
        ("BTC", math.nan, 1, None, "price"),
        ("BTC", math.inf, 1, None, "price"),
        ("BTC", 1e12 * (1 + 1e-15), 1, None, "price"),
        ("BTC", True, 1, None, "price"),
        ("BTC", 1.0, -1, None, "timestamp"),
        ("BTC", 1.0, MAX_TIMESTAMP_MS + 1, None, "timestamp"),
        ("BTC", 1.0, 1.5, None, "timestamp"),
        ("BTC", 1.0, True, None, "timestamp"),
        ("BTC", 1.0, 1, "", "source_id"),
        ("BTC", 1.0, 1, "x" * 129, "source_id"),
    ],
)
def test_invalid_ticks_are_refused_with_the_rule_they_break(
    symbol, price, timestamp, source_id, rule
):
    with pytest.raises(InvalidTick) as refused:
        tick(symbol, price, timestamp, source_id)
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(rule)


@pytest.mark.parametrize(
    "quantity",
    [0, 0.0, 5e-324, 2.5, 7, MAX_QUANTITY],
    ids=["int 0", "0", "tiny", "2.5", "int", "max"],
)
def test_a_quantity_is_zero_or_a_finite_positive_number(quantity):
    assert MarketTick("BTC", 1.0, 1, quantity=quantity).quantity == quantity


@pytest.mark.parametrize(
    "quantity",
    [-1.0, -5e-324, math.nan, math.inf, -math.inf, MAX_QUANTITY * 1.001, 10**400, True, "1", None],
    ids=[
        "negative",
        "tiny negative",
        "nan",
        "inf",
        "-inf",
        "too big",
        "beyond a double",
        "bool",
        "text",
        "none",
    ],
)
def test_a_negative_or_non_finite_quantity_is_refused(quantity):
    with pytest.raises(InvalidTick) as refused:
        MarketTick("BTC", 1.0, 1, quantity=quantity)
    [problem] = refused.value.problems
    assert problem.startswith(f"quantity {quoted(quantity)} must be a finite number >= 0")


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(InvalidTick) as refused:
        MarketTick("", math.nan, -1, quantity=-1.0)
    assert [p.split()[0] for p in refused.value.problems] == [
        "asset_symbol",
        "price",
        "timestamp",
        "quantity",
    ]
    assert "asset_symbol" in str(refused.value) and "timestamp" in str(refused.value)


# --- recording ticks -----------------------------------------------------------------------


async def test_a_tick_is_kept_with_an_id_and_the_time_it_arrived(deps, repo, clock):
    assert await use_cases.record_tick(deps, tick(source_id="s-1")) is True
    [kept] = repo.ticks
    assert kept.tick == tick(source_id="s-1")
    assert kept.received_at == clock.now


async def test_a_trade_is_kept_with_its_quantity(deps, repo):
    await use_cases.record_tick(deps, MarketTick("BTC", 100.0, 1_000, quantity=0.25))
    [kept] = repo.ticks
    assert (kept.tick.quantity, kept.tick.is_trade, kept.tick.notional) == (0.25, True, 25.0)


async def test_a_repeated_source_id_is_acknowledged_and_kept_once(deps, repo):
    assert await use_cases.record_tick(deps, tick(price=1.0, source_id="s-1")) is True
    assert await use_cases.record_tick(deps, tick(price=2.0, source_id="s-1")) is False
    assert [t.tick.price for t in repo.ticks] == [1.0]


async def test_ticks_without_source_id_are_never_deduplicated(deps, repo):
    for _ in range(3):
        assert await use_cases.record_tick(deps, tick()) is True
    assert len(repo.ticks) == 3
    assert len({t.id for t in repo.ticks}) == 3


async def test_a_stream_keeps_valid_ticks_and_counts_invalid_ones(deps, repo):
    invalid = InvalidTick(("price nan must be ...",))
    summary = await use_cases.record_tick_stream(
        deps, items([tick(price=1.0), invalid, tick(price=2.0), invalid])
    )
    assert (summary.accepted, summary.rejected, summary.success) == (2, 2, False)
    assert [t.tick.price for t in repo.ticks] == [1.0, 2.0]


async def test_a_clean_stream_succeeds_and_an_empty_one_too(deps, repo):
    clean = await use_cases.record_tick_stream(deps, items([tick(), tick()]))
    assert (clean.accepted, clean.rejected, clean.success) == (2, 0, True)
    empty = await use_cases.record_tick_stream(deps, items([]))
    assert (empty.accepted, empty.rejected, empty.success) == (0, 0, True)
    assert repo.batches == [2]  # nothing written for the empty stream


async def test_a_stream_is_written_in_batches_and_deduplicated_across_them(deps, repo):
    deps = replace(deps, stream_batch_size=2)
    ticks = [tick(price=float(i + 1), source_id=f"s-{i % 3}") for i in range(5)]
    summary = await use_cases.record_tick_stream(deps, items(ticks))
    # Duplicates count as accepted: they were kept the first time.
    assert (summary.accepted, summary.rejected) == (5, 0)
    assert repo.batches == [2, 2, 1]
    assert sorted(t.tick.source_id for t in repo.ticks) == ["s-0", "s-1", "s-2"]


# --- ticks from the future -----------------------------------------------------------------


def millis(clock: FakeClock, ahead: timedelta = timedelta()) -> int:
    return (clock.now + ahead - UNIX_EPOCH) // timedelta(milliseconds=1)


async def test_a_tick_up_to_the_skew_ahead_of_the_clock_is_kept(deps, repo, clock):
    await use_cases.record_tick(deps, tick(timestamp=millis(clock, MAX_FUTURE_SKEW)))
    assert [t.tick.timestamp for t in repo.ticks] == [millis(clock, MAX_FUTURE_SKEW)]


async def test_a_tick_beyond_the_skew_is_refused_and_not_kept(deps, repo, clock):
    in_2100 = tick(timestamp=MAX_TIMESTAMP_MS)  # valid as a tick, but not now
    with pytest.raises(TickFromTheFuture) as refused:
        await use_cases.record_tick(deps, in_2100)
    [problem] = refused.value.problems
    assert problem.startswith(f"timestamp {MAX_TIMESTAMP_MS} is ")
    assert repo.ticks == []
    just_beyond = tick(timestamp=millis(clock, MAX_FUTURE_SKEW) + 1)
    with pytest.raises(TickFromTheFuture):
        await use_cases.record_tick(deps, just_beyond)
    clock.advance(0.001)  # the clock catches up with it
    await use_cases.record_tick(deps, just_beyond)
    assert len(repo.ticks) == 1


async def test_a_stream_counts_a_tick_from_the_future_as_rejected_and_goes_on(deps, repo, clock):
    ticks = [tick(price=1.0), tick(price=2.0, timestamp=MAX_TIMESTAMP_MS), tick(price=3.0)]
    summary = await use_cases.record_tick_stream(deps, items(ticks))
    assert (summary.accepted, summary.rejected, summary.success) == (2, 1, False)
    assert [t.tick.price for t in repo.ticks] == [1.0, 3.0]


# --- prices and statistics -----------------------------------------------------------------


async def test_the_latest_price_is_the_newest_timestamp_not_the_last_arrival(deps, clock):
    await use_cases.record_tick(deps, tick(price=2.0, timestamp=2_000))
    clock.advance()
    await use_cases.record_tick(deps, tick(price=1.0, timestamp=1_000))  # late, older tick
    latest = await use_cases.get_latest_price(deps, "BTC")
    assert (latest.price, latest.timestamp) == (2.0, 2_000)


async def test_on_equal_timestamps_the_tick_received_last_is_the_latest(deps, clock):
    await use_cases.record_tick(deps, tick(price=1.0, timestamp=5))
    clock.advance()
    await use_cases.record_tick(deps, tick(price=3.0, timestamp=5))
    assert (await use_cases.get_latest_price(deps, "BTC")).price == 3.0
    assert (await use_cases.get_asset_stats(deps, "BTC")).last == 3.0


async def test_stats_are_count_min_max_mean_and_last(deps, clock):
    for price, timestamp in [(10.0, 3), (40.0, 1), (20.0, 4), (30.0, 2)]:
        await use_cases.record_tick(deps, tick(price=price, timestamp=timestamp))
        clock.advance()
    await use_cases.record_tick(deps, tick("ETH", price=999.0, timestamp=9))
    stats = await use_cases.get_asset_stats(deps, "BTC")
    assert stats == AssetStats(
        asset_symbol="BTC", count=4, min=10.0, max=40.0, mean=25.0, last=20.0, last_timestamp=4
    )


async def test_an_asset_without_data_is_not_found(deps):
    await use_cases.record_tick(deps, tick("BTC"))
    with pytest.raises(NoMarketData, match="ETH"):
        await use_cases.get_asset_stats(deps, "ETH")
    with pytest.raises(NoMarketData):
        await use_cases.get_latest_price(deps, "ETH")


async def test_stats_are_listed_by_symbol_and_paginated(deps):
    for symbol in ["SOL", "BTC", "ETH-USD", "ADA", "BTC"]:
        await use_cases.record_tick(deps, tick(symbol))
    listed = await use_cases.list_asset_stats(deps, limit=10, offset=0)
    assert [s.asset_symbol for s in listed] == ["ADA", "BTC", "ETH-USD", "SOL"]
    assert [s.count for s in listed] == [1, 2, 1, 1]
    page = await use_cases.list_asset_stats(deps, limit=2, offset=1)
    assert [s.asset_symbol for s in page] == ["BTC", "ETH-USD"]
    assert await use_cases.list_asset_stats(deps, limit=2, offset=4) == []


# --- ticks ingested, counted (the app's metrics) --------------------------------------------


class IngestTally:
    """An IngestCounter that adds up what it is told."""

    def __init__(self) -> None:
        self.stored = self.duplicates = self.refused = 0

    def __call__(self, stored: int, duplicates: int, refused: int) -> None:
        self.stored += stored
        self.duplicates += duplicates
        self.refused += refused

    @property
    def totals(self) -> tuple[int, int, int]:
        return self.stored, self.duplicates, self.refused


async def test_every_way_in_counts_what_became_of_each_tick(deps, repo, clock):
    tally = IngestTally()
    deps = replace(deps, on_ingested=tally, stream_batch_size=2)
    await use_cases.record_tick(deps, tick(source_id="a"))
    await use_cases.record_tick(deps, tick(source_id="a"))  # its repeat, kept once
    with pytest.raises(TickFromTheFuture):
        await use_cases.record_tick(deps, tick(timestamp=MAX_TIMESTAMP_MS))
    assert tally.totals == (1, 1, 1)
    invalid = InvalidTick(("price nan must be ...",))
    stream = [tick(source_id="b"), invalid, tick(source_id="a"), tick(timestamp=MAX_TIMESTAMP_MS)]
    await use_cases.record_tick_stream(deps, items(stream))
    assert tally.totals == (2, 2, 3)
    await use_cases.record_tick_batch(deps, [tick(source_id="c"), tick(source_id="b")])
    assert tally.totals == (3, 3, 3)
    with pytest.raises(use_cases.BatchRefused):
        await use_cases.record_tick_batch(deps, [tick(source_id="d"), invalid, tick()])
    assert tally.totals == (3, 3, 6)  # a batch refused whole: each of its ticks
    assert sorted(t.tick.source_id for t in repo.ticks) == ["a", "b", "c"]
