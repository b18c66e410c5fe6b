"""What can go wrong in the registry, in domain words."""


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class ServiceNotFound(RegistryError):
    def __init__(self, service: str) -> None:
        super().__init__(f"no instance of service {service!r} is registered")


class InstanceNotFound(RegistryError):
    def __init__(self, service: str, instance_id: str) -> None:
        super().__init__(f"instance {instance_id!r} of service {service!r} is not registered")
