"""Every benchmark, one after the other (each starts and stops its own mesh), into one report:
printed, and written to bench/results/latest.md."""

from __future__ import annotations

import sys
import time

from bench import (
    cold_start,
    connexion_overhead,
    cpu_per_request,
    failover,
    grpc_calls,
    grpc_stream,
    latency,
    login_timing,
    memory,
    mtls_hop,
    observability_cost,
    read_models,
    register,
    registry_push,
    rest_throughput,
    sidecar_hop,
    tuning,
)
from bench.common import WRK_INSTALL, facts_markdown, run_measurement, write_report, wrk_path

MEASUREMENTS = [
    latency,
    mtls_hop,
    sidecar_hop,
    rest_throughput,
    read_models,
    cpu_per_request,
    observability_cost,
    register,
    registry_push,
    failover,
    memory,
    grpc_calls,
    grpc_stream,
    login_timing,
    tuning,
    connexion_overhead,
    cold_start,  # last: the longest, and the only one on mesh.yaml's fixed ports
]


def main() -> int:
    if wrk_path() is None:
        print(
            f"wrk is not installed ({WRK_INSTALL}); the latency figures fall back to "
            "Python clients",
            file=sys.stderr,
        )
    facts = facts_markdown()  # before any mesh starts: the load average is the machine's own
    started = time.monotonic()
    sections = [run_measurement(module) for module in MEASUREMENTS]
    took = f"\nWhole suite: {time.monotonic() - started:.0f} s (`python -m bench`).\n"
    write_report("latest", facts, [*sections, took])
    return 0


if __name__ == "__main__":
    sys.exit(main())
