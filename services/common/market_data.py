"""The rules every market data tick obeys, wherever it enters: one definition, as in the
contracts (trading.yaml's MarketDataTickInput, market_data.proto's SendMarketDataRequest).

Messages quote client input through `quoted()` only: they become problem+json details and
gRPC status messages, where a whole megabyte of symbol froze an instance (see quoting.py)."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime, timedelta

from services.common.quoting import quoted

# fullmatch, never `$`: in Python `$` also matches before a trailing newline, and Connexion
# checks the contract's pattern with re.search, so "BTC\n" gets past it.
ASSET_SYMBOL = re.compile(r"[A-Z0-9]{1,12}(-[A-Z0-9]{1,12})?")
LONGEST_ASSET_SYMBOL = 25  # 12 + the dash + 12
MAX_PRICE = 1e12
MAX_TIMESTAMP_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
# Traded amount; bounded so that price * quantity (at most 1e27) and sums of it stay finite.
MAX_QUANTITY = 1e15
# How far ahead of the receiving server's clock a tick may be stamped. Consumers keep the
# newest tick per asset (notification's alerts, analytics' last price), so one tick stamped in
# 2100 would make every real tick after it `stale`. Five minutes absorbs any sane clock skew
# (hosts further apart already fail on 5-minute access tokens) and a publisher's batching; it
# is one constant, not a setting per service, because a tick trading accepts must still pass
# analytics and notification moments later, under the same bound.
MAX_FUTURE_SKEW = timedelta(minutes=5)
# The largest gRPC message of one tick: a StreamMarketDataRequest with a 25-character symbol,
# a 128-character source_id of 4-byte characters, and every number field is about 570 bytes.
# 4 KiB leaves room for new fields; anything larger is no tick (trading's outbox sends one tick
# per message, ≤ 500 messages per stream: a stream is long, never its messages).
MAX_TICK_MESSAGE_BYTES = 4096

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MILLISECOND = timedelta(milliseconds=1)


def tick_problems(
    asset_symbol: object, price: object, timestamp: object, *, symbol_field: str
) -> list[str]:
    """Every rule a tick breaks, in words a client can act on; empty when it is valid.
    `symbol_field` names the symbol as the caller's protocol does (assetSymbol, asset_symbol)."""
    if is_valid_tick(asset_symbol, price, timestamp):
        return []
    return rule_breaks(asset_symbol, price, timestamp, symbol_field=symbol_field)


def rule_breaks(
    asset_symbol: object, price: object, timestamp: object, *, symbol_field: str
) -> list[str]:
    """`tick_problems` without its fast path: every rule checked and worded (the reference the
    fast path is tested against)."""
    problems = []
    if not isinstance(asset_symbol, str) or not ASSET_SYMBOL.fullmatch(asset_symbol):
        problems.append(
            f"{symbol_field} {quoted(asset_symbol)} must be a ticker or a pair of tickers "
            f"(1-12 of A-Z 0-9, joined by a dash: BTC, ETH-USD)"
        )
    if (
        isinstance(price, bool)
        or not isinstance(price, int | float)
        # Bounds first: math.isfinite() of an int beyond a double raises OverflowError.
        or not (0 < price <= MAX_PRICE and math.isfinite(price))
    ):
        problems.append(f"price {quoted(price)} must be a finite number > 0 and <= {MAX_PRICE:.0e}")
    if (
        isinstance(timestamp, bool)
        or not isinstance(timestamp, int)
        or not 0 <= timestamp <= MAX_TIMESTAMP_MS
    ):
        problems.append(
            f"timestamp {quoted(timestamp)} must be Unix time in milliseconds "
            f"in [0, {MAX_TIMESTAMP_MS}]"
        )
    return problems


def is_valid_tick(asset_symbol: object, price: object, timestamp: object) -> bool:
    """True only for a tick `tick_problems` finds nothing wrong with: its fast path, run for
    every tick of a feed (False: ask tick_problems, which also words what is wrong). Plain
    types only; a comparison with NaN is false, and infinity is above MAX_PRICE."""
    kind = type(price)
    return (
        (kind is float or kind is int)
        and 0 < price <= MAX_PRICE  # type: ignore[operator]
        and type(timestamp) is int
        and 0 <= timestamp <= MAX_TIMESTAMP_MS
        and type(asset_symbol) is str
        and len(asset_symbol) <= LONGEST_ASSET_SYMBOL
        and _is_asset_symbol(asset_symbol)
    )


def is_valid_quantity(quantity: object) -> bool:
    """A traded amount in [0, MAX_QUANTITY] (0: a price quote, not a trade)."""
    kind = type(quantity)
    if kind is float or kind is int:  # the usual case, first; NaN fails, infinity is above
        return 0 <= quantity <= MAX_QUANTITY  # type: ignore[operator]
    return (
        isinstance(quantity, int | float)
        and not isinstance(quantity, bool)
        and 0 <= quantity <= MAX_QUANTITY  # before isfinite(), which overflows on a huge int
        and math.isfinite(quantity)
    )


@functools.lru_cache(maxsize=1024)  # a feed repeats a few symbols; entries are ≤ 25 characters
def _is_asset_symbol(text: str) -> bool:
    return ASSET_SYMBOL.fullmatch(text) is not None


class TickFromTheFuture(ValueError):
    """A valid tick stamped further ahead of the receiving server's clock than clock skew
    explains: well-formed, but it cannot be taken now (a 422 on REST, not a 400; a refused
    tick on gRPC). One class for every service that receives ticks."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("invalid market data tick: " + "; ".join(problems))


def refuse_ticks_from_the_future(timestamp: int, *, now: datetime) -> None:
    """Raise TickFromTheFuture for a tick stamped beyond MAX_FUTURE_SKEW ahead of `now`. A rule
    of receiving, not of a tick: ticks kept before it existed must still load, and each
    consumer applies it again on delivery, moments after the publisher did."""
    if problems := future_problems(timestamp, now=now):
        raise TickFromTheFuture(tuple(problems))


def future_problems(timestamp: int, *, now: datetime) -> list[str]:
    """The rule of when a tick may be stamped, checked when it is received at `now` (the
    service's injected clock, timezone-aware): at most MAX_FUTURE_SKEW ahead of it."""
    if timestamp <= _latest_acceptable_ms(now):
        return []
    now_ms = (now - _EPOCH) // _ONE_MILLISECOND
    ahead_ms = timestamp - now_ms
    return [
        f"timestamp {quoted(timestamp)} is {ahead_ms / 1000:.0f} s ahead of this server's "
        f"clock ({now_ms}); a tick may be stamped at most "
        f"{MAX_FUTURE_SKEW.total_seconds():.0f} s in the future"
    ]


@functools.lru_cache(maxsize=8)  # a batch's ticks are all received at one `now`
def _latest_acceptable_ms(now: datetime) -> int:
    return (now - _EPOCH) // _ONE_MILLISECOND + MAX_FUTURE_SKEW // _ONE_MILLISECOND
