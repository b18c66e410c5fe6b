from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.status import Status

T = TypeVar("T", bound="Registration")


@_attrs_define
class Registration:
    """
    Attributes:
        host (str): IPv4 address or DNS name the instance's sidecar listens on
        port (int):
        status (Status): SERVING takes traffic; NOT_SERVING (its readiness fails) and DRAINING (stopping) get
            no new requests.
    """

    host: str
    port: int
    status: Status

    def to_dict(self) -> dict[str, Any]:
        host = self.host

        port = self.port

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "host": host,
                "port": port,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        host = d.pop("host")

        port = d.pop("port")

        status = Status(d.pop("status"))

        registration = cls(
            host=host,
            port=port,
            status=status,
        )

        return registration
