"""Helpers shared by the tests: ports, tokens, fakes."""
