"""The only module that touches the disk: find, load, save, lock, update.

Loading is strict (`yamlfile.parse`, after a size cap): every problem comes back as one
line `FILE:LINE:COL: record: field: what was expected`. A file the cache has already
validated is rebuilt from the cache without parsing it, and without importing PyYAML,
pydantic or `yamlfile` at all: that keeps a read close to the import floor.

Saving is deterministic and atomic: the same dataset always gives the same bytes, and
the file on disk is always either the old bytes or the new bytes.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import math
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from unionstate import cache
from unionstate.errors import Busy, DataError, Refused, WriteFailed
from unionstate.models import Dataset, plain_json, to_plain, trusted

MAX_BYTES = 32 * 1024 * 1024
LOCK_TIMEOUT = 10.0  # seconds; UNIONSTATE_LOCK_TIMEOUT overrides
DATA_NAME = "roadmaps.yaml"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building large acyclic data (restored after).

    Loading 10,000 roadmaps allocates millions of objects, and each full collection on
    the way rescans all of them: pausing it more than halves the time of a large load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads(raw: bytes, name: str) -> Dataset:
    """Validate the bytes of a data file; `name` is used in error messages."""
    if len(raw) > MAX_BYTES:
        raise _too_big(name, len(raw))
    from unionstate import yamlfile

    with _gc_paused():
        return yamlfile.loads(raw, name)


def loads_versions(versions: list[tuple[bytes, str]]) -> list[Dataset]:
    """Validate versions of one file, as `loads` does each; records they share are
    validated once (a merge loads three versions). DataError lists every problem."""
    for raw, name in versions:
        if len(raw) > MAX_BYTES:
            raise _too_big(name, len(raw))
    from unionstate import yamlfile

    with _gc_paused():
        return yamlfile.loads_versions(versions)


def _too_big(name: str, size: int) -> DataError:
    return DataError([f"{name}: file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit"])


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a DataError saying why they cannot be read."""
    return _read(path)[0]


def _read(path: Path) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status as of the read (DataError if unreadable).

    Only a regular file is read: a FIFO would block the read forever, a device could be
    endless. The file is opened without blocking and checked again through the open
    descriptor, so a file swapped for a FIFO after the first look is refused too.
    """
    try:
        status = path.stat()
        _check_regular(path, status)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(fd)
            _check_regular(path, status)
            return handle.read(MAX_BYTES + 1), status
    except FileNotFoundError:
        raise DataError([f"{path}: no such file (run `unionstate init` to create one)"]) from None
    except IsADirectoryError:
        raise DataError([f"{path}: is a directory, not a data file"]) from None
    except PermissionError:
        raise DataError([f"{path}: permission denied"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except (RuntimeError, ValueError) as exc:  # a symlink loop on old Pythons; a NUL byte
        raise DataError([f"{path}: cannot read: {exc}"]) from None


def _check_regular(path: Path, status: os.stat_result) -> None:
    """Refuse anything but a regular file, and a regular file over the size cap."""
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise DataError([f"{path}: is a directory, not a data file"])
    if not stat.S_ISREG(mode):
        raise DataError([f"{path}: is {file_kind(mode)}, not a regular file; nothing was read"])
    if status.st_size > MAX_BYTES:
        raise _too_big(str(path), status.st_size)


def file_kind(mode: int) -> str:
    """What a file is, from its mode: "a FIFO", "a character device", ..."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def load(path: Path) -> Dataset:
    """Load and validate the data file at `path` (DataError lists every problem)."""
    with _gc_paused():
        return _load_cached(path, *_read(path))


_CODE: list[str] = []


def _code() -> str:
    """The fingerprint of the code a cache entry depends on: the parser, the models and the
    versions of PyYAML and pydantic (an entry is trusted as validated by exactly this code).

    Read from the files, so that a cache hit imports none of the code it fingerprints.
    """
    if not _CODE:
        here = Path(__file__).parent
        names = ("store", "yamlfile", "fastyaml", "cache", "models")
        files = [here / f"{name}.py" for name in names]
        # Each holds its package's version; pydantic pins the pydantic-core it runs on.
        files += [_source_of("yaml", "__init__.py"), _source_of("pydantic", "version.py")]
        _CODE.append(cache.fingerprint(*(path.read_bytes() for path in files)))
    return _CODE[0]


