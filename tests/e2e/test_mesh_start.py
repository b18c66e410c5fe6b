"""How the mesh starts (mesh/runner.py `Mesh.start`): the registry and every app forked by the
one preloaded parent (mesh/zygote.py), and each app ready by its own word, once the registry
had taken its registration (services/common/readiness.py), not found by polling."""

from __future__ import annotations

import pytest

from mesh.runner import Mesh
from mesh.zygote_client import ForkedProcess
from services.common.readiness import REGISTERED, SERVING

pytestmark = pytest.mark.e2e


def test_the_registry_and_every_app_are_forked_by_the_preloaded_parent(
    platform_mesh: Mesh,
) -> None:
    assert platform_mesh.registry is not None
    apps = [r.app for group in platform_mesh.instances.values() for r in group]
    assert len(apps) == len(platform_mesh.topology.services)
    for process in (platform_mesh.registry, *apps):
        assert isinstance(process.process, ForkedProcess), process.name
        assert process.running


def test_every_app_said_it_was_registered_and_the_registry_that_it_served(
    platform_mesh: Mesh,
) -> None:
    assert platform_mesh.registry is not None and platform_mesh.registry.ready is not None
    assert platform_mesh.registry.ready.word == SERVING  # it registers with nobody
    for group in platform_mesh.instances.values():
        for running in group:
            assert running.app.ready is not None
            assert running.app.ready.word == REGISTERED, running.id
            path = f"/api/registry/services/{running.instance.service.name}/instances/{running.id}"
            assert platform_mesh.registry_status(path) == 200
