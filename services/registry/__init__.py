"""The registry service: knows which service instances exist and pushes them to Envoy."""
