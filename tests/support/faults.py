"""Faults injected live through an Envoy's admin runtime, for chaos tests.

- `runtime_modify(envoy, values)`: POST /runtime_modify (an empty value removes an override).
- `overridden(envoys, values)`: the overrides on every one of `envoys` for the `with` body,
  removed on the way out (also on failure), so a failing test leaves no fault behind.
- `aborts(percent)`, `delays(percent, seconds)`: the fault filter's runtime keys
  (`mesh.envoy.faults`) for a sidecar's inbound.
- `circuit_limit(cluster, setting, value)`: a circuit-breaker override (Envoy's runtime keys
  `circuit_breakers.<cluster>.default.<setting>`).
- `FaultCounts`: what a sidecar's fault filter counted (`http.inbound.fault.*`).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from mesh.envoy.faults import ABORT_PERCENT, ABORT_STATUS, DELAY_MS, DELAY_PERCENT
from mesh.processes import EnvoyProcess
from tests.support.mesh import stats

ADMIN_TIMEOUT_SECONDS = 2.0
FAULT_STATS = r"^http\.inbound\.fault\."

RuntimeValues = Mapping[str, int | str]


def runtime_modify(envoy: EnvoyProcess, values: RuntimeValues) -> None:
    """Set (or with "" remove) admin-layer runtime values; Envoy applies them to new requests."""
    query = urllib.parse.urlencode({key: str(value) for key, value in values.items()})
    request = urllib.request.Request(f"{envoy.admin_url}/runtime_modify?{query}", method="POST")
    with urllib.request.urlopen(request, timeout=ADMIN_TIMEOUT_SECONDS) as response:
        body = response.read().decode()
    assert response.status == 200 and body.strip() == "OK", body


def runtime(envoy: EnvoyProcess, key: str) -> str | None:
    """The value Envoy currently uses for `key` (after every layer), or None when unset."""
    entries = json.loads(envoy.admin("/runtime"))["entries"]
    return entries.get(key, {}).get("final_value")


@contextmanager
def overridden(envoys: Iterable[EnvoyProcess], values: RuntimeValues) -> Iterator[None]:
    """`values` on every Envoy for the body; then removed, back to the config's defaults."""
    chosen = list(envoys)
    try:
        for envoy in chosen:
            runtime_modify(envoy, values)
        yield
    finally:
        for envoy in chosen:
            runtime_modify(envoy, dict.fromkeys(values, ""))


def aborts(percent: int, status: int = 503) -> dict[str, int]:
    return {ABORT_PERCENT: percent, ABORT_STATUS: status}


def delays(percent: int, seconds: float) -> dict[str, int]:
    return {DELAY_PERCENT: percent, DELAY_MS: round(seconds * 1000)}


def circuit_limit(cluster: str, setting: str, value: int) -> dict[str, int]:
    """e.g. circuit_limit("nft", "max_requests", 4): at most 4 requests in flight to `nft`."""
    return {f"circuit_breakers.{cluster}.default.{setting}": value}


@dataclass(frozen=True)
class FaultCounts:
    """The fault filter's counters of one or more sidecars' inbound."""

    aborts: int
    delays: int

    @classmethod
    def of(cls, envoys: Iterable[EnvoyProcess]) -> FaultCounts:
        totals = [stats(envoy, FAULT_STATS) for envoy in envoys]
        return cls(
            aborts=sum(t.get("http.inbound.fault.aborts_injected", 0) for t in totals),
            delays=sum(t.get("http.inbound.fault.delays_injected", 0) for t in totals),
        )

    def __sub__(self, before: FaultCounts) -> FaultCounts:
        return FaultCounts(self.aborts - before.aborts, self.delays - before.delays)
