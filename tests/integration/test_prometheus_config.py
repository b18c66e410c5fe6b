"""deploy/prometheus/ as `make generate` writes it: current, valid for promtool (Debian's
prometheus package), and alerting when it should, on series fed to `promtool test rules`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mesh.prometheus_config import (
    CONFIG_FILE,
    JOB,
    PROMETHEUS_DIR,
    ROOT,
    RULES_FILE,
    write_prometheus,
)
from mesh.topology import load_topology
from tests.support.required_tools import required_tool

pytestmark = pytest.mark.integration

DEPLOYED = ROOT / PROMETHEUS_DIR


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = required_tool("promtool", "prometheus")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)


def test_the_committed_files_are_what_make_generate_writes(tmp_path: Path) -> None:
    written = write_prometheus(load_topology(), tmp_path)
    for name in (CONFIG_FILE, RULES_FILE):
        assert (written / name).read_text() == (DEPLOYED / name).read_text(), (
            f"{PROMETHEUS_DIR}/{name} is stale: run make generate"
        )


def test_promtool_accepts_the_config_and_its_rules() -> None:
    config = promtool("check", "config", str(DEPLOYED / CONFIG_FILE))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = promtool("check", "rules", str(DEPLOYED / RULES_FILE))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS" in rules.stdout


def alert(name: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    expected = {"exp_labels": labels, "exp_annotations": {"summary": summary}}
    return {"alertname": name, "eval_time": "15m", "exp_alerts": [expected]}


def quiet(name: str) -> dict[str, Any]:
    return {"alertname": name, "eval_time": "15m", "exp_alerts": []}


def requests(service: str, status_class: str, per_minute: int) -> dict[str, str]:
    labels = f'service="{service}",status_class="{status_class}",operation="op",method="GET"'
    return {"series": f"capsure_http_requests_total{{{labels}}}", "values": f"0+{per_minute}x30"}


def latency(service: str, fast_per_minute: int, all_per_minute: int) -> list[dict[str, str]]:
    """Requests of which `fast_per_minute` took at most 250 ms (the objective)."""
    name, labels = "capsure_http_request_duration_seconds", f'service="{service}"'
    return [
        {"series": f'{name}_bucket{{{labels},le="0.25"}}', "values": f"0+{fast_per_minute}x30"},
        {"series": f'{name}_bucket{{{labels},le="+Inf"}}', "values": f"0+{all_per_minute}x30"},
        {"series": f"{name}_count{{{labels}}}", "values": f"0+{all_per_minute}x30"},
    ]


def outbox_age(service: str, values: str) -> dict[str, str]:
    labels = f'service="{service}",topic="notification.events"'
    return {"series": f"capsure_outbox_oldest_age_seconds{{{labels}}}", "values": values}


def envoy(name: str, service: str, cluster: str, values: str) -> dict[str, str]:
    return {
        "series": f'{name}{{service="{service}",envoy_cluster_name="{cluster}"}}',
        "values": values,
    }


RULE_TESTS: dict[str, Any] = {
    "evaluation_interval": "1m",
    "tests": [
        {
            "interval": "1m",
            "input_series": [
                requests("nft", "2xx", 90),
                requests("nft", "5xx", 10),  # 10 % errors
                requests("user", "2xx", 99),
                requests("user", "5xx", 1),  # 1 %: within the objective
                *latency("trading", fast_per_minute=50, all_per_minute=100),  # half are slow
                *latency("user", fast_per_minute=100, all_per_minute=100),
                outbox_age("nft", "0+60x30"),  # a minute older every minute: stuck
                outbox_age("trading", "1x30"),  # delivered as it comes
                envoy("envoy_cluster_outlier_detection_ejections_active", "edge", "nft", "1x30"),
                envoy("envoy_cluster_outlier_detection_ejections_active", "edge", "user", "0x30"),
                envoy("envoy_cluster_upstream_rq_pending_overflow", "trading", "nft", "0+5x30"),
                envoy("envoy_cluster_upstream_cx_overflow", "trading", "nft", "0x30"),
                envoy("envoy_cluster_upstream_rq_retry_overflow", "trading", "nft", "0x30"),
                envoy("envoy_cluster_upstream_rq_pending_overflow", "user", "nft", "0x30"),
                envoy("envoy_cluster_upstream_cx_overflow", "user", "nft", "0x30"),
                envoy("envoy_cluster_upstream_rq_retry_overflow", "user", "nft", "0x30"),
                {
                    "series": 'capsure_registry_heartbeats_missed_total{service="analytics"}',
                    "values": "0x10 1x20",
                },
                {
                    "series": f'up{{job="{JOB}",instance="nft-2",source="app"}}',
                    "values": "0x30",
                },
                {
                    "series": f'up{{job="{JOB}",instance="nft-1",source="app"}}',
                    "values": "1x30",
                },
            ],
            "alert_rule_test": [
                alert(
                    "CapsureHighErrorRatio",
                    {"severity": "page", "service": "nft"},
                    "nft answers more than 5 % of its requests with a 5xx",
                ),
                alert(
                    "CapsureLatencyBudgetBurn",
                    {"severity": "page", "service": "trading"},
                    "trading burns its latency budget (99 % within 250 ms) 14x too fast",
                ),
                alert(
                    "CapsureOutboxStuck",
                    {"severity": "page", "service": "nft", "topic": "notification.events"},
                    "nft's outbox notification.events has held a message undelivered for over"
                    " 5 minutes",
                ),
                alert(
                    "CapsureInstanceEjected",
                    {"severity": "ticket", "service": "edge", "envoy_cluster_name": "nft"},
                    "edge's Envoy keeps an instance of nft ejected (outlier detection)",
                ),
                alert(
                    "CapsureCircuitBreakerOverflow",
                    {"severity": "ticket", "service": "trading", "envoy_cluster_name": "nft"},
                    "trading's circuit breaker to nft refuses calls",
                ),
                alert(
                    "CapsureHeartbeatsMissed",
                    {"severity": "ticket", "service": "analytics"},
                    "analytics lost an instance: no heartbeat within its TTL",
                ),
                alert(
                    "CapsureTargetDown",
                    {"severity": "page", "job": JOB, "instance": "nft-2", "source": "app"},
                    "nft-2 (app) cannot be scraped",
                ),
            ],
            "promql_expr_test": [
                {
                    "expr": "service:capsure_http_errors:ratio_rate5m",
                    "eval_time": "15m",
                    "exp_samples": [
                        {
                            "labels": 'service:capsure_http_errors:ratio_rate5m{service="nft"}',
                            "value": 0.1,
                        },
                        {
                            "labels": 'service:capsure_http_errors:ratio_rate5m{service="user"}',
                            "value": 0.01,
                        },
                    ],
                },
            ],
        },
        {
            # Nothing wrong anywhere: no alert fires.
            "interval": "1m",
            "input_series": [
                requests("nft", "2xx", 100),
                *latency("nft", fast_per_minute=100, all_per_minute=100),
                {"series": f'up{{job="{JOB}",instance="nft-1",source="app"}}', "values": "1x30"},
            ],
            "alert_rule_test": [
                quiet(name)
                for name in (
                    "CapsureHighErrorRatio",
                    "CapsureLatencyBudgetBurn",
                    "CapsureOutboxStuck",
                    "CapsureInstanceEjected",
                    "CapsureCircuitBreakerOverflow",
                    "CapsureHeartbeatsMissed",
                    "CapsureTargetDown",
                )
            ],
        },
    ],
}


def test_the_alerts_fire_on_what_they_name_and_stay_quiet_otherwise(tmp_path: Path) -> None:
    tests = tmp_path / "rules_test.yml"
    tests.write_text(yaml.safe_dump({"rule_files": [str(DEPLOYED / RULES_FILE)], **RULE_TESTS}))
    ran = promtool("test", "rules", str(tests))
    assert ran.returncode == 0, ran.stdout + ran.stderr
