"""Analytics' candle and volume queries against real databases (SQLite and PostgreSQL): the
SQL must agree with the domain's references (`candles_of`, `totals_of`) that the unit tests'
fake uses, at bucket boundaries, on ties, across gaps and at the window's edges."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.analytics.adapters.repository import TortoiseTickRepository
from services.analytics.config import AnalyticsSettings
from services.analytics.domain.candles import Candle, CandleInterval, candles_of
from services.analytics.domain.model import MAX_QUANTITY, MarketTick, ReceivedTick
from services.analytics.domain.volume import DAY_MILLIS, Window, totals_of
from services.common.database import service_database
from services.common.market_data import MAX_TIMESTAMP_MS
from tests.integration.conftest import migrated_and_open

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOON = 1_772_366_400_000  # 2026-03-01T12:00:00Z
MINUTE, HOUR = 60_000, 3_600_000
M1, M5, H1 = CandleInterval.ONE_MINUTE, CandleInterval.FIVE_MINUTES, CandleInterval.ONE_HOUR


@pytest.fixture
async def repo(database_url):
    settings = AnalyticsSettings(database_url=database_url)
    async with migrated_and_open(service_database("analytics", settings)):
        yield TortoiseTickRepository()


def received(
    price: float,
    timestamp: int,
    quantity: float = 0.0,
    *,
    symbol: str = "ETH",
    seconds: float = 0,
    id_: int | None = None,
    source_id: str | None = None,
) -> ReceivedTick:
    return ReceivedTick(
        id=uuid4() if id_ is None else UUID(int=id_),
        tick=MarketTick(symbol, price, timestamp, source_id=source_id, quantity=quantity),
        received_at=T0 + timedelta(seconds=seconds),
    )


async def keep(repo, ticks: list[ReceivedTick]) -> list[ReceivedTick]:
    await repo.add_many(ticks)
    return ticks


def assert_same_candles(actual: list[Candle], expected: list[Candle]) -> None:
    """Equal, but for the volume's last bits: the database adds in its own order."""
    assert [c.volume for c in actual] == pytest.approx([c.volume for c in expected], rel=1e-12)
    assert [{**vars(c), "volume": 0} for c in actual] == [
        {**vars(c), "volume": 0} for c in expected
    ]


async def candles(repo, interval=M1, *, ticks_before=None, limit=500, symbol="ETH"):
    return list(await repo.candles(symbol, interval, ticks_before=ticks_before, limit=limit))


# --- candles -------------------------------------------------------------------------------


async def test_sql_candles_agree_with_the_domain(repo):
    draw = random.Random(5)
    ticks = [
        received(
            price=round(draw.uniform(1, 100), 2),
            timestamp=NOON + draw.randrange(0, 3 * HOUR),
            quantity=draw.choice([0.0, 0.0, round(draw.uniform(0.001, 5), 3)]),
            seconds=draw.randrange(0, 50),  # arrival order unrelated to the timestamps
        )
        for _ in range(400)
    ]
    # Ties on the timestamp, some on the arrival too (the id decides those).
    ticks += [received(float(p), NOON + 7 * MINUTE, seconds=p % 2) for p in range(1, 6)]
    await keep(repo, ticks)
    await keep(repo, [received(1e6, NOON + 1, 9.0, symbol="BTC")])  # another asset
    for interval in CandleInterval:
        assert_same_candles(await candles(repo, interval), candles_of(ticks, interval))
        for before in (NOON + 7 * MINUTE + 1, NOON + 90 * MINUTE, NOON + HOUR):
            expected = [t for t in ticks if t.tick.timestamp < before]
            assert_same_candles(
                await candles(repo, interval, ticks_before=before, limit=7),
                candles_of(expected, interval)[:7],
            )


