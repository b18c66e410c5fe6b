from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.status import Status
from ..types import UNSET, Unset

T = TypeVar("T", bound="Instance")


@_attrs_define
class Instance:
    """
    Attributes:
        id (str):
        service (str):
        host (str): IPv4 address or DNS name the instance's sidecar listens on
        port (int):
        status (Status): SERVING takes traffic; NOT_SERVING (its readiness fails) and DRAINING (stopping) get
            no new requests.
        registered_at (datetime.datetime):
        last_heartbeat_at (datetime.datetime):
        expires_at (datetime.datetime): When the instance is dropped unless it heartbeats again
        metrics_port (int | Unset):
    """

    id: str
    service: str
    host: str
    port: int
    status: Status
    registered_at: datetime.datetime
    last_heartbeat_at: datetime.datetime
    expires_at: datetime.datetime
    metrics_port: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        service = self.service

        host = self.host

        port = self.port

        status = self.status.value

        registered_at = self.registered_at.isoformat()

        last_heartbeat_at = self.last_heartbeat_at.isoformat()

        expires_at = self.expires_at.isoformat()

        metrics_port = self.metrics_port

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "service": service,
                "host": host,
                "port": port,
                "status": status,
                "registeredAt": registered_at,
                "lastHeartbeatAt": last_heartbeat_at,
                "expiresAt": expires_at,
            }
        )
        if metrics_port is not UNSET:
            field_dict["metricsPort"] = metrics_port

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        service = d.pop("service")

        host = d.pop("host")

        port = d.pop("port")

        status = Status(d.pop("status"))

        registered_at = datetime.datetime.fromisoformat(d.pop("registeredAt"))

        last_heartbeat_at = datetime.datetime.fromisoformat(d.pop("lastHeartbeatAt"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expiresAt"))

        metrics_port = d.pop("metricsPort", UNSET)

        instance = cls(
            id=id,
            service=service,
            host=host,
            port=port,
            status=status,
            registered_at=registered_at,
            last_heartbeat_at=last_heartbeat_at,
            expires_at=expires_at,
            metrics_port=metrics_port,
        )

        return instance
