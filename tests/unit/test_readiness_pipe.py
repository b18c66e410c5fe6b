"""An app's word that it is ready (services/common/readiness.py): written once to the pipe the
launcher hands it; any other value of CAPSURE_READY_FD is left alone, never written to."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from mesh.processes import ReadyPipe
from services.common.readiness import READY_FD_ENV, REGISTERED, announce, readiness_pipe


@pytest.fixture
def pipe() -> Iterator[ReadyPipe]:
    ready = ReadyPipe()
    yield ready
    ready.handed_over()


def test_the_word_reaches_the_launcher_once(
    pipe: ReadyPipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(READY_FD_ENV, str(pipe.write_fd))
    announce(REGISTERED)
    assert READY_FD_ENV not in os.environ  # consumed: a second word goes nowhere
    announce("again")
    assert pipe.wait(5) == REGISTERED
    with pytest.raises(OSError):
        os.fstat(pipe.write_fd)  # the app closed its end
    pipe.write_fd = -1


def test_an_app_that_ends_without_a_word_reads_as_empty(pipe: ReadyPipe) -> None:
    assert pipe.wait(0) is None  # nothing yet: no wait when told not to
    pipe.handed_over()  # the only write end gone, as when the app exits
    assert pipe.wait(5) == ""


@pytest.mark.parametrize("value", ["0", "1", "2", "-1", "x", "3.5", "9" * 30, ""])
def test_a_value_that_names_no_pipe_past_stderr_is_ignored(value: str) -> None:
    assert readiness_pipe(value) is None


def test_a_descriptor_that_is_not_a_pipe_is_not_written_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with tempfile.TemporaryFile() as file:
        monkeypatch.setenv(READY_FD_ENV, str(file.fileno()))
        announce(REGISTERED)
        file.seek(0)
        assert file.read() == b""
        os.fstat(file.fileno())  # still open: not ours to close


def test_more_than_a_word_is_not_read(pipe: ReadyPipe) -> None:
    os.write(pipe.write_fd, b"x" * (ReadyPipe.MAX_WORD_BYTES * 4))
    assert pipe.wait(5) == "x" * ReadyPipe.MAX_WORD_BYTES
