"""A real Prometheus (Debian's package) for tests: started on a free loopback port with a
config the test gives, queried over its HTTP API, stopped on the way out."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from mesh.ports import free_port
from mesh.processes import end_process
from mesh.topology import HOST
from tests.support.mesh import poll
from tests.support.required_tools import required_tool

READY_WITHIN_SECONDS = 30.0


@dataclass(frozen=True)
class RunningPrometheus:
    url: str
    log: Path

    def api(self, path: str, **params: str) -> Any:
        """The `data` of a successful API answer."""
        answer = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10, trust_env=False)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]

    def active_targets(self) -> list[dict[str, Any]]:
        return list(self.api("targets", state="active")["activeTargets"])

    def query(self, expression: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=expression)["result"])


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def running_prometheus(config: dict[str, Any], workdir: Path) -> Iterator[RunningPrometheus]:
    """Prometheus on `config` (its relative paths are relative to `workdir`)."""
    binary = required_tool("prometheus", "prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    url = f"http://{HOST}:{free_port()}"
    log = workdir / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address={url.removeprefix('http://')}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        poll(
            lambda: process.poll() is not None or _ready(url),
            "Prometheus ready",
            READY_WITHIN_SECONDS,
        )
        if process.poll() is not None:
            raise AssertionError(f"Prometheus exited: {log.read_text()[-2000:]}")
        yield RunningPrometheus(url, log)
    finally:
        end_process(process, 10)
