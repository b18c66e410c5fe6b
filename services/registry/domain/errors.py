"""What can go wrong in the registry, in domain words."""

from services.common.quoting import quoted


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class ServiceNotFound(RegistryError):
    def __init__(self, service: str) -> None:
        super().__init__(f"no instance of service {quoted(service)} is registered")


class InstanceNotFound(RegistryError):
    def __init__(self, service: str, instance_id: str) -> None:
        super().__init__(
            f"instance {quoted(instance_id)} of service {quoted(service)} is not registered"
        )
