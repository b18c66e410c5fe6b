"""Chaos: a slow consumer of market data. Analytics stalls (its app is SIGSTOPped: sockets open,
nothing read) while ticks pour into trading through the edge. Trading must keep answering 201
(the outbox table absorbs the backlog), its memory must stay bounded (the relay holds one batch
of at most 500 ticks on one stream at a time, never the backlog), and once analytics moves
again every tick must arrive exactly once."""

from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from mesh.runner import Mesh, RunningInstance
from services.common.outbox_orm import TABLE as OUTBOX_TABLE
from services.trading.service_layer.topics import ANALYTICS_TOPIC
from tests.support.mesh import poll, running_mesh, stat
from tests.support.stalls import Sampler, paused, rss_kib
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e

SERVICES = ("nft", "user", "analytics", "trading", "notification")
TICKS = 1_000
WARM_UP_TICKS = 100  # first requests load code and fill caches: not what is measured
SUBMITTERS = 8  # concurrent clients of the edge
RSS_GROWTH_LIMIT_MIB = 50  # generous: 1,000 ticks held in memory would not reach it either,
# but a relay that read the backlog into memory, or kept streams piling up, grows with load.
DELIVERY_WITHIN_SECONDS = 30.0
PUBLISHER = bearer(uuid.uuid4(), roles=["Developer"])  # publishing prices needs Developer
ACTIVE_STREAMS = "cluster.analytics_grpc.upstream_rq_active"  # trading sidecar → analytics
STREAMS = "cluster.analytics_grpc.upstream_rq_total"
SETTINGS = {
    # Retries stay frequent while analytics stalls, so delivery resumes soon after it moves.
    "TRADING_OUTBOX_MAX_BACKOFF_SECONDS": "1",
}
# A stalled instance stops heartbeating; with the default 5 s TTL the registry would drop it
# and trading's sidecar would fail fast (no host) instead of holding a stream open. A slow
# consumer is still there: keep it registered for the length of the test.
REGISTRY = {"REGISTRY_INSTANCE_TTL_SECONDS": "60"}


def only(mesh: Mesh, service: str) -> RunningInstance:
    (running,) = mesh.instances[service]
    return running


def submit_all(edge_url: str, symbol: str, count: int) -> Counter[int | str]:
    """POST `count` ticks of `symbol` through the edge from SUBMITTERS clients: status -> n."""

    def send_share(worker: int) -> Counter[int | str]:
        outcomes: Counter[int | str] = Counter()
        with httpx.Client(base_url=edge_url, trust_env=False, timeout=10) as client:
            for n in range(worker, count, SUBMITTERS):
                tick = {"assetSymbol": symbol, "price": 100.0 + n % 50, "timestamp": 1_000 + n}
                try:
                    response = client.post("/api/trading/market-data", json=tick, headers=PUBLISHER)
                    outcomes[response.status_code] += 1
                except httpx.HTTPError as error:
                    outcomes[type(error).__name__] += 1
        return outcomes

    with ThreadPoolExecutor(SUBMITTERS) as pool:
        return sum(pool.map(send_share, range(SUBMITTERS)), Counter())


def analytics_count(edge_url: str, symbol: str) -> int:
    reply = httpx.get(f"{edge_url}/api/analytics/assets/{symbol}/stats", trust_env=False, timeout=5)
    return reply.json()["count"] if reply.status_code == 200 else 0


def outbox(trading_db: Path) -> tuple[int, int]:
    """(pending, parked) analytics messages in trading's outbox table, read-only."""
    uri = f"{trading_db.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        query = f"SELECT parked_at IS NULL, COUNT(*) FROM {OUTBOX_TABLE} WHERE topic = ? GROUP BY 1"
        rows = dict(db.execute(query, (ANALYTICS_TOPIC,)).fetchall())
    return rows.get(1, 0), rows.get(0, 0)


def mib(kib: int) -> float:
    return kib / 1024


def test_a_slow_consumer_of_market_data_backpressure_holds_memory_bounded_nothing_dropped(
    tmp_path: Path, figure
):
    instances = dict.fromkeys(SERVICES, 1)
    with running_mesh(tmp_path, instances=instances, app_env=SETTINGS, registry_env=REGISTRY) as m:
        trading, analytics = only(m, "trading"), only(m, "analytics")
        trading_db = tmp_path / "data" / "trading.sqlite3"
        warm, symbol = "WARM-USD", f"SLOW-{uuid.uuid4().hex[:6].upper()}"

        assert submit_all(m.edge_url, warm, WARM_UP_TICKS) == {201: WARM_UP_TICKS}
        poll(lambda: analytics_count(m.edge_url, warm) == WARM_UP_TICKS, "warmed up", 20)
        poll(lambda: outbox(trading_db)[0] == 0, "warm-up delivered", 10)

        rss = Sampler(lambda: rss_kib(trading.app.pid), interval=0.1)
        streams = Sampler(lambda: stat(trading.sidecar, ACTIVE_STREAMS), interval=0.05)
        streams_before = stat(trading.sidecar, STREAMS)
        with rss, streams:
            with paused(analytics.app) as stall:
                outcomes = submit_all(m.edge_url, symbol, TICKS)
                backlog = outbox(trading_db)[0]
                stalled_health = trading.app.status_of("/healthz", timeout=5)
                rss_stalled = rss.peak
            delivered_in = poll(
                lambda: analytics_count(m.edge_url, symbol) == TICKS,
                "every tick delivered after analytics resumed",
                DELIVERY_WITHIN_SECONDS,
            )
            poll(lambda: outbox(trading_db)[0] == 0, "the outbox drained", 10)
        counted, parked = analytics_count(m.edge_url, symbol), outbox(trading_db)[1]
        streams_sent = stat(trading.sidecar, STREAMS) - streams_before

    baseline, peak, after = rss.values[0], rss.peak, rss.values[-1]
    print(
        f"injected: analytics app SIGSTOPped {stall.seconds:.1f} s while {TICKS} ticks were "
        f"submitted through the edge ({SUBMITTERS} clients): {dict(outcomes)}; outbox backlog "
        f"at the end of the stall {backlog}; trading /healthz {stalled_health}\n"
        f"counted: delivered {counted} of {TICKS} ticks {delivered_in:.1f} s after SIGCONT, "
        f"parked {parked}; trading→analytics streams {streams_sent} (timed out while stalled, "
        f"retried, then one per batch of ≤ 500), in flight at once max {streams.peak} "
        f"({len(streams.values)} samples)\n"
        f"trading RSS MiB: before {mib(baseline):.1f}, end of stall {mib(rss_stalled):.1f}, "
        f"peak {mib(peak):.1f}, after {mib(after):.1f} ({len(rss.values)} samples)"
    )
    figure(
        f"trading RSS growth, {TICKS} ticks into a stalled consumer",
        f"{mib(peak - baseline):.1f} MiB",
    )
    figure("delivery after the stall", f"{delivered_in:.1f} s")
    assert outcomes == {201: TICKS}  # the outbox absorbed every tick while analytics stalled
    assert stalled_health == 200
    assert backlog == TICKS  # all held in the table: none delivered, none lost
    assert streams.peak <= 1  # one stream at a time: a retry replaces a timed-out one
    assert mib(peak - baseline) < RSS_GROWTH_LIMIT_MIB
    assert (counted, parked) == (TICKS, 0)  # exactly once (analytics dedupes by source id)