def _source_of(package: str, filename: str) -> Path:
    """A file of an installed package, found without importing it (OSError if missing)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise OSError(f"{package} is not installed")
    return Path(spec.origin).with_name(filename)


def _load_cached(
    path: Path, raw: bytes, status: os.stat_result, *, remember: bool = True
) -> Dataset:
    """Validate `raw`, read from `path`, unless the cache has already validated these bytes.

    An entry holds the canonical plain data (`to_plain`) of a dataset that passed every
    check, keyed on the file's exact bytes and on this code; a hit is rebuilt with
    `models.trusted`, so that neither YAML parsing nor pydantic is needed to read a file
    again. A damaged entry is a miss.
    """
    if len(raw) > MAX_BYTES or not stat.S_ISREG(status.st_mode):
        return loads(raw, str(path))
    try:
        content, code = cache.digest(raw), _code()
    except OSError:  # the package's own sources are unreadable: no caching
        return loads(raw, str(path))
    cached = cache.lookup(path, status, content, code)
    if cached is not None:
        with contextlib.suppress(Exception):  # any surprise in the entry is a miss
            # Neither the file's bytes nor the entry's are needed once it is parsed: at
            # 10,000 roadmaps that is 35 MB less while the records are built.
            del raw
            plain, cached = json.loads(cached), None
            return trusted(plain)
        # A damaged entry: parse the file after all, and cache it only if it is unchanged.
        raw = read_bytes(path)
        remember = remember and cache.digest(raw) == content
    dataset = loads(raw, str(path))
    if remember:
        cache.store(path, status, content, code, lambda: plain_json(to_plain(dataset)))
    return dataset


def dumps(dataset: Dataset) -> bytes:
    """Canonical bytes for `dataset`: a fixed header, then block YAML, one value per line."""
    return _dumps(dataset)[0]


def _dumps(dataset: Dataset) -> tuple[bytes, dict[str, Any] | None]:
    """`yamlfile.dump`: the bytes, and their plain data when known without parsing."""
    from unionstate import yamlfile

    with _gc_paused():
        return yamlfile.dump(dataset)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, expect: str | None = None) -> None:
    """Replace `path` with `data` so that a reader sees the old bytes or the new, never a mix.

    With `expect` (the `cache.digest` of the bytes the caller read), the file is checked
    once more just before the rename, so that a hand edit saved meanwhile is never lost.
    """
    owner: tuple[int, int] | None = None
    try:
        target = path.resolve()  # through a symlink: the link stays a link, the target changes
        status = target.stat()
        if not stat.S_ISREG(status.st_mode):
            # Never rename over a device, a FIFO or a socket (`/dev/stdout` is /dev/null's
            # neighbour): the caller writes into such a target, or refuses it.
            raise WriteFailed(
                f"{path}: is {file_kind(status.st_mode)}, not a regular file; nothing was written"
            )
        mode = stat.S_IMODE(status.st_mode)
        owner = (status.st_uid, status.st_gid)
    except FileNotFoundError:
        mode = 0o644
    except OSError as exc:
        raise WriteFailed(f"{path}: cannot write: {exc.strerror or exc}") from None
    except RuntimeError as exc:  # Python < 3.13: "Symlink loop from ..."
        raise WriteFailed(f"{path}: cannot write: {exc}") from None
    if mode & 0o222 == 0:
        raise WriteFailed(f"{path}: the file is read-only; nothing was changed")
    tmp = None
    try:
        import tempfile  # only a write needs it

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown"):
            # Keep a shared file's owner and group; only root may give a file away.
            with contextlib.suppress(OSError):
                os.chown(tmp, *owner)
        if expect is not None and cache.digest(read_bytes(target)) != expect:
            raise Busy(f"{path}: the file changed on disk during the update; nothing was written")
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise WriteFailed(
            f"{path}: cannot write: {exc.strerror or exc}; the file was not changed"
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    # The new bytes are in place; making the rename durable is best effort, and a failure
    # here must not be reported as "not changed".
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)
    _remove_stale_temps(target)


STALE_TEMP_SECONDS = 3600  # a temp file this old belongs to no live writer


def _remove_stale_temps(target: Path) -> None:
    """Remove temp files that a killed writer of `target` left: only our own name pattern
    (`tempfile.mkstemp`'s eight characters), only regular files of ours, only old ones."""
    import re

    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
    cutoff = time.time() - STALE_TEMP_SECONDS
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if (
                    stat.S_ISREG(status.st_mode)
                    and status.st_mtime < cutoff
                    and (uid is None or status.st_uid == uid)
                ):
                    os.unlink(entry.path)


def write_files(directory: Path, files: Mapping[str, str]) -> None:
    """Write `files` ({relative path: text}) under `directory`, each file atomically.

    The directory is made if missing; nothing else in it is touched, let alone deleted.
    """
    if directory.exists() and not directory.is_dir():
        raise WriteFailed(f"{directory}: exists and is not a directory; nothing was written")
    for relative in files:
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts:
            raise ValueError(f"not a path inside the directory: {relative!r}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for folder in sorted({(directory / r).parent for r in files}):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(f"{directory}: cannot write: {exc.strerror or exc}") from None
    for relative, text in files.items():
        write_atomic(directory / relative, text.encode("utf-8"))


def save(dataset: Dataset, path: Path) -> None:
    """Write `dataset` to `path` atomically, in canonical form."""
    write_atomic(path, dumps(dataset))


# ----------------------------------------------------------------- locking, updates


def state_dir() -> Path:
    """unionstate's own state directory: locks and the undo journal, never in the user's tree.

    `$UNIONSTATE_STATE_DIR`, else `$XDG_STATE_HOME/unionstate` (`~/.local/state/unionstate`),
    or the platform's equivalent.
    """
    explicit = os.environ.get("UNIONSTATE_STATE_DIR")
    if explicit:
        return Path(explicit)
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else Path.home()) / "unionstate" / "State"
    xdg = os.environ.get("XDG_STATE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state") / "unionstate"


def file_key(path: Path) -> str:
    """A name for a data file in the state directory: its name and a hash of its real path."""
    import hashlib

    target = path.resolve()
    digest = hashlib.sha256(os.fsencode(target)).hexdigest()[:24]
    return f"{target.name}-{digest}"


def lock_path(path: Path) -> Path:
    """The lock file of a data file: in the state directory, keyed by the file's real path.

    Outside the user's tree, so `git add .` never picks it up; every process of the user
    that updates the same file (through any path or symlink to it) takes the same lock.
    Never the data file itself, never deleted. Its directory is made if missing; where the
    state directory cannot be made (a read-only or missing home), the lock is a sidecar
    `NAME.lock` beside the data file, as before.
    """
    locks = state_dir() / "locks"
    try:
        locks.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        target = path.resolve()
        return target.with_name(target.name + ".lock")
    return locks / f"{file_key(path)}.lock"


def _lock_timeout() -> float:
    try:
        timeout = float(os.environ.get("UNIONSTATE_LOCK_TIMEOUT", LOCK_TIMEOUT))
    except ValueError:
        return LOCK_TIMEOUT
    return timeout if math.isfinite(timeout) and timeout >= 0 else LOCK_TIMEOUT


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on `path` (Busy after `timeout` seconds)."""
    timeout = _lock_timeout() if timeout is None else timeout
    lock_file = lock_path(path)
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WriteFailed(
            f"{lock_file}: cannot create the lock file: {exc.strerror or exc}"
        ) from None
    try:
        _acquire(fd, lock_file, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock; a killed process's too


if os.name == "posix":
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # e.g. ENOLCK on NFS: the file cannot be locked at all
            raise WriteFailed(f"cannot lock the data file: {exc.strerror or exc}") from None
        return True

else:  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True


def _acquire(fd: int, lock_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise Busy(
                f"{lock_file}: another unionstate process holds the lock "
                f"(waited {timeout:g}s); try again"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


class Change(Protocol):
    """What a change to the data file returns: at least the new dataset."""

    @property
    def dataset(self) -> Dataset:
        """The dataset to write."""
        ...


ChangeT = TypeVar("ChangeT", bound=Change)


def update(path: Path, change: Callable[[Dataset], ChangeT]) -> ChangeT:
    """Read, change and write the data file under its lock; all or nothing.

    `change` gets the freshly read dataset and returns its result, whose `dataset` is the
    new state (it may raise to refuse); `update` returns that result. When the new state
    serialises to the same bytes, the file is not rewritten.
    """
    try:
        path.stat()
    except OSError:
        read_bytes(path)  # the same DataError ("no such file", ...) as every reading command
    with locked(path):
        raw, status = _read(path)
        content = cache.digest(raw)  # all that is needed of the old bytes after loading
        with _gc_paused():
            # No cache entry for bytes about to be replaced; the new ones get one below.
            before = _load_cached(path, raw, status, remember=False)
            result = change(before)
            data, plain = _dumps(result.dataset)
        written = cache.digest(data)
        if written == content:
            return result
        if len(data) > MAX_BYTES:
            # Written, the file could never be read again (not even to undo this).
            raise Refused(
                f"{path}: the change would make the file {len(data):,} bytes, over the "
                f"{MAX_BYTES:,}-byte limit; nothing was written"
            )
        write_atomic(path, data, expect=content)
        _journal(path, raw, written, before, result.dataset)
        del raw
        if plain is not None:
            del data
            _remember(path, written, plain)
        return result


def _journal(path: Path, raw: bytes, written: str, before: Dataset, after: Dataset) -> None:
    """Record the change for `unionstate undo` (best effort: the new bytes are in place)."""
    from unionstate import journal

    journal.record(path, raw, written, before, after)


def _remember(path: Path, content: str, plain: dict[str, Any]) -> None:
    """Cache the plain data of the file just written, so the next command need not parse it."""
    try:
        status = path.resolve().stat()
        code = _code()
    except OSError:
        return
    cache.store(path, status, content, code, lambda: plain_json(plain))


# ------------------------------------------------------------ which data file is used


@dataclass(frozen=True)
class DataFile:
    """The data file a command works on, and why it was chosen."""

    path: Path
    origin: str  # "--data", "UNIONSTATE_DATA", "tree", "user", "bundled"
    # Where the search up the tree stopped because a directory is not the user's (or "").
    stopped_at: str = ""

    @property
    def writable(self) -> bool:
        """False for the copy bundled with the package, which is never written."""
        return self.origin != "bundled"


def bundled_path() -> Path:
    """The dataset shipped with the package (the source tree's file in a checkout)."""
    packaged = Path(__file__).parent / "_data" / DATA_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "data" / DATA_NAME


def _owned(path: Path, uid: int | None) -> bool:
    """Whether `path` belongs to `uid` (always true where files have no owner)."""
    if uid is None:
        return True
    try:
        return path.stat().st_uid == uid
    except OSError:
        return False


def find_data_file(
    flag: str | None,
    env: Mapping[str, str],
    cwd: Path,
    user_dir: Path,
    uid: int | None = None,
) -> DataFile:
    """Pick the data file: --data, then $UNIONSTATE_DATA, then ./data up the tree, user, bundled.

    The search up the tree stops at the first directory that `uid` (default: the
    effective user) does not own, as git does: a file planted in a shared parent
    (`/tmp/data/roadmaps.yaml`, `/home/data/...`) must not win over the user's own copy.
    """
    if flag:
        return DataFile(Path(flag), "--data")
    if env.get("UNIONSTATE_DATA"):
        return DataFile(Path(env["UNIONSTATE_DATA"]), "UNIONSTATE_DATA")
    if uid is None and hasattr(os, "geteuid"):
        uid = os.geteuid()
    stopped_at = ""
    for directory in (cwd, *cwd.parents):
        if not _owned(directory, uid):
            stopped_at = str(directory)
            break
        candidate = directory / "data" / DATA_NAME
        if candidate.is_file() and _owned(candidate.parent, uid) and _owned(candidate, uid):
            return DataFile(candidate, "tree")
    user_copy = user_dir / DATA_NAME
    if user_copy.is_file():
        return DataFile(user_copy, "user", stopped_at)
    return DataFile(bundled_path(), "bundled", stopped_at)
