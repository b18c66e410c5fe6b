"""Who is serving where. Pure Python: no framework, no network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.registry.domain.errors import InstanceNotFound, ServiceNotFound


class Status(StrEnum):
    SERVING = "SERVING"
    NOT_SERVING = "NOT_SERVING"
    DRAINING = "DRAINING"


@dataclass(frozen=True)
class RegisteredInstance:
    id: str
    service: str
    host: str
    port: int
    status: Status
    registered_at: datetime
    last_heartbeat_at: datetime
    expires_at: datetime
    metrics_port: int | None = None  # its sidecar's metrics listener, at `host`

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


class Registry:
    """Instances by service; each lives until deregistered or its TTL passes unrenewed."""

    def __init__(self, ttl: timedelta) -> None:
        self._ttl = ttl
        self._services: dict[str, dict[str, RegisteredInstance]] = {}

    def register(
        self,
        service: str,
        instance_id: str,
        host: str,
        port: int,
        status: Status,
        now: datetime,
        metrics_port: int | None = None,
    ) -> tuple[RegisteredInstance, bool]:
        """Register or renew; True when the instance is new. Another id at the same address is
        dropped: it cannot be serving there any more (it crashed and the port was reused)."""
        instances = self._services.setdefault(service, {})
        for other in [i for i in instances.values() if i.address == (host, port)]:
            if other.id != instance_id:
                del instances[other.id]
        known = instances.get(instance_id)
        renewed = RegisteredInstance(
            id=instance_id,
            service=service,
            host=host,
            port=port,
            status=status,
            registered_at=known.registered_at if known else now,
            last_heartbeat_at=now,
            expires_at=now + self._ttl,
            metrics_port=metrics_port,
        )
        instances[instance_id] = renewed
        return renewed, known is None

    def deregister(self, service: str, instance_id: str) -> RegisteredInstance:
        instances = self._services.get(service, {})
        if instance_id not in instances:
            raise InstanceNotFound(service, instance_id)
        removed = instances.pop(instance_id)
        if not instances:
            del self._services[service]
        return removed

    def expire(self, now: datetime) -> list[RegisteredInstance]:
        """Drop every instance whose TTL has passed; they are returned."""
        expired = [i for i in self.all_instances() if i.expires_at <= now]
        for instance in expired:
            self.deregister(instance.service, instance.id)
        return expired

    def instance(self, service: str, instance_id: str) -> RegisteredInstance:
        found = self._services.get(service, {}).get(instance_id)
        if found is None:
            raise InstanceNotFound(service, instance_id)
        return found

    def service(self, service: str) -> list[RegisteredInstance]:
        if service not in self._services:
            raise ServiceNotFound(service)
        return sorted(self._services[service].values(), key=lambda i: i.id)

    def service_names(self) -> list[str]:
        return sorted(self._services)

    def all_instances(self) -> list[RegisteredInstance]:
        return [i for name in self.service_names() for i in self.service(name)]

    def endpoints(self) -> dict[str, list[tuple[str, int, Status]]]:
        """What the mesh routes to: each service's instance addresses and their status."""
        return {
            name: [(i.host, i.port, i.status) for i in self.service(name)]
            for name in self.service_names()
        }
