"""A real Prometheus (Debian's) on the config `make generate` writes, pointed at a running mesh:
it finds every instance, the registry and the edge through the registry's HTTP service
discovery (over mTLS, as the operator), follows scaling with no config change, and answers a
query for the edge's request rate."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from mesh.prometheus_config import PROMETHEUS_DIR, ROOT, RULES_FILE, prometheus_config
from mesh.runner import Mesh
from tests.support.mesh import poll
from tests.support.prometheus import RunningPrometheus, running_prometheus

pytestmark = pytest.mark.e2e

DISCOVERY_WITHIN_SECONDS = 30.0
EDGE_RATE = (
    'sum(rate(envoy_http_downstream_rq_total{service="edge",'
    'envoy_http_conn_manager_prefix="edge"}[10s]))'
)

Target = tuple[str, str, str]  # service, instance, source


def expected_targets(mesh: Mesh) -> set[Target]:
    instances = {
        (name, running.id, source)
        for name, group in mesh.instances.items()
        for running in group
        for source in ("app", "envoy")
    }
    control_plane = {("registry", "registry", "app"), ("registry", "registry", "envoy")}
    return instances | control_plane | {("edge", "edge", "envoy")}


def targets_up(prometheus: RunningPrometheus) -> set[Target]:
    return {
        (t["labels"]["service"], t["labels"]["instance"], t["labels"]["source"])
        for t in prometheus.active_targets()
        if t["health"] == "up"
    }


def scalar(result: list[dict[str, Any]]) -> float | None:
    return float(result[0]["value"][1]) if result else None


def test_prometheus_finds_the_whole_mesh_through_the_registry_and_follows_scaling(
    platform_mesh: Mesh, tmp_path: Path
) -> None:
    # The generated rules too: their recording rules must name what the mesh really exports.
    rules = str(ROOT / PROMETHEUS_DIR / RULES_FILE)
    config = prometheus_config(
        platform_mesh.registry_url,
        platform_mesh.operator.directory,
        interval="1s",
        rule_files=(rules,),
    )
    with running_prometheus(config, tmp_path / "prometheus") as prometheus:
        poll(
            lambda: targets_up(prometheus) == expected_targets(platform_mesh),
            f"every target discovered and up (log: {prometheus.log})",
            DISCOVERY_WITHIN_SECONDS,
        )
        # The edge's request rate answers, from traffic through it.
        with httpx.Client(trust_env=False, timeout=10) as client:

            def edge_rate_seen() -> bool:
                read = client.get(f"{platform_mesh.edge_url}/api/nfts/user/{uuid.uuid4()}")
                assert read.status_code == 200
                return (scalar(prometheus.query(EDGE_RATE)) or 0.0) > 0

            poll(edge_rate_seen, "the edge's request rate above 0", DISCOVERY_WITHIN_SECONDS)
            for recorded in (
                "edge:envoy_http_downstream_rq:rate1m",
                'service:capsure_http_requests:rate1m{service="nft"}',
                'service:capsure_http_request_duration_seconds:p99_5m{service="nft"}',
            ):
                poll(
                    lambda recorded=recorded: (scalar(prometheus.query(recorded)) or 0.0) > 0,
                    f"{recorded} recorded",
                    DISCOVERY_WITHIN_SECONDS,
                )
        serving = 'sum(capsure_registry_instances{status="SERVING"})'
        running = sum(len(group) for group in platform_mesh.instances.values())
        assert scalar(prometheus.query(serving)) == running  # the registry's own figure

        # Scaling: a new instance is scraped with no config change, and a removed one is gone.
        added = platform_mesh.add_instance("nft")
        try:
            poll(
                lambda: (
                    {("nft", added.id, "app"), ("nft", added.id, "envoy")} <= targets_up(prometheus)
                ),
                "the added instance scraped",
                DISCOVERY_WITHIN_SECONDS,
            )
        finally:
            platform_mesh.remove_instance(added.id)
        poll(
            lambda: (
                not any(t["labels"]["instance"] == added.id for t in prometheus.active_targets())
            ),
            "the removed instance dropped",
            DISCOVERY_WITHIN_SECONDS,
        )
