"""Settings of the registry, from REGISTRY_* environment variables."""

from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import split_address
from services.common.settings import ServiceSettings, checked, checked_socket, env_name


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    port: int = 8500
    # Where Envoys connect for xDS (ADS).
    xds_port: int = Field(default=18000, ge=0, le=65535)
    # In the mesh, behind the registry's sidecar: xDS on this Unix socket instead of the port.
    xds_uds: Path | None = None
    # An instance not heard from for this long is dropped (heartbeats come every second).
    instance_ttl_seconds: float = Field(default=5.0, gt=0, le=3600)
    # After a (re)start, Envoys get no answer for this long, so they keep their last endpoints
    # until heartbeats (every second) have rebuilt the registry's state.
    xds_warmup_seconds: float = Field(default=2.5, ge=0, le=60)
    # How often expired instances are looked for.
    expiry_interval_seconds: float = Field(default=0.25, gt=0, le=60)
    # Metrics listeners (host:port) of the workloads that do not register, served to
    # Prometheus' service discovery with the instances': the registry's own sidecar (its app's
    # page and its Envoy's) and the edge (its Envoy's).
    metrics_listener: str | None = None
    edge_metrics_listener: str | None = None

    @field_validator("metrics_listener", "edge_metrics_listener")
    @classmethod
    def _listeners_are_host_port(cls, value: str | None, info: ValidationInfo) -> str | None:
        return checked(cls, info, value, split_address)

    @field_validator("xds_uds")
    @classmethod
    def _xds_uds_is_a_socket_path(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return checked_socket(cls, info, value)

    def private_listeners(self) -> dict[str, Path | None]:
        return {**super().private_listeners(), env_name(type(self), "xds_uds"): self.xds_uds}
