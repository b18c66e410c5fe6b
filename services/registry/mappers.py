"""The one place where the registry contract's JSON meets domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.registry.domain.model import RegisteredInstance


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def instance_to_contract(instance: RegisteredInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "service": instance.service,
        "host": instance.host,
        "port": instance.port,
        "status": instance.status.value,
        "registeredAt": _timestamp(instance.registered_at),
        "lastHeartbeatAt": _timestamp(instance.last_heartbeat_at),
        "expiresAt": _timestamp(instance.expires_at),
    }


def service_to_contract(name: str, instances: list[RegisteredInstance]) -> dict[str, Any]:
    return {"name": name, "instances": [instance_to_contract(i) for i in instances]}
