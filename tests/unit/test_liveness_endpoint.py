"""/livez answers as long as the app's event loop runs, whatever its readiness: the launcher's
supervisor kills and restarts an app only when this goes silent. And the signals that switch
maintenance on and off."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from services.common.maintenance import MaintenanceSwitch
from tests.support.asgi import asgi_client
from tests.unit.nft_fakes import InMemoryUserDirectory, nft_app

pytestmark = pytest.mark.unit

SIGNAL_WITHIN_SECONDS = 2.0


async def test_an_app_in_maintenance_is_not_ready_but_alive() -> None:
    app = nft_app(InMemoryUserDirectory())
    async with asgi_client(app) as client:
        assert (await client.get("/livez")).json() == {"status": "alive"}
        assert (await client.get("/healthz")).status_code == 200
        app.maintenance.set(True)  # what SIGUSR1 does: readiness fails on purpose
        assert (await client.get("/healthz")).status_code == 503
        assert (await client.get("/livez")).status_code == 200
        app.maintenance.set(False)  # SIGUSR2
        assert (await client.get("/healthz")).status_code == 200


async def until(condition, what: str) -> None:
    """The loop reads a signal when it next polls for I/O: a bounded wait that lets it poll."""
    deadline = asyncio.get_running_loop().time() + SIGNAL_WITHIN_SECONDS
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} not within {SIGNAL_WITHIN_SECONDS}s")
        await asyncio.sleep(0.01)


async def test_sigusr1_and_sigusr2_switch_maintenance_while_listening() -> None:
    switch = MaintenanceSwitch()
    async with switch.listening():
        # Without the handler SIGUSR1's default action would kill this pytest worker.
        handler = signal.getsignal(signal.SIGUSR1)
        assert handler not in (signal.SIG_DFL, signal.SIG_IGN, None), "no handler installed"
        os.kill(os.getpid(), signal.SIGUSR1)
        await until(lambda: switch.active, "maintenance on")
        os.kill(os.getpid(), signal.SIGUSR2)
        await until(lambda: not switch.active, "maintenance off")
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL  # handlers removed after
