"""The one place where the registry contract's JSON meets domain objects."""

from __future__ import annotations

from typing import Any

from services.common.timestamps import rfc3339
from services.registry.domain.model import RegisteredInstance
from services.registry.domain.scrape_targets import ScrapeTarget


def instance_to_contract(instance: RegisteredInstance) -> dict[str, Any]:
    contract: dict[str, Any] = {
        "id": instance.id,
        "service": instance.service,
        "host": instance.host,
        "port": instance.port,
        "status": instance.status.value,
        "registeredAt": rfc3339(instance.registered_at),
        "lastHeartbeatAt": rfc3339(instance.last_heartbeat_at),
        "expiresAt": rfc3339(instance.expires_at),
    }
    if instance.metrics_port is not None:
        contract["metricsPort"] = instance.metrics_port
    return contract


def service_to_contract(name: str, instances: list[RegisteredInstance]) -> dict[str, Any]:
    return {"name": name, "instances": [instance_to_contract(i) for i in instances]}


def target_group_to_contract(target: ScrapeTarget) -> dict[str, Any]:
    """One target of Prometheus' HTTP service discovery, with its labels."""
    return {
        "targets": [target.address],
        "labels": {
            "service": target.service,
            "instance_id": target.instance_id,
            "source": target.source.value,
            "__metrics_path__": target.metrics_path,
        },
    }
