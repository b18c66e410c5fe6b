"""The registry's rules through its composition root, with a publisher that records pushes."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.registry.bootstrap import bootstrap, build_deps, control_plane_listeners
from services.registry.config import RegistrySettings
from services.registry.domain.errors import InstanceNotFound, ServiceNotFound
from services.registry.domain.model import Status
from services.registry.service_layer import use_cases
from tests.support.asgi import asgi_client
from tests.support.callers import called_by
from tests.support.envoy import wait_until

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
    nft_1 = called_by("nft", "nft-1", hosts=("127.0.0.1",))
    async with asgi_client(app, headers=nft_1) as client:
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


# --- who may write a registration: only the instance itself, at a host it was issued for ----

NFT_1 = "/api/registry/services/nft/instances/nft-1"
BODY = {"host": "127.0.0.1", "port": 9001, "status": "SERVING"}


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param({}, id="no-certificate"),
        pytest.param(called_by("user", "nft-1", hosts=("127.0.0.1",)), id="another-service"),
        pytest.param(called_by("nft", "nft-2", hosts=("127.0.0.1",)), id="a-sibling"),
        pytest.param(called_by("nft", "nft-1", hosts=("10.0.0.9",)), id="another-host"),
        pytest.param(called_by("nft", "nft-1"), id="host-unknown"),
    ],
)
async def test_only_the_instance_itself_registers_where_its_certificate_says(
    deps, publisher, caller
):
    app = bootstrap(RegistrySettings(validate_responses=True), deps=deps)
    async with asgi_client(app) as client:
        response = await client.put(NFT_1, json=BODY, headers=caller)
    assert (response.status_code, response.headers["content-type"]) == (
        403,
        "application/problem+json",
    )
    assert all("nft" not in endpoints for endpoints in publisher.pushes)
    assert deps.registry.service_names() == []


async def test_an_instance_cannot_deregister_a_sibling(deps):
    register(deps, instance="nft-1")
    app = bootstrap(RegistrySettings(validate_responses=True), deps=deps)
    sibling = called_by("nft", "nft-2", hosts=("127.0.0.1",))
    async with asgi_client(app, headers=sibling) as client:
        assert (await client.delete(NFT_1)).status_code == 403
    assert [i.id for i in deps.registry.service("nft")] == ["nft-1"]


async def test_a_forged_header_of_several_certificates_names_nobody(deps):
    forged = called_by("nft", "nft-1", hosts=("127.0.0.1",))["x-forwarded-client-cert"]
    app = bootstrap(RegistrySettings(validate_responses=True), deps=deps)
    headers = {"x-forwarded-client-cert": f"{forged},{forged}"}
    async with asgi_client(app, headers=headers) as client:
        assert (await client.put(NFT_1, json=BODY)).status_code == 403


# --- where Prometheus scrapes the mesh (HTTP service discovery) and the registry's figures ---


async def test_scrape_targets_are_every_registered_metrics_page_and_the_control_planes(deps):
    settings = RegistrySettings(
        validate_responses=True,
        xds_port=0,
        metrics_listener="127.0.0.1:7001",
        edge_metrics_listener="127.0.0.1:7002",
    )
    deps.control_plane = control_plane_listeners(settings)
    app = bootstrap(settings, deps=deps)
    nft_1 = called_by("nft", "nft-1", hosts=("127.0.0.1",))
    async with asgi_client(app, headers=nft_1) as client:
        registered = await client.put(NFT_1, json={**BODY, "metricsPort": 9101})
        assert registered.status_code == 201
        assert registered.json()["metricsPort"] == 9101
        nft_2 = called_by("nft", "nft-2", hosts=("127.0.0.1",))
        url_2 = "/api/registry/services/nft/instances/nft-2"
        unscraped = await client.put(url_2, json={**BODY, "port": 9002}, headers=nft_2)
        assert "metricsPort" not in unscraped.json()
        answer = await client.get("/api/registry/scrape-targets")
    assert answer.status_code == 200
    listed = {(g["targets"][0], g["labels"]["source"]): g["labels"] for g in answer.json()}
    assert listed == {
        ("127.0.0.1:7001", "app"): labels("registry", "registry", "app"),
        ("127.0.0.1:7001", "envoy"): labels("registry", "registry", "envoy"),
        ("127.0.0.1:7002", "envoy"): labels("edge", "edge", "envoy"),
        ("127.0.0.1:9101", "app"): labels("nft", "nft-1", "app"),
        ("127.0.0.1:9101", "envoy"): labels("nft", "nft-1", "envoy"),
    }


def labels(service: str, instance: str, source: str) -> dict[str, str]:
    """A target group's labels, as Prometheus' discovery takes them."""
    path = {"app": "/metrics", "envoy": "/stats/prometheus"}[source]
    return {"service": service, "instance_id": instance, "source": source, "__metrics_path__": path}


@pytest.mark.parametrize("port", [0, 65536, "9101", None, 9101.5])
async def test_a_metrics_port_outside_the_contract_is_refused(deps, port):
    app = bootstrap(RegistrySettings(xds_port=0), deps=deps)
    nft_1 = called_by("nft", "nft-1", hosts=("127.0.0.1",))
    async with asgi_client(app, headers=nft_1) as client:
        refused = await client.put(NFT_1, json={**BODY, "metricsPort": port})
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert deps.registry.service_names() == []


@pytest.mark.parametrize("listener", ["127.0.0.1", "host:0", "a b:80", "127.0.0.1:99999"])
def test_a_control_plane_metrics_listener_must_be_host_and_port(listener):
    with pytest.raises(ValueError, match="REGISTRY_METRICS_LISTENER"):
        RegistrySettings(metrics_listener=listener)


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_the_registry_counts_its_instances_and_the_heartbeats_missed(deps, clock):
    app = bootstrap(RegistrySettings(xds_port=0, expiry_interval_seconds=0.01), deps=deps)
    async with asgi_client(app) as client:
        register(deps, "nft-1", 9001)
        register(deps, "nft-2", 9002, status=Status.NOT_SERVING)
        register(deps, "user-1", 9003, service="user")

        async def scrape(name: str) -> dict[tuple[tuple[str, str], ...], float]:
            return samples((await client.get("/metrics")).text, name)

        instances = await scrape("capsure_registry_instances")
        assert instances[(("service", "nft"), ("status", "SERVING"))] == 1
        assert instances[(("service", "nft"), ("status", "NOT_SERVING"))] == 1
        assert instances[(("service", "user"), ("status", "SERVING"))] == 1
        assert await scrape("capsure_registry_heartbeats_missed_total") == {}

        clock.advance(3)
        register(deps, "user-1", 9003, service="user")  # user-1 heartbeats, nft's do not
        clock.advance(3)

        async def counted() -> bool:  # by the expiry loop, every 10 ms
            return bool(await scrape("capsure_registry_heartbeats_missed_total"))

        await wait_until(counted, "the missed heartbeats counted")
        missed = await scrape("capsure_registry_heartbeats_missed_total")
        assert missed == {(("service", "nft"),): 2}
        instances = await scrape("capsure_registry_instances")
        assert not any(dict(labels)["service"] == "nft" for labels in instances)
        assert instances[(("service", "user"), ("status", "SERVING"))] == 1
