"""schemathesis from outside: every public REST operation, through the edge only.

- `EDGE_APIS`: the REST APIs the edge routes (service -> its API prefix); the registry has no
  edge route, and no `/internal/…` operation has one either.
- `write_edge_config`: schemathesis's config for the edge: tests/contract/schemathesis.toml and
  every identity's real token in a Web Fuzzing Commons auth document, two plain users named as
  peers (who must not read each other's objects: the `object_level_authorization` check).
- `fuzz_through_edge`: one API's run, its spec as the edge publishes it, as one identity (the
  others are only its peers); an `EdgeRun` read from schemathesis's own reports.
- `Finding`: one failed check on one request (what was sent, what came back).
- `FalsePositive`: findings that are not defects, matched narrowly, each with its reason;
  `unexplained` is what is left of a run once they are set aside.

Every check and phase runs (tests/support/fuzzing.py: `schemathesis_command`). The token comes
from an auth provider (WFC), not a fixed header, so schemathesis also fuzzes the Authorization
header itself (malformed, missing) and sends headers the operation does not declare. schemathesis
exits non-zero on any failure, false positives included, so the verdict is taken from its
NDJSON report (every check of every case, with the request and the response) instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesh.topology import load_topology
from services.common.contracts import load_operations
from services.common.public_contract import is_internal
from tests.support.fuzzing import CONFIG, FUZZ_TIMEOUT_SECONDS, schemathesis_command

EDGE_APIS = {name: spec.api_prefix for name, spec in sorted(load_topology().services.items())}
# Per operation: the coverage phase (every boundary, independent of this) dominates a run; the
# fuzzing and stateful phases draw this many. Two identities x every public operation through
# three proxies must fit ~3 minutes on 2 shared cores; the direct runs fuzz the apps deeper.
EXAMPLES_PER_OPERATION = int(os.environ.get("CAPSURE_EDGE_FUZZ_EXAMPLES", "10"))
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# The plain users who must not see each other's objects; the admin may see anyone's.
PEERS = ("user", "peer")


def write_edge_config(directory: Path, tokens: Mapping[str, str]) -> Path:
    """The shared schemathesis.toml plus `[auth.wfc]`: an auth document with every identity's
    token (mode 0600: live credentials), and PEERS."""
    document = {
        "auth": [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
            for name, token in tokens.items()
        ]
    }
    auth = directory / "wfc-auth.json"
    with os.fdopen(os.open(auth, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        json.dump(document, file)
    config = directory / "schemathesis-edge.toml"
    # TOML's basic strings take JSON's escapes; a table header after the shared file's
    # `[[operations]]` is a new top-level table.
    wfc = f"\n[auth.wfc]\npath = {json.dumps(str(auth))}\npeers = {json.dumps(list(PEERS))}\n"
    config.write_text(CONFIG.read_text() + wfc)
    return config


def public_operation_count(service: str) -> int:
    """What the edge must serve of `service`: its contract's operations but the internal ones."""
    return sum(not is_internal(op.template) for op in load_operations(service))


@dataclass(frozen=True)
class Finding:
    api: str
    operation: str  # the operation under test: "GET /api/nfts/{nftId}"
    method: str  # the method sent (the coverage phase also sends undeclared ones)
    check: str
    status: int | None  # None: no response
    detail: str  # the problem+json's `detail`, if the response was one
    phase: str
    scenario: str | None  # the coverage phase's scenario, e.g. "unspecified_http_method"

    def __str__(self) -> str:
        where = f"{self.phase}/{self.scenario}" if self.scenario else self.phase
        return (
            f"{self.check}: {self.method} for {self.operation} -> {self.status} "
            f"{self.detail[:80]!r} ({where})"
        )


@dataclass(frozen=True)
class FalsePositive:
    """Failed `checks` that are not a defect: those whose request had one of `methods` and got
    `status`, and, where given, for `operation`, with the problem `detail` (the edge's fixed
    text, mesh/envoy/refusals.py, tells its own answers from an app's), in `scenario`."""

    name: str
    reason: str
    checks: frozenset[str]
    methods: frozenset[str]
    status: int
    operation: str | None = None
    detail: str | None = None
    scenario: str | None = None

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check in self.checks
            and finding.method in self.methods
            and finding.status == self.status
            and self.operation in (None, finding.operation)
            and self.detail in (None, finding.detail)
            and self.scenario in (None, finding.scenario)
        )


