"""A best-effort cache of validated data files, so that a file is parsed and checked once.

Private to `store` (nothing else imports it). One entry per data file, in the user's cache
directory (`files.cache_dir`: ``$UNIONSTATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/unionstate``
or the platform's equivalent; ``UNIONSTATE_CACHE=0`` turns it off). An entry is JSON, never
pickle: a first line naming the file's identity — size, mtime_ns, inode and the SHA-256 of
its bytes —, the fingerprint of the code that checked it and the SHA-256 of the rest, then
the plain data of the dataset that the file validated to. `store` rebuilds the dataset from it
without parsing the YAML or running pydantic.

An entry is used only when every part of the identity matches the bytes just read, so a
hand edit that keeps the size and the modification time is still seen, and only when its
data still has the hash it was written with. Every failure here (read-only or missing
directory, a corrupt or foreign entry) is a cache miss, never an error. On POSIX, entries
are read only from a directory and files that the user owns and that nobody else may
write, checked before the entry is opened; an entry that is not a regular file (a FIFO
planted at its name) is never opened.

The directory may be shared with the user's own files (`UNIONSTATE_CACHE_DIR=.`): the
cache only ever creates, reads and deletes names of its own pattern (`NAME`, `TEMP`), and
its directory is made by `files.private_dir` (never by root inside a user's directory).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unionstate import files

FORMAT = 2  # 2: the data is validated, and its hash is in the header
MAX_ENTRIES = 8  # data files remembered; the least recently written go first
PREFIX = "unionstate-entry-"
NAME = re.compile(rf"{PREFIX}[0-9a-f]{{32}}\.json")  # an entry; nothing else is ever pruned
TEMP = re.compile(rf"\.{PREFIX}[a-z0-9_]{{8}}\.tmp")  # an entry being written (mkstemp)


def fingerprint(*parts: str | bytes) -> str:
    """A short hash of what cached data depends on (the caller names the code and versions)."""
    h = hashlib.sha256(str(FORMAT).encode())
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _entry_path(directory: Path, data_path: Path) -> Path:
    key = files.digest(os.fsencode(os.path.abspath(data_path)))[:32]
    return directory / f"{PREFIX}{key}.json"


def _identity(data_path: Path, st: os.stat_result, content: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "path": os.path.abspath(data_path),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "sha256": content,
    }


def _open_entry(entry: Path) -> int | None:
    """A descriptor on the entry if it is a regular file of ours, else None (never blocks).

    The checks come before the open, and the open neither follows a symlink nor waits on a
    FIFO swapped in meanwhile; the descriptor is checked to be the file that was checked.
    """
    before = os.lstat(entry)
    if not stat.S_ISREG(before.st_mode) or not files.private(before):
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(entry, flags)
    try:
        after = os.fstat(fd)
        same = (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
        if same and stat.S_ISREG(after.st_mode):
            return fd
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def lookup(data_path: Path, st: os.stat_result, content: str, code: str) -> bytes | None:
    """The JSON text of the plain data cached for this exact file content and code, or None.

    The caller parses and validates it, and treats a failure as a miss.
    """
    directory = files.cache_dir()
    if directory is None:
        return None
    entry = _entry_path(directory, data_path)
    try:
        if not files.private(directory.stat()):
            return None
        fd = _open_entry(entry)
        if fd is None:
            return None
        with os.fdopen(fd, "rb") as handle:
            header = json.loads(handle.readline())
            wanted = _identity(data_path, st, content)
            if header.get("identity") != wanted or header.get("code") != code:
                return None
            body = handle.read()
            return body if header.get("body") == files.digest(body) else None
    except Exception:  # unreadable, not JSON, nested past the recursion limit...: a miss
        return None


def store(
    data_path: Path, st: os.stat_result, content: str, code: str, body: Callable[[], bytes]
) -> None:
    """Remember `body()` (the plain data as UTF-8 JSON) for this file content; best effort."""
    directory = files.cache_dir()
    if directory is None:
        return
    tmp = None
    try:
        if not files.private_dir(directory):
            return
        data = body()
        header = {
            "identity": _identity(data_path, st, content),
            "code": code,
            "body": files.digest(data),
        }
        import tempfile  # a hit never needs it

        fd, tmp = tempfile.mkstemp(prefix=f".{PREFIX}", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(header).encode("utf-8") + b"\n")
            handle.write(data)
        os.replace(tmp, _entry_path(directory, data_path))
        tmp = None
        # Keep the newest entries; drop temp files a killed writer left behind.
        files.prune(directory, NAME, keep_newest=MAX_ENTRIES)
        files.prune(directory, TEMP, older_than=files.STALE_TEMP_SECONDS)
    except Exception:  # best effort: a cache that cannot be written is only slower
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
