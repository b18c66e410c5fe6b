"""An app's /metrics (issue 14) is its own: the edge routes no client to it, and nft's sidecar
admits no mesh caller to it, not even the edge it admits to the API and health checks."""

from __future__ import annotations

import httpx
import pytest

from mesh.runner import Mesh
from tests.support.workload_tls import workload_context

pytestmark = pytest.mark.e2e


def test_no_caller_reaches_an_apps_metrics(platform_mesh: Mesh) -> None:
    through_edge = httpx.get(f"{platform_mesh.edge_url}/metrics", trust_env=False, timeout=10)
    assert through_edge.status_code == 404
    assert "capsure_http_requests" not in through_edge.text
    (nft,) = platform_mesh.instances["nft"]
    inbound = f"https://{nft.instance.inbound_address}"
    with httpx.Client(
        verify=workload_context(platform_mesh, "edge"), trust_env=False, timeout=10
    ) as as_edge:
        assert as_edge.get(f"{inbound}/healthz").status_code == 200  # the edge is admitted
        refused = as_edge.get(f"{inbound}/metrics")
        assert refused.status_code == 403
        assert "capsure_http_requests" not in refused.text
