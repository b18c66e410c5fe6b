"""Optional parts of the test suite's machine (Debian packages `.ci/run` installs): a test that
needs one skips with the reason when it is absent, except under CI=true, where the part must be
there and its absence fails the test."""

from __future__ import annotations

import os
import shutil

import pytest


def required_tool(command: str, package: str) -> str:
    """The path of `command`; a skip (a failure in CI) naming `package` when it is missing."""
    path = shutil.which(command)
    if path is not None:
        return path
    reason = f"{command} not found (Debian package {package}: apt-get install {package})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run installs it", pytrace=False)
    pytest.skip(reason)
