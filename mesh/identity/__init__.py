"""Workload identity for the mesh: a CA, the certificates it issues, and the node agent that
hands each Envoy its certificate and renews it before it expires."""
