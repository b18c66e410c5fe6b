"""An open-loop HTTP load: GET requests scheduled at a fixed rate whatever the answers do.

A closed loop (wrk, `ClosedLoop`) sends the next request only after the last answer, so a slow
server is asked less often and its stalls hide from the percentiles ("coordinated omission").
Here request n is due at start + n / rate; its latency runs from that due time, not from when a
connection was free to send it, so a stall counts for every request that should have gone out
meanwhile. Requests share a bounded pool of keep-alive HTTP/1.1 connections (raw asyncio
streams: the client's own cost stays well under a millisecond a request)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.common import percentile

CONNECTIONS = 16  # the pool's bound; a due request waits for a free one (and that counts)
TIMEOUT_SECONDS = 5.0  # from the due time: later is an error, like wrk's --timeout 5s


@dataclass
class OpenLoopResult:
    rate: float  # scheduled req/s
    seconds: float  # the measured schedule's length
    latencies_ms: list[float]  # of the answers < 400, from their due time, ascending
    errors: int  # statuses >= 400, socket errors, timeouts
    took: float  # from the first due time to the last answer

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def achieved_rps(self) -> float:
        """Answers (< 400) a second: below `rate` when the server cannot keep up."""
        return len(self.latencies_ms) / self.took if self.took else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    @classmethod
    def pooled(cls, runs: list[OpenLoopResult]) -> OpenLoopResult:
        """Rounds of one path as one: percentiles over all their requests (more for p99)."""
        return cls(
            runs[0].rate,
            sum(r.seconds for r in runs),
            sorted(x for r in runs for x in r.latencies_ms),
            sum(r.errors for r in runs),
            sum(r.took for r in runs),
        )


@dataclass
class _Pool:
    """Keep-alive connections to one host, opened when needed, at most `size` at a time."""

    host: str
    port: int
    size: int
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.size)

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        await self.slots.acquire()
        if self.idle:
            return self.idle.pop()
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.slots.release()
            raise

    def give_back(
        self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], reusable: bool
    ) -> None:
        if reusable:
            self.idle.append(connection)
        else:
            connection[1].close()
        self.slots.release()

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Status and whether the connection stays open; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # the last chunk's CRLF (no trailers expected)
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    closes = headers.get("connection", "").lower() == "close"
    return status, lines[0].startswith("HTTP/1.1") and not closes  # HTTP/1.0: one request


async def _one(pool: _Pool, request: bytes, due: float) -> float | None:
    """Latency in seconds from `due` to the whole answer; None for an error or a timeout."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(due + TIMEOUT_SECONDS):
            connection = await pool.take()
            reusable = False
            try:
                connection[1].write(request)
                status, reusable = await _read_response(connection[0])
            finally:
                pool.give_back(connection, reusable)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
        return None
    return loop.time() - due if status < 400 else None


async def _run(
    url: str, rate: float, seconds: float, warm_up: float, connections: int
) -> OpenLoopResult:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: bench-open-loop\r\n\r\n"
    ).encode()
    pool = _Pool(parts.hostname or "127.0.0.1", parts.port or 80, connections)
    loop = asyncio.get_running_loop()
    warm, total = round(warm_up * rate), round((warm_up + seconds) * rate)
    start = loop.time() + 0.01
    tasks: list[asyncio.Task[float | None]] = []
    try:
        for n in range(total):
            due = start + n / rate
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            # Sent at its due time even when earlier answers are still outstanding.
            tasks.append(asyncio.create_task(_one(pool, request, due)))
        results = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        pool.close()
    measured = results[warm:]  # the warm-up opens the connections; its requests are dropped
    first_due = start + warm / rate
    return OpenLoopResult(
        rate,
        seconds,
        sorted(x * 1e3 for x in measured if x is not None),
        sum(x is None for x in measured),
        loop.time() - first_due,
    )


def open_loop(
    url: str,
    rate: float,
    seconds: float,
    warm_up: float = 0.5,
    connections: int = CONNECTIONS,
) -> OpenLoopResult:
    """GET `url` `rate` times a second for `warm_up` + `seconds`; figures of the last `seconds`
    (the achieved rate counts until the last of them has answered)."""
    return asyncio.run(_run(url, rate, seconds, warm_up, connections))
