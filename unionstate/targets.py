"""Output targets of `export -o` and `init`: written, never clobbered.

A new or existing regular file is replaced atomically (`files.write_atomic`). Anything
else that already exists is a target the user made on purpose and is written *into*,
never renamed over: a FIFO, a terminal, `/dev/null`, a pipe from `>(gzip > x)`. The
shell's own descriptors (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`)
are written through the descriptor this process already holds, as a shell redirection
does. A directory, a socket and a symlink loop are refused with exit 5.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from unionstate import files
from unionstate.errors import Refused, WriteFailed

_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/self/fd)/([0-9]{1,6})")
_STANDARD = {"/dev/stdout": 1, "/dev/stderr": 2}


def descriptor(target: Path) -> int | None:
    """The file descriptor a `/dev/stdout`-like path names, or None for an ordinary path."""
    text = os.path.normpath(str(target))
    if text in _STANDARD:
        return _STANDARD[text]
    match = _DESCRIPTOR.fullmatch(text)
    return int(match.group(1)) if match else None


def check_not_data_file(target: Path, data_file: Path | None, force: bool) -> None:
    """Refuse (exit 1) to write an output over the data file in use, unless `force`."""
    if data_file is None or force:
        return
    try:
        same = os.path.samefile(target, data_file)
    except (OSError, ValueError):
        return  # one of them does not exist (or cannot be looked at): not the same file
    if same:
        shown = str(target).replace("\n", "\\n")
        raise Refused(
            f"{shown} is the data file in use; refusing to overwrite it with an export "
            "(use --force if you mean it)"
        )


def write(target: Path, data: bytes) -> None:
    """Write `data` to `target` without ever renaming over something that is not a file."""
    fd = descriptor(target)
    if fd is not None:
        _write_all(fd, data, target)
        return
    try:
        status = os.stat(target)  # through symlinks: what the bytes would land in
    except FileNotFoundError:
        status = None
    except OSError as exc:  # ELOOP, ENAMETOOLONG, EACCES on a parent, ...
        raise WriteFailed(f"{target}: cannot write: {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL byte
        raise WriteFailed(f"{target}: cannot write: {exc}") from None
    if status is None or stat.S_ISREG(status.st_mode):
        files.write_atomic(target, data)
        return
    kind = files.file_kind(status.st_mode)
    if stat.S_ISDIR(status.st_mode) or stat.S_ISSOCK(status.st_mode):
        raise WriteFailed(f"{target}: is {kind}; nothing was written")
    # A FIFO, a terminal or another device: open it as `>` would (a FIFO waits for its
    # reader), without creating or replacing anything.
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise WriteFailed(f"{target}: cannot write into {kind}: {exc.strerror or exc}") from None
    try:
        _write_all(fd, data, target)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes, target: Path) -> None:
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        what = "the reader went away" if exc.errno == errno.EPIPE else exc.strerror or exc
        raise WriteFailed(f"{target}: cannot write: {what}") from None
