"""HTTP header names that more than one part of the platform must spell the same way: the
mesh's Envoy configs set or match them, the services read or answer them."""

from __future__ import annotations

# draft-ietf-httpapi-idempotency-key-header: a client's key for a retried write. Services
# replay the first answer; the mesh retries a POST/PATCH that carries one.
IDEMPOTENCY_KEY = "Idempotency-Key"
# On a replayed answer (the service's; not in the draft).
IDEMPOTENT_REPLAYED = "Idempotent-Replayed"
# The client's address as the edge saw it, set by the edge (a client-sent one is overwritten):
# the user service's login throttle counts by it.
CLIENT_IP = "x-capsure-client-ip"
# Set by a sidecar on its own 503 when its app never got the request, so a caller's Envoy may
# retry even a POST on another instance; the edge removes it from answers.
NOT_FORWARDED = "x-mesh-not-forwarded"
