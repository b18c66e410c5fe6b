"""The one place where the registry contract's JSON meets domain objects."""

from __future__ import annotations

from typing import Any

from services.common.timestamps import rfc3339
from services.registry.domain.model import RegisteredInstance


def instance_to_contract(instance: RegisteredInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "service": instance.service,
        "host": instance.host,
        "port": instance.port,
        "status": instance.status.value,
        "registeredAt": rfc3339(instance.registered_at),
        "lastHeartbeatAt": rfc3339(instance.last_heartbeat_at),
        "expiresAt": rfc3339(instance.expires_at),
    }


def service_to_contract(name: str, instances: list[RegisteredInstance]) -> dict[str, Any]:
    return {"name": name, "instances": [instance_to_contract(i) for i in instances]}
