"""Logs of a running mesh (issue 14): every line every app and Envoy writes is a JSON object,
and one request through the edge is found in the edge's and the serving sidecar's access logs
under one request id; `mesh.ctl logs` prints one service's files, merged."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from mesh import ctl
from mesh.logs import last_lines, service_logs
from mesh.runner import Mesh
from tests.support.mesh import poll

pytestmark = pytest.mark.e2e

# Envoy writes access lines to its stdout in batches (about once a second).
WRITTEN_WITHIN_SECONDS = 10.0


def json_lines(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"{path.name}, line {number}, is not JSON: {line[:300]!r}")
    return records


def access_lines(path: Path, request_path: str) -> list[dict[str, Any]]:
    return [
        line
        for line in json_lines(path)
        if line.get("logger") == "access" and line.get("path") == request_path
    ]


def test_one_request_has_one_id_in_every_envoys_access_log(platform_mesh: Mesh) -> None:
    request_path = f"/api/nfts/user/{uuid.uuid4()}"
    client_id = str(uuid.uuid4())
    answer = httpx.get(
        platform_mesh.edge_url + request_path,
        headers={"x-request-id": client_id},  # a client's id is not the mesh's
        trust_env=False,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    logs = platform_mesh.workdir / "log"
    (nft,) = platform_mesh.instances["nft"]
    edge_log, sidecar_log = logs / "edge.log", logs / f"{nft.instance.id}-sidecar.log"
    poll(
        lambda: access_lines(edge_log, request_path) and access_lines(sidecar_log, request_path),
        "the request in the edge's and nft's sidecar's access logs",
        WRITTEN_WITHIN_SECONDS,
    )
    (at_edge,) = access_lines(edge_log, request_path)
    (at_sidecar,) = access_lines(sidecar_log, request_path)
    assert at_edge["request_id"] == at_sidecar["request_id"] != client_id
    assert uuid.UUID(at_edge["request_id"])
    assert (at_edge["listener"], at_edge["method"], at_edge["status"]) == ("edge", "GET", 200)
    assert (at_sidecar["listener"], at_sidecar["status"]) == ("inbound", 200)
    assert isinstance(at_edge["duration_ms"], int) and at_edge["upstream"]


def test_every_line_of_every_app_and_envoy_is_json(platform_mesh: Mesh) -> None:
    logs = sorted((platform_mesh.workdir / "log").glob("*.log"))
    assert {p.name for p in logs} >= {"edge.log", "registry.log", "nft-1.log", "nft-1-sidecar.log"}
    for path in logs:
        for record in json_lines(path):  # fails on a line that is not JSON, naming it
            assert isinstance(record.get("time"), str) and record.get("level"), (path, record)
    apps = [json_lines(path) for path in logs if not path.stem.endswith("sidecar")]
    app_records = [r for records in apps for r in records if "service" in r]
    assert {"nft", "user", "registry"} <= {r["service"] for r in app_records}


def test_the_logs_command_merges_one_services_files(
    platform_mesh: Mesh, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = platform_mesh.workdir / "log"
    files = service_logs(logs, "nft")
    assert [p.name for p in files] == ["nft-1-sidecar.log", "nft-1.log"]
    merged = last_lines({p: p.stat().st_size for p in files}, 50)
    assert {name for name, _ in merged} == {"nft-1", "nft-1-sidecar"}
    times = [json.loads(line)["time"] for _, line in merged]
    assert times == sorted(times)
    with pytest.raises(SystemExit, match="no log of 'nope'"):
        ctl.main(["--workdir", str(platform_mesh.workdir), "logs", "nope"])
