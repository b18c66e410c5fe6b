"""Chaos: PostgreSQL restarts while the nft service takes writes.

What must hold: while its database is down the service says so (/healthz 503, writes answered
with a problem+json 503 at once, never a hang); when the database is back it recovers by itself
(same process, no restart); no acknowledged write is lost and no Idempotency-Key mints twice.

The database is a private cluster (tests/support/private_postgres.py) on a free loopback port,
so crashing it disturbs nobody. nft runs by itself on it: it trusts the test signing key, and
the events its outbox would deliver to notification wait in the outbox (a mint needs nothing
else). A client thread mints NFTs one Idempotency-Key after the other and retries a key until
it is acknowledged, as a careful client would; the test moves from phase to phase on counts
and bounded polls, never on sleeps.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mesh.ports import free_port
from mesh.processes import AppProcess, app_environment, start_app
from mesh.topology import HOST, Instance, InstancePorts, load_topology
from tests.support.mesh import poll
from tests.support.private_postgres import private_postgres
from tests.support.tokens import bearer, jwks_url

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(120)]

WRITES_BEFORE = 25  # acknowledged before the crash
FAILURES_DURING = 5  # refused writes seen while the database is down
WRITES_AFTER = 25  # acknowledged after the restart
CLIENT_TIMEOUT_SECONDS = 5.0  # an answer slower than this counts as a hang
# A client backs off between tries of a key; shorter than the 1 s Retry-After the service
# suggests, to keep the test quick: only the pace of retries depends on it.
RETRY_BACKOFF_SECONDS = 0.05
WRITER_DEADLINE_SECONDS = 60.0  # the writer gives up (and the test fails) after this long
STOP_GRACE_SECONDS = 5.0  # once told to stop, how long it still tries its current key
UNHEALTHY_WITHIN_SECONDS = 5.0
RECOVERED_WITHIN_SECONDS = 15.0
OUTAGE_PROBLEM = (503, "application/problem+json", "1")  # status, content type, Retry-After

Figure = Callable[[str, str], None]


@dataclass(frozen=True)
class Attempt:
    """One try of one key, as the client saw it."""

    key: str
    started: float  # time.monotonic()
    finished: float
    status: int | None  # None: no HTTP answer (error says why)
    content_type: str = ""
    retry_after: str | None = None
    nft_id: str | None = None
    replayed: bool = False  # answered from the key's stored response
    error: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def problem(self) -> tuple[int | None, str, str | None]:
        return self.status, self.content_type, self.retry_after


@dataclass
class KeyedWriter:
    """Mints NFTs named after their Idempotency-Key, one key at a time, each until acknowledged."""

    url: str
    headers: dict[str, str]
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> NFT id
    gave_up: str | None = None  # the key it could not get acknowledged in time
    _stop_by: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        """Write no new key; the current one has STOP_GRACE_SECONDS more to be acknowledged."""
        self._stop_by = time.monotonic() + STOP_GRACE_SECONDS

    def run(self) -> None:
        deadline = time.monotonic() + WRITER_DEADLINE_SECONDS
        with httpx.Client(timeout=CLIENT_TIMEOUT_SECONDS, trust_env=False) as client:
            for n in itertools.count():
                if self._stop_by is not None:
                    return
                key = f"chaos-{n:04d}"
                while not self._send(client, key).acknowledged:
                    if time.monotonic() > min(deadline, self._stop_by or deadline):
                        self.gave_up = key
                        return
                    time.sleep(RETRY_BACKOFF_SECONDS)  # the client's back-off, not a wait for state

    def _send(self, client: httpx.Client, key: str) -> Attempt:
        started = time.monotonic()
        try:
            response = client.post(
                self.url,
                json={"name": key},
                headers={**self.headers, "Idempotency-Key": key},
            )
        except httpx.HTTPError as error:
            attempt = Attempt(key, started, time.monotonic(), None, error=repr(error))
        else:
            attempt = Attempt(
                key,
                started,
                time.monotonic(),
                response.status_code,
                response.headers.get("content-type", ""),
                response.headers.get("retry-after"),
                response.json()["id"] if response.is_success else None,
                response.headers.get("idempotent-replayed") == "true",
            )
        with self._lock:
            self.attempts.append(attempt)
            if attempt.acknowledged and attempt.nft_id:
                self.acknowledged.setdefault(key, attempt.nft_id)
        return attempt

    def count(self, which: Callable[[Attempt], bool]) -> int:
        with self._lock:
            return sum(1 for a in self.attempts if which(a))

    def snapshot(self) -> list[Attempt]:
        with self._lock:
            return list(self.attempts)


@contextmanager
def running_alone(workdir: Path, name: str, env: Mapping[str, str]) -> Iterator[AppProcess]:
    """One service's app by itself, ready; stopped on the way out. The peers it would call point
    at a port where nothing listens: nft's outbox keeps its events and retries them later,
    which is all a mint needs (the platform's own tests start the rest)."""
    spec = load_topology().services[name]
    instance = Instance(spec, f"{name}-1", InstancePorts.allocate(spec, free_port))
    nowhere = f"{HOST}:{free_port()}"
    peers = {peer: nowhere for peer in spec.egress}
    app = start_app(instance, app_environment(instance, workdir / "data", peers, env), workdir)
    try:
        app.wait_ready()
        yield app
    finally:
        app.stop()


def health(url: str) -> int | None:
    try:
        return httpx.get(f"{url}/healthz", timeout=1.0, trust_env=False).status_code
    except httpx.HTTPError:
        return None


class Timeline:
    """Prints what happened when, in seconds since the test began."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def mark(self, what: str) -> float:
        now = time.monotonic()
        print(f"[{now - self.began:5.1f}s] {what}", flush=True)
        return now


def test_nft_survives_a_postgres_restart_during_writes(tmp_path: Path, figure: Figure) -> None:
    owner = uuid.uuid4()
    timeline = Timeline()
    with (
        private_postgres() as database,
        running_alone(
            tmp_path,
            "nft",
            {
                "NFT_DATABASE_URL": f"{database.url}/capsure_chaos_nft",
                "CAPSURE_JWKS_URL": jwks_url(),  # trusts the test key without a user service
                "NFT_DRAIN_SECONDS": "0",  # nothing routes to it through a mesh: no drain pause
            },
        ) as nft,
    ):
        pid = nft.pid
        timeline.mark(f"started: private PostgreSQL on 127.0.0.1:{database.port}, nft on it")
        writer = KeyedWriter(f"{nft.url}/api/nfts", bearer(owner))
        thread = threading.Thread(target=writer.run, name="keyed-writer", daemon=True)
        thread.start()
        try:
            poll(lambda: len(writer.acknowledged) >= WRITES_BEFORE, "writing", within=20)

            # --- inject: crash the database mid-stream ----------------------------------------
            acked_at_crash = len(writer.acknowledged)
            database.stop("immediate")
            down = timeline.mark(
                f"injected: pg_ctl stop -m immediate after {acked_at_crash} acknowledged writes"
            )
            unhealthy_after = poll(
                lambda: health(nft.url) == 503, "unhealthy", within=UNHEALTHY_WITHIN_SECONDS
            )
            poll(
                lambda: writer.count(lambda a: a.started >= down) >= FAILURES_DURING,
                "refusing writes",
                within=10,
            )
            assert health(nft.url) == 503, "unhealthy for as long as the database is down"

            # --- heal: the same cluster on the same port ----------------------------------------
            restarting = timeline.mark(
                f"counted: /healthz 503 {unhealthy_after:.2f}s after the crash, "
                f"{FAILURES_DURING}+ writes tried meanwhile"
            )
            database.start()
            timeline.mark("injected: pg_ctl start, same data directory and port")
            ready_after = poll(
                lambda: health(nft.url) == 200, "ready again", within=RECOVERED_WITHIN_SECONDS
            )
            acked_at_restart = len(writer.acknowledged)
            writing_after = poll(
                lambda: len(writer.acknowledged) >= acked_at_restart + WRITES_AFTER,
                "writing again",
                within=RECOVERED_WITHIN_SECONDS,
            )
            timeline.mark(
                f"counted: /healthz 200 {ready_after:.2f}s after the start, "
                f"{WRITES_AFTER} more writes acknowledged after {writing_after:.2f}s"
            )
        finally:
            writer.stop()
            thread.join(STOP_GRACE_SECONDS + CLIENT_TIMEOUT_SECONDS + 1)
        assert not thread.is_alive(), "the writer did not finish"
        assert writer.gave_up is None, f"{writer.gave_up} never acknowledged"
        assert nft.running and nft.pid == pid, "nft was restarted; it must recover on its own"

        attempts = writer.snapshot()
        report(attempts, down, restarting, figure)
        outage = [a for a in attempts if a.started >= down and a.finished <= restarting]
        failed = [a for a in attempts if not a.acknowledged]
        # No hang: every try got an HTTP answer within the client's timeout.
        assert [a for a in attempts if a.status is None] == []
        # While the database is down every write is refused as a retryable problem.
        assert len(outage) >= FAILURES_DURING - 1  # the first may have started before `down`
        assert {a.problem for a in outage} == {OUTAGE_PROBLEM}
        # Around the crash an in-flight write may fail too, but only as an outage, never a 500.
        assert {a.problem for a in failed} == {OUTAGE_PROBLEM}, Counter(a.problem for a in failed)
        assert_every_acknowledged_write_kept_once(nft.url, owner, writer)
        timeline.mark("checked: every acknowledged write is there, once, and replays")

        figure("PostgreSQL restart: /healthz 503 after the crash", f"{unhealthy_after:.2f} s")
        figure("PostgreSQL restart: /healthz 200 after the start", f"{ready_after:.2f} s")
        figure(
            f"PostgreSQL restart: {WRITES_AFTER} writes acknowledged after the start",
            f"{writing_after:.2f} s",
        )


def report(attempts: list[Attempt], down: float, restarting: float, figure: Figure) -> None:
    acked = {a.key for a in attempts if a.acknowledged}
    failed = [a for a in attempts if not a.acknowledged]
    during = [a for a in failed if a.started >= down and a.finished <= restarting]
    statuses = dict(Counter(a.status for a in failed))
    slowest = max((a.finished - a.started for a in failed), default=0.0)
    # Keys whose write committed although the client saw it fail: only the key saved them.
    replayed = {a.key for a in attempts if a.acknowledged and a.replayed}
    print(
        f"counted: {len(attempts)} writes sent, {len(acked)} keys acknowledged, "
        f"{len(failed)} failed ({len(during)} while the database was down; statuses {statuses}, "
        f"slowest {slowest:.3f}s), {len(replayed)} acknowledged by a replay of their key"
    )
    figure("PostgreSQL restart: writes sent / keys acknowledged", f"{len(attempts)} / {len(acked)}")
    figure("PostgreSQL restart: writes refused (statuses)", f"{len(failed)} {statuses}")


def assert_every_acknowledged_write_kept_once(
    url: str, owner: uuid.UUID, writer: KeyedWriter
) -> None:
    """Every acknowledged key has its NFT, exactly one, and replays it (same id)."""
    acknowledged = dict(writer.acknowledged)
    ids_per_key: dict[str, set[str]] = {}
    for attempt in writer.snapshot():
        if attempt.acknowledged and attempt.nft_id:
            ids_per_key.setdefault(attempt.key, set()).add(attempt.nft_id)
    assert {k: ids for k, ids in ids_per_key.items() if len(ids) != 1} == {}

    headers = bearer(owner)
    with httpx.Client(timeout=CLIENT_TIMEOUT_SECONDS, trust_env=False) as client:
        for key, nft_id in acknowledged.items():
            got = client.get(f"{url}/api/nfts/{nft_id}")
            assert got.status_code == 200 and got.json()["name"] == key, (key, got.text)
            again = client.post(
                f"{url}/api/nfts", json={"name": key}, headers={**headers, "Idempotency-Key": key}
            )
            assert again.status_code == 201, again.text
            assert again.json()["id"] == nft_id
            assert again.headers.get("Idempotent-Replayed") == "true"
        names: list[str] = []
        for offset in itertools.count(0, 100):
            page = client.get(
                f"{url}/api/nfts/user/{owner}", params={"limit": 100, "offset": offset}
            )
            assert page.status_code == 200, page.text
            names += [n["name"] for n in page.json()]
            if len(page.json()) < 100:
                break
    # One NFT per key: none lost, none minted twice (a key retried after a failed answer).
    duplicates = {name: n for name, n in Counter(names).items() if n > 1}
    assert duplicates == {}
    assert set(names) == set(acknowledged)
    print(
        f"counted: {len(acknowledged)} acknowledged NFTs all present and replayed, "
        f"{len(names)} owned, 0 duplicates"
    )
