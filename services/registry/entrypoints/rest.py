"""Connexion handlers of the registry API: parse -> use case -> contract shape."""

from __future__ import annotations

from typing import Any

from services.common.caller import verified_caller
from services.registry.domain.model import Status
from services.registry.mappers import (
    instance_to_contract,
    service_to_contract,
    target_group_to_contract,
)
from services.registry.service_layer import use_cases
from services.registry.service_layer.authorization import check_registrant
from services.registry.service_layer.use_cases import RegistryDeps


class RegistryHandlers:
    def __init__(self, deps: RegistryDeps, *, authenticate_callers: bool) -> None:
        self._deps = deps
        # Off only where no sidecar stands in front (fuzzing the API's validation alone).
        self._authenticate = authenticate_callers

    async def list_services(self) -> list[dict[str, Any]]:
        registry = self._deps.registry
        return [service_to_contract(n, registry.service(n)) for n in registry.service_names()]

    async def get_service(self, service: str) -> dict[str, Any]:
        return service_to_contract(service, self._deps.registry.service(service))

    async def register_instance(
        self, service: str, instanceId: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        if self._authenticate:
            check_registrant(verified_caller(), service, instanceId, body["host"])
        instance, created = use_cases.register_instance(
            self._deps,
            service,
            instanceId,
            host=body["host"],
            port=body["port"],
            status=Status(body["status"]),
            metrics_port=body.get("metricsPort"),
        )
        return instance_to_contract(instance), 201 if created else 200

    async def get_instance(self, service: str, instanceId: str) -> dict[str, Any]:
        return instance_to_contract(self._deps.registry.instance(service, instanceId))

    async def deregister_instance(self, service: str, instanceId: str) -> tuple[None, int]:
        if self._authenticate:
            check_registrant(verified_caller(), service, instanceId)
        use_cases.deregister_instance(self._deps, service, instanceId)
        return None, 204

    async def list_scrape_targets(self) -> list[dict[str, Any]]:
        targets = use_cases.list_scrape_targets(self._deps)
        return [target_group_to_contract(target) for target in targets]
