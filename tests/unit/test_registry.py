"""The registry's rules through its composition root, with a publisher that records pushes."""

from datetime import timedelta

import pytest

from services.registry.bootstrap import bootstrap, build_deps
from services.registry.config import RegistrySettings
from services.registry.domain.errors import InstanceNotFound, ServiceNotFound
from services.registry.domain.model import Status
from services.registry.service_layer import use_cases
from tests.support.asgi import asgi_client

pytestmark = pytest.mark.unit


class RecordingPublisher:
    def __init__(self) -> None:
        self.pushes: list[dict] = []

    def publish(self, endpoints: dict) -> None:
        self.pushes.append(endpoints)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def deps(clock, publisher):
    return build_deps(RegistrySettings(instance_ttl_seconds=5), publisher, clock=clock)


def register(deps, instance="nft-1", port=9001, status=Status.SERVING, service="nft"):
    return use_cases.register_instance(
        deps, service, instance, host="127.0.0.1", port=port, status=status
    )


def test_registering_pushes_the_new_endpoint(deps, publisher):
    instance, created = register(deps)
    assert created
    assert publisher.pushes == [{"nft": [("127.0.0.1", 9001, Status.SERVING)]}]
    assert deps.registry.instance("nft", "nft-1") == instance


def test_a_heartbeat_that_changes_nothing_pushes_nothing(deps, publisher, clock):
    first, _ = register(deps)
    clock.advance(1)
    renewed, created = register(deps)
    assert not created
    assert renewed.registered_at == first.registered_at
    assert renewed.expires_at == clock.now + timedelta(seconds=5)
    assert len(publisher.pushes) == 1


def test_a_status_change_is_pushed(deps, publisher):
    register(deps)
    register(deps, status=Status.NOT_SERVING)
    assert publisher.pushes[-1] == {"nft": [("127.0.0.1", 9001, Status.NOT_SERVING)]}


def test_deregistering_pushes_the_removal(deps, publisher):
    register(deps, "nft-1", 9001)
    register(deps, "nft-2", 9002)
    use_cases.deregister_instance(deps, "nft", "nft-1")
    assert publisher.pushes[-1] == {"nft": [("127.0.0.1", 9002, Status.SERVING)]}
    use_cases.deregister_instance(deps, "nft", "nft-2")
    assert publisher.pushes[-1] == {}
    with pytest.raises(ServiceNotFound):
        deps.registry.service("nft")
    with pytest.raises(InstanceNotFound):
        use_cases.deregister_instance(deps, "nft", "nft-2")


def test_instances_without_heartbeats_expire_after_the_ttl(deps, publisher, clock):
    register(deps, "nft-1", 9001)
    clock.advance(3)
    register(deps, "nft-2", 9002)
    clock.advance(2)  # nft-1 is 5 s old: its TTL has passed; nft-2 is 2 s old
    assert [i.id for i in use_cases.expire_instances(deps)] == ["nft-1"]
    assert publisher.pushes[-1] == {"nft": [("127.0.0.1", 9002, Status.SERVING)]}
    assert use_cases.expire_instances(deps) == []


def test_a_new_instance_at_a_reused_address_replaces_the_old_one(deps):
    register(deps, "nft-old", 9001)
    register(deps, "nft-new", 9001)
    assert [i.id for i in deps.registry.service("nft")] == ["nft-new"]


async def test_the_rest_api(deps):
    app = bootstrap(RegistrySettings(validate_responses=True), deps=deps)
    url = "/api/registry/services/nft/instances/nft-1"
    body = {"host": "127.0.0.1", "port": 9001, "status": "SERVING"}
    async with asgi_client(app) as client:
        assert (await client.put(url, json=body)).status_code == 201
        assert (await client.put(url, json=body)).status_code == 200
        listed = (await client.get("/api/registry/services")).json()
        assert [(s["name"], [i["id"] for i in s["instances"]]) for s in listed] == [
            ("nft", ["nft-1"])
        ]
        assert (await client.put(url, json={**body, "port": 0})).status_code == 400
        assert (await client.delete(url)).status_code == 204
        assert (await client.delete(url)).status_code == 404
        assert (await client.get("/api/registry/services/nft")).status_code == 404