async def test_a_tick_on_a_boundary_opens_the_next_candle(repo):
    await keep(
        repo,
        [
            received(1.0, NOON - 1),  # the last millisecond of 11:59
            received(2.0, NOON),  # the first of 12:00
            received(3.0, NOON + MINUTE - 1),
            received(4.0, NOON + MINUTE),
        ],
    )
    assert [(c.start, c.open, c.close, c.ticks) for c in await candles(repo)] == [
        (NOON + MINUTE, 4.0, 4.0, 1),
        (NOON, 2.0, 3.0, 2),
        (NOON - MINUTE, 1.0, 1.0, 1),
    ]
    assert [(c.start, c.open, c.close, c.ticks) for c in await candles(repo, H1)] == [
        (NOON, 2.0, 4.0, 3),
        (NOON - HOUR, 1.0, 1.0, 1),
    ]


async def test_open_and_close_on_tied_timestamps(repo):
    await keep(
        repo,
        [
            # Open: three ticks at the first millisecond, received at different times.
            received(20.0, NOON, seconds=2),
            received(10.0, NOON, seconds=1),  # received first: opens
            received(30.0, NOON, seconds=3),
            # Close: same millisecond and same arrival, so the id decides (the largest).
            received(40.0, NOON + 50_000, seconds=5, id_=7),
            received(50.0, NOON + 50_000, seconds=5, id_=9),  # closes
            received(60.0, NOON + 50_000, seconds=5, id_=8),
            received(99.0, NOON + 40_000, seconds=9),  # arrived last, but not the latest
        ],
    )
    [candle] = await candles(repo)
    assert (candle.open, candle.high, candle.low, candle.close) == (10.0, 99.0, 10.0, 50.0)


async def test_intervals_without_ticks_have_no_candle_and_pages_skip_the_gaps(repo):
    minutes = [0, 1, 2, 100, 101, 500]
    await keep(repo, [received(m + 1.0, NOON + m * MINUTE + 7) for m in minutes])
    assert [c.close for c in await candles(repo)] == [501.0, 102.0, 101.0, 3.0, 2.0, 1.0]
    # Each page is the newest candles there are, however far back they lie.
    assert [c.close for c in await candles(repo, limit=3)] == [501.0, 102.0, 101.0]
    page = await candles(repo, limit=3, ticks_before=NOON + 100 * MINUTE)
    assert [c.close for c in page] == [3.0, 2.0, 1.0]
    assert await candles(repo, ticks_before=NOON) == []
    assert await candles(repo, symbol="BTC") == []


async def test_dense_candles_are_found_in_the_recent_range(repo):
    """Every minute has ticks, so the newest `limit` minutes hold the whole page (the
    adapter's first, narrow query); the gaps test above covers its fallback."""
    ticks = await keep(
        repo, [received(i + 1.0, NOON + i * 20_000, 1.0) for i in range(3 * 60)]
    )  # an hour, three ticks a minute
    page = await candles(repo, limit=10)
    assert_same_candles(page, candles_of(ticks, M1)[:10])
    assert (page[0].start, page[-1].start) == (NOON + 59 * MINUTE, NOON + 50 * MINUTE)


async def test_volume_and_trades_in_a_candle_count_a_repeated_tick_once(repo):
    assert await repo.add(received(100.0, NOON, 2.0, source_id="fill-1"))
    assert not await repo.add(received(100.0, NOON, 2.0, source_id="fill-1"))
    await repo.add_many(
        [
            received(101.0, NOON + 1, 3.0, source_id="fill-1"),  # already stored
            received(102.0, NOON + 2, 0.5, source_id="fill-2"),
            received(102.0, NOON + 2, 0.5, source_id="fill-2"),  # twice in the batch
            received(103.0, NOON + 3),  # a quote
        ]
    )
    [candle] = await candles(repo, M5)
    assert (candle.ticks, candle.trades, candle.volume) == (3, 2, 2.5)


