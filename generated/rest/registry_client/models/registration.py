from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.status import Status
from ..types import UNSET, Unset

T = TypeVar("T", bound="Registration")


@_attrs_define
class Registration:
    """Where the instance's sidecar takes calls (`host`, `port`) and, when it has one, where
    Prometheus scrapes it at `host` (`metricsPort`: its sidecar's metrics listener).

        Attributes:
            host (str): IPv4 address or DNS name the instance's sidecar listens on
            port (int):
            status (Status): SERVING takes traffic; NOT_SERVING (its readiness fails) and DRAINING (stopping) get
                no new requests.
            metrics_port (int | Unset):
    """

    host: str
    port: int
    status: Status
    metrics_port: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        host = self.host

        port = self.port

        status = self.status.value

        metrics_port = self.metrics_port

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "host": host,
                "port": port,
                "status": status,
            }
        )
        if metrics_port is not UNSET:
            field_dict["metricsPort"] = metrics_port

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        host = d.pop("host")

        port = d.pop("port")

        status = Status(d.pop("status"))

        metrics_port = d.pop("metricsPort", UNSET)

        registration = cls(
            host=host,
            port=port,
            status=status,
            metrics_port=metrics_port,
        )

        return registration
