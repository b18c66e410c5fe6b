"""How long an app's readiness check may ask its database, against the mesh's health checks:
over REST (/healthz) and gRPC (grpc.health.v1) alike."""

import pytest

from mesh.envoy.policies import HEALTH_TIMEOUT, UNHEALTHY_THRESHOLD
from services.analytics.entrypoints.grpc_server import HEALTH_CHECK_TIMEOUT_SECONDS
from services.common.database import READINESS_TIMEOUT_SECONDS

pytestmark = pytest.mark.unit


def test_one_slow_database_ping_is_a_timeout_envoy_forgives_not_a_503():
    # Envoy takes an instance out at once on a 503, whatever its unhealthy threshold; a
    # timeout counts toward the threshold. A readiness bound below Envoy's timeout would turn
    # one slow ping into an eviction.
    assert UNHEALTHY_THRESHOLD > 1
    assert READINESS_TIMEOUT_SECONDS > HEALTH_TIMEOUT
    assert HEALTH_CHECK_TIMEOUT_SECONDS == READINESS_TIMEOUT_SECONDS
