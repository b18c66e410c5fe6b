"""When a request may be sent again: only as safe as the operation it carries.

Idempotent REST methods retry on 5xx, resets and connect failures; so does a POST or PATCH
carrying an `Idempotency-Key` (every write operation of the contracts honours one: a retry
replays the first answer, it never writes twice). Every other POST/PATCH and every gRPC call
retries only when it never reached the app: the connection was refused, the stream refused or
reset before the request went out, or the peer's sidecar answered itself because it could not
reach its app (`services.common.headers.NOT_FORWARDED`).
"""

from __future__ import annotations

from typing import Literal

from mesh.envoy.common import Config, duration, typed
from services.common.headers import IDEMPOTENCY_KEY, NOT_FORWARDED

Safety = Literal["idempotent", "unsent"]

IDEMPOTENT_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
# Matches the idempotent methods; the route for every other method follows it.
IDEMPOTENT_METHOD_MATCH = {
    "name": ":method",
    "string_match": {"safe_regex": {"regex": f"^({'|'.join(IDEMPOTENT_METHODS)})$"}},
}

IDEMPOTENCY_KEY_MATCH = {"name": IDEMPOTENCY_KEY.lower(), "present_match": True}

# NOT_FORWARDED is set by a sidecar on its own 503 when its app refused the connection (or its
# circuit breaker refused the request): the request provably never reached the app, so a POST
# may go to another instance. Without it such a 503 looks like the app's own answer and is never
# retried.
NOT_FORWARDED_MATCH = {"name": NOT_FORWARDED, "string_match": {"exact": "true"}}

# Idempotent: any failure of the attempt. 5xx covers a per-try timeout and the sidecar's 503s.
RETRY_ON_IDEMPOTENT = "5xx,reset,connect-failure,refused-stream"
# Unsent only. No "reset" (a reset after the request went out may have run it), no "5xx", and
# for gRPC no "unavailable": UNAVAILABLE also comes from an app that ran part of the call.
RETRY_ON_UNSENT = "connect-failure,refused-stream,reset-before-request,retriable-headers"
NUM_RETRIES = 2  # three attempts: with 2 instances every one is tried, plus one more
HOST_SELECTION_RETRY_MAX_ATTEMPTS = 3  # re-pick up to 3 times to avoid the host that just failed
PREVIOUS_HOSTS = {
    "name": "envoy.retry_host_predicates.previous_hosts",
    "typed_config": typed("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"),
}


def retry_policy(safety: Safety, per_try_timeout: float | None = None) -> Config:
    """The retry policy of a route; the same for sidecar egress and edge routes."""
    policy: Config = {
        "retry_on": RETRY_ON_IDEMPOTENT if safety == "idempotent" else RETRY_ON_UNSENT,
        "num_retries": NUM_RETRIES,
        # A retry goes to another instance, not back to the one that just failed.
        "retry_host_predicate": [PREVIOUS_HOSTS],
        "host_selection_retry_max_attempts": HOST_SELECTION_RETRY_MAX_ATTEMPTS,
    }
    if safety == "unsent":
        policy["retriable_headers"] = [NOT_FORWARDED_MATCH]
    if per_try_timeout is not None:
        policy["per_try_timeout"] = duration(per_try_timeout)
    return policy
