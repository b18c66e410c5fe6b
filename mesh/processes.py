"""Start, wait for and stop service processes. Used by `make run` and by the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from mesh.topology import ServiceSpec, Topology

READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.05


class ProcessFailed(RuntimeError):
    """A service process exited or did not become ready in time."""


@dataclass
class ServiceProcess:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.spec.address('http')}"

    def health_status(self) -> int | None:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Poll /healthz until 200; fail fast if the process exits. Bounded by `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProcessFailed(f"{self.spec.name} exited: {self.log_tail()}")
            if self.health_status() == 200:
                return
            time.sleep(POLL_INTERVAL_SECONDS)
        raise ProcessFailed(f"{self.spec.name} not ready in {timeout}s: {self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM (graceful: the service closes its resources), SIGKILL after `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_service(
    topology: Topology,
    name: str,
    data_dir: Path,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> ServiceProcess:
    spec = topology.services[name]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        **topology.environment(name, data_dir),
        **(extra_env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", spec.module],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return ServiceProcess(spec=spec, process=process, log_path=log_path, extra=extra_env or {})


def start_all(
    topology: Topology,
    data_dir: Path,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> list[ServiceProcess]:
    """Start every service in dependency order, each ready before the next; all or nothing."""
    started: list[ServiceProcess] = []
    try:
        for spec in topology.start_order():
            service = start_service(topology, spec.name, data_dir, log_dir, extra_env)
            started.append(service)
            service.wait_ready()
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(services: list[ServiceProcess]) -> None:
    for service in reversed(services):
        service.stop()