@dataclass
class EdgeRun:
    api: str
    identity: str
    seconds: float
    operations: int  # tested
    expected_operations: int  # public operations of the contract
    cases: Counter[str]  # requests sent, per phase
    findings: list[Finding]
    errors: list[str]
    stop_reason: str
    explained: Counter[str] = field(default_factory=Counter)  # false positive name -> findings
    unexplained: list[Finding] = field(default_factory=list)

    def classify(self, false_positives: Iterable[FalsePositive]) -> None:
        known = list(false_positives)
        for finding in self.findings:
            match = next((fp for fp in known if fp.matches(finding)), None)
            if match is None:
                self.unexplained.append(finding)
            else:
                self.explained[match.name] += 1

    def summary(self) -> str:
        by_check = Counter(f.check for f in self.findings)
        phases = ", ".join(f"{p} {self.cases[p]}" for p in PHASES)
        return (
            f"{self.identity:5} {self.api:12} {self.operations:2}/{self.expected_operations} "
            f"operations, {sum(self.cases.values()):4} cases ({phases}) in {self.seconds:.1f}s; "
            f"failed checks {dict(by_check) or 0}, known false positives "
            f"{dict(self.explained) or 0}, unexplained {len(self.unexplained)}, "
            f"errors {len(self.errors)}, {self.stop_reason}"
        )


def fuzz_through_edge(
    service: str, edge_url: str, config: Path, identity: str, report_dir: Path
) -> EdgeRun:
    """schemathesis on `service`'s public operations as `identity` (of `write_edge_config`'s
    `config`), spec and requests through the edge."""
    location = f"{edge_url}{EDGE_APIS[service]}/openapi.json"
    command = schemathesis_command(
        location,
        edge_url,
        ["--auth-wfc-user", identity],
        report_dir,
        examples=EXAMPLES_PER_OPERATION,
        reports="ndjson",
        config=config,
    )
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=FUZZ_TIMEOUT_SECONDS)
    seconds = time.monotonic() - started
    reports = list(report_dir.glob("ndjson-*.ndjson"))
    assert result.returncode in (0, 1) and len(reports) == 1, (
        f"schemathesis did not run on {service}: exit {result.returncode}\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    run = _read_report(service, identity, seconds, reports[0])
    # The report is read right: schemathesis fails a run exactly when it holds a failure.
    assert (result.returncode == 1) == bool(run.findings or run.errors), (
        f"exit {result.returncode} but {len(run.findings)} failed checks read from {reports[0]}"
    )
    return run


def _read_report(service: str, identity: str, seconds: float, report: Path) -> EdgeRun:
    run = EdgeRun(
        api=service,
        identity=identity,
        seconds=seconds,
        operations=0,
        expected_operations=public_operation_count(service),
        cases=Counter(),
        findings=[],
        errors=[],
        stop_reason="unfinished",
    )
    operations: set[str] = set()
    with report.open() as lines:
        for line in lines:
            ((event, body),) = json.loads(line).items()
            if event == "ScenarioFinished":
                recorder = body["recorder"]
                if body["phase"] != "stateful":  # a stateful scenario spans operations
                    operations.add(recorder["label"])
                run.cases[body["phase"]] += len(recorder.get("interactions", {}))
                run.findings += _findings(service, body["phase"], recorder)
            elif event == "NonFatalError":
                run.errors.append(f"{body.get('label')}: {body.get('value')}")
            elif event == "FatalError":
                run.errors.append(f"fatal: {body.get('exception')}")
            elif event == "EngineFinished":
                run.stop_reason = str(body.get("stop_reason"))
                # Failures of checks that judge the whole run once it is over.
                run.findings += (_run_finding(service, f) for f in body.get("failures") or ())
    run.operations = len(operations)
    return run


def _run_finding(service: str, failure: Mapping[str, Any]) -> Finding:
    return Finding(
        api=service,
        operation=str(failure.get("operation")),
        method="",
        check=f"after the run: {failure.get('title')}",
        status=None,
        detail=str(failure.get("message", ""))[:200],
        phase="after the run",
        scenario=None,
    )


def _findings(service: str, phase: str, recorder: Mapping[str, Any]) -> Iterator[Finding]:
    for case_id, checks in recorder.get("checks", {}).items():
        for check in checks:
            if check["status"] in ("success", "skip"):  # a skipped check judged nothing
                continue
            case = recorder["cases"][case_id]["value"]
            response = (recorder.get("interactions", {}).get(case_id) or {}).get("response")
            scenario = (case.get("meta") or {}).get("phase", {}).get("data", {}).get("scenario")
            failure = (check.get("failure_info") or {}).get("failure", {})
            yield Finding(
                api=service,
                operation=failure.get("operation") or recorder["label"],
                method=case["method"],
                check=check["name"],
                status=response["status_code"] if response else None,
                detail=_problem_detail(response),
                phase=phase,
                scenario=scenario,
            )


def _problem_detail(response: Mapping[str, Any] | None) -> str:
    content = (response or {}).get("content") or {}
    try:
        raw = base64.b64decode(content["$base64"]) if "$base64" in content else b""
        detail = json.loads(raw).get("detail", "")
    except (KeyError, ValueError, AttributeError, binascii.Error):
        return ""
    return detail if isinstance(detail, str) else ""
