"""schemathesis on every operation of every REST API, against the real service processes.

All checks (ignored_auth among them: every protected operation is also sent without its
token and must answer 401), every phase (examples, coverage, fuzzing, stateful links),
authenticated as the development administrator (so admin-only operations reach their 2xx
paths too), and --continue-on-failure so every failure is reported, not just the first.
Responses are also validated by the services themselves (<SVC>_VALIDATE_RESPONSES=true).

The APIs are fuzzed by two test files (`SHARES`), so pytest-xdist's two workers (one file
each, `--dist loadfile`) share the suite's longest tests; each file starts its own platform.
A third, test_schemathesis_edge.py, fuzzes the public operations from outside, through a whole
mesh's edge (tests/support/edge_fuzzing.py), with fewer examples; it is a file of its own too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from mesh.direct import NO_SIDECARS
from mesh.ports import free_port
from mesh.processes import start_registry
from mesh.topology import load_topology
from services.common.contracts import CONTRACTS
from services.user.config import UserSettings
from tests.support.platform import running_services

APIS = [*sorted(load_topology().services), "registry"]
# Roughly equal halves of the fuzzing time (the APIs with the most operations apart).
SHARES = (("nft", "notification", "registry"), ("analytics", "trading", "user"))
EXAMPLES_PER_OPERATION = int(os.environ.get("CAPSURE_FUZZ_EXAMPLES", "60"))
SEED = os.environ.get("CAPSURE_FUZZ_SEED", "20261125")
CONFIG = Path(__file__).resolve().parents[1] / "contract" / "schemathesis.toml"
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
FUZZ_TIMEOUT_SECONDS = 600  # one API, schemathesis and all


def fuzzed_platform(workdir: Path) -> Iterator[dict[str, tuple[str, str]]]:
    """Base URL and API prefix of every REST API: the services, and the registry."""
    env = {f"{name.upper()}_VALIDATE_RESPONSES": "true" for name in APIS}
    # One token for the whole run: it must outlive it.
    env["USER_TOKEN_TTL_SECONDS"] = "3600"
    # The registry alone, on loopback ports, taking any caller's word: its API's validation is
    # fuzzed here; who may write is tested with its sidecar (tests/unit/test_registry.py,
    # tests/e2e/test_trust_attacks.py).
    registry = start_registry(
        load_topology().registry.module,
        workdir / "log",
        rest=free_port(),
        xds=free_port(),
        extra_env={**env, **NO_SIDECARS},
    )
    try:
        registry.wait_ready()
        with running_services(workdir, extra_env=env) as services:
            apis = {name: (app.url, app.spec.api_prefix) for name, app in services.items()}
            apis["registry"] = (registry.url, "/api/registry")
            yield apis
    finally:
        registry.stop()


def administrator_token(user_service_url: str) -> str:
    """The development administrator's real token: every role-restricted operation (admin
    operations, publishing prices) reaches its 2xx paths too."""
    settings = UserSettings()
    credentials = {"username": settings.admin_username, "password": settings.admin_password}
    login = httpx.post(f"{user_service_url}/api/users/login", json=credentials)
    assert login.status_code == 200, login.text
    return login.json()["accessToken"]


def bearer_header_options(token: str) -> list[str]:
    """schemathesis sends this token with every request (and leaves the header unfuzzed)."""
    return ["--header", f"Authorization: Bearer {token}"]


def schemathesis_command(
    location: str,
    url: str,
    auth: Sequence[str],
    report_dir: Path,
    *,
    examples: int,
    reports: str,
    config: Path = CONFIG,
) -> list[str]:
    """The schemathesis CLI on one API: every check, every phase, every failure reported.
    `auth`: the options saying who calls (`bearer_header_options(token)`, or a WFC identity)."""
    return [
        SCHEMATHESIS, "--config-file", str(config), "run", location,
        "--url", url,
        # Every check runs: schemathesis 4 enables them all by default ("--checks all" would
        # also override the per-operation exceptions in schemathesis.toml).
        "--phases", "examples,coverage,fuzzing,stateful",
        "--continue-on-failure",
        "--max-examples", str(examples),
        "--seed", SEED,
        *auth,
        # Past a mesh route's timeout (10 s, mesh.yaml), so the mesh's own 504 is what is seen.
        "--request-timeout", "15",
        "--generation-database", "none",
        "--workers", "1",
        "--no-color",
        "--report", reports,
        "--report-dir", str(report_dir),
    ]  # fmt: skip


def fuzz(service: str, url: str, token: str, report_dir: Path) -> None:
    """Run schemathesis on one API; fails the test with its output on any failure."""
    # The contract file, not the served <prefix>/openapi.json: that one leaves the internal
    # operations out, and they are fuzzed too.
    location = str(CONTRACTS / f"{service}.yaml")
    command = schemathesis_command(
        location,
        url,
        bearer_header_options(token),
        report_dir,
        examples=EXAMPLES_PER_OPERATION,
        reports="junit",
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=FUZZ_TIMEOUT_SECONDS)
    print(result.stdout[-6000:])
    assert result.returncode == 0, f"schemathesis found failures in {service}:\n{result.stdout}"
