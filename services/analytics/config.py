"""Settings of the analytics service, from ANALYTICS_* environment variables."""

from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, checked_socket, env_name


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    port: int = 8004
    # gRPC listens on `host` too, beside the REST port.
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    # In the mesh: gRPC on this Unix socket (mode 0600) instead of the port, so that only this
    # instance's sidecar reaches it.
    grpc_uds: Path | None = None
    # How long a stopping server lets running RPCs finish before it cancels them.
    grpc_shutdown_grace_seconds: float = Field(default=5.0, ge=0, le=60)

    @field_validator("grpc_uds")
    @classmethod
    def _grpc_uds_is_a_socket_path(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return checked_socket(cls, info, value)

    def private_listeners(self) -> dict[str, Path | None]:
        return {**super().private_listeners(), env_name(type(self), "grpc_uds"): self.grpc_uds}