async def test_candles_at_the_ends_of_the_timestamp_range(repo):
    last = MAX_TIMESTAMP_MS  # 2100-01-01T00:00:00Z, itself a candle start
    await keep(repo, [received(1.0, 0), received(2.0, 59_999), received(3.0, last)])
    assert [(c.start, c.close) for c in await candles(repo, H1)] == [(last, 3.0), (0, 2.0)]


# --- totals over a window ------------------------------------------------------------------


async def test_sql_totals_agree_with_the_domain(repo):
    draw = random.Random(7)
    ticks = [
        received(
            price=round(draw.uniform(1, 100), 4),
            timestamp=NOON - draw.randrange(0, 2 * DAY_MILLIS),
            quantity=draw.choice([0.0, round(draw.uniform(0.001, 50), 3)]),
        )
        for _ in range(300)
    ]
    await keep(repo, ticks)
    window = Window.day_ending_at(NOON)
    actual = await repo.totals("ETH", window)
    expected = totals_of(t for t in ticks if window.contains(t.tick.timestamp))
    assert (actual.ticks, actual.trades) == (expected.ticks, expected.trades)
    assert actual.volume == pytest.approx(expected.volume, rel=1e-12)
    assert actual.notional == pytest.approx(expected.notional, rel=1e-12)
    assert actual.vwap == pytest.approx(expected.vwap, rel=1e-12)


async def test_the_window_leaves_out_a_tick_exactly_a_day_older(repo):
    await keep(
        repo,
        [
            received(1.0, NOON - DAY_MILLIS, 100.0),  # out
            received(2.0, NOON - DAY_MILLIS + 1, 1.0),  # in
            received(4.0, NOON, 1.0),  # in: the end counts
            received(8.0, NOON + 1, 100.0),  # out: after the end
            received(16.0, NOON, 100.0, symbol="BTC"),  # out: another asset
        ],
    )
    totals = await repo.totals("ETH", Window.day_ending_at(NOON))
    assert (totals.ticks, totals.trades, totals.volume, totals.vwap) == (2, 2, 2.0, 3.0)


async def test_a_window_of_quotes_has_no_vwap_and_an_empty_one_is_all_zeros(repo):
    await keep(repo, [received(5.0, NOON), received(6.0, NOON - 1)])
    quotes = await repo.totals("ETH", Window.day_ending_at(NOON))
    assert (quotes.ticks, quotes.trades, quotes.volume, quotes.vwap) == (2, 0, 0.0, None)
    empty = await repo.totals("SOL", Window.day_ending_at(NOON))
    assert (empty.ticks, empty.trades, empty.volume, empty.vwap) == (0, 0, 0.0, None)


async def test_a_repeated_trade_adds_its_volume_once(repo):
    for _ in range(2):
        await repo.add(received(10.0, NOON, 3.0, source_id="fill-9"))
    await repo.add_many([received(10.0, NOON, 3.0, source_id="fill-9")])
    totals = await repo.totals("ETH", Window.day_ending_at(NOON))
    assert (totals.trades, totals.volume, totals.notional) == (1, 3.0, 30.0)


async def test_extreme_prices_and_quantities_add_up_without_a_database_error(repo):
    """PostgreSQL refuses a float product that underflows (5e-324 * 0.5): the notional is
    computed on the way in, so the database only adds."""
    await keep(
        repo,
        [
            received(5e-324, NOON, 0.5),
            received(1e12, NOON, MAX_QUANTITY),
            received(1e-9, NOON, 5e-324),
        ],
    )
    totals = await repo.totals("ETH", Window.day_ending_at(NOON))
    assert totals.trades == 3
    assert totals.notional == pytest.approx(1e27)
    assert totals.vwap == pytest.approx(1e12)
    [candle] = await candles(repo)
    assert candle.volume == pytest.approx(MAX_QUANTITY)


async def test_the_quantity_survives_the_round_trip(repo):
    await repo.add(received(2.0, NOON, 0.125))
    assert (await repo.latest("ETH")).quantity == 0.125
