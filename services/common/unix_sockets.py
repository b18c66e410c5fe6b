"""Unix domain sockets an app listens on when only its own sidecar may reach it.

A socket's file mode decides which local users may connect, where a loopback TCP port lets
every local process in: the app trusts its sidecar's word on who called (the verified caller
header), so nothing else must be able to send it a request."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

SOCKET_MODE = 0o600  # the owner only: the user the mesh runs as
DIRECTORY_MODE = 0o700
BACKLOG = 2048  # uvicorn's default


def bind_private_socket(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, mode 0600 from before anyone can connect, in a
    directory of ours made (or set) 0700. A socket file left by a crashed process is replaced;
    any other file there is an error, and so is a directory another user owns."""
    _private_directory(path.parent)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise FileExistsError(f"{path} exists and is not a socket")
        path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # Connecting needs write permission on the file: bind() leaves it 0777 & ~umask (only
        # the owner may write under the usual umask), the chmod makes sure; the directory
        # (0700) keeps every other user out in between.
        sock.bind(str(path))
        os.chmod(path, SOCKET_MODE)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _private_directory(directory: Path) -> None:
    """`directory`, created 0700, or made 0700 when it existed: mkdir's mode applies only to
    a directory it creates, and an existing 0755 one would let other users reach the socket
    while it is still 0777 & ~umask, between bind() and chmod()."""
    directory.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    owner = directory.stat().st_uid
    if owner != os.geteuid():
        # Its owner could swap the socket for its own: no caller header is believed there.
        raise PermissionError(
            f"{directory} belongs to uid {owner}, not to this process's user ({os.geteuid()}):"
            " a private socket needs a directory of its own"
        )
    os.chmod(directory, DIRECTORY_MODE)
