"""The disk: safe reads, atomic writes, locks, and unionstate's own directories.

Everything that touches the filesystem asks this module. A read takes only a regular file,
never blocks on a FIFO and stops at a size cap. A write replaces a file atomically (a temp
file in the same directory, fsync, rename), or writes into a file it must not replace.
unionstate's own directories (state: locks and the undo journal; cache) are found here,
made private, and never made by root inside a directory root does not own, so that `sudo`
with a user's HOME leaves nothing root-owned there. The one rule for removing anything:
only names of our own pattern, only regular files of ours (`prune`); nothing is ever
removed recursively.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import stat
import sys
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

from unionstate.errors import Busy, DataError, Refused, WriteFailed

LOCK_TIMEOUT = 10.0  # seconds; UNIONSTATE_LOCK_TIMEOUT overrides
STALE_TEMP_SECONDS = 3600  # a temp file this old belongs to no live writer


def digest(raw: bytes) -> str:
    """The SHA-256 of some bytes, in hex: how files are compared and cache entries keyed."""
    return hashlib.sha256(raw).hexdigest()


# ------------------------------------------------------------------------ ownership


def _uid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def owned(status: os.stat_result, uid: int | None = None) -> bool:
    """Whether a file belongs to `uid` (default: this process's user; always true where
    files have no owner)."""
    uid = _uid() if uid is None else uid
    return uid is None or status.st_uid == uid


def private(status: os.stat_result) -> bool:
    """Ours, and writable by nobody else: the only files we trust what we wrote in."""
    return owned(status) and not status.st_mode & 0o022


def owned_path(path: Path, uid: int | None = None) -> bool:
    """`owned` for a path (False if it cannot be looked at)."""
    try:
        return owned(path.stat(), uid)
    except OSError:
        return False


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


# ---------------------------------------------------------------------------- reads


def too_big(name: str, size: int, limit: int) -> DataError:
    """The error for a file over a size cap."""
    return DataError([f"{name}: file is {size:,} bytes, over the {limit:,}-byte limit"])


def _check_regular(path: Path, status: os.stat_result, limit: int | None) -> None:
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise DataError([f"{path}: is a directory, not a data file"])
    if not stat.S_ISREG(mode):
        raise DataError([f"{path}: is {file_kind(mode)}, not a regular file; nothing was read"])
    if limit is not None and status.st_size > limit:
        raise too_big(str(path), status.st_size, limit)


def read_regular(
    path: Path, limit: int | None, *, follow: bool = True
) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes (at most `limit` + 1 of them; None: all) and its status as of
    the read.

    Only a regular file is read: a FIFO would block the read forever, a device could be
    endless. The file is opened without blocking and checked again through the open
    descriptor, so a file swapped for a FIFO after the first look is refused too. With
    `follow` False a symlink is refused as well. FileNotFoundError passes through (the
    caller says what a missing file means); anything else is a DataError.
    """
    try:
        status = path.stat() if follow else path.lstat()
        _check_regular(path, status, limit)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        if not follow:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(fd)
            _check_regular(path, status, limit)
            return handle.read(-1 if limit is None else limit + 1), status
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise DataError([f"{path}: is a directory, not a data file"]) from None
    except PermissionError:
        raise DataError([f"{path}: permission denied"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except (RuntimeError, ValueError) as exc:  # a symlink loop on old Pythons; a NUL byte
        raise DataError([f"{path}: cannot read: {exc}"]) from None


# --------------------------------------------------------------------------- writes


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: Path, data: bytes, expect: str | None = None, *, follow: bool = True
) -> None:
    """Replace `path` with `data` so that a reader sees the old bytes or the new, never a mix.

    With `expect` (the `digest` of the bytes the caller read), the file is checked once
    more just before the rename, so that a hand edit saved meanwhile is never lost. With
    `follow` False a symlink at `path` is refused, never written through.
    """
    target, mode, owner = _target(path, follow)
    tmp = None
    try:
        tmp = _temp(target, data, mode, owner)
        if expect is not None and digest(_current(target)) != expect:
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
    _settle(target)


def write_all(items: list[tuple[Path, bytes]], *, follow: bool = True) -> None:
    """`write_atomic` for many files at once: every target checked, then every new file
    written and fsynced beside its target, then all renamed in one go, so that an error
    or an interrupt before the renames leaves every old file (and no temp file) behind."""
    prepared = [(_target(path, follow), data) for path, data in items]
    temps: list[tuple[str | None, Path]] = []
    try:
        for (target, mode, owner), data in prepared:
            temps.append((_temp(target, data, mode, owner), target))
        for index, (tmp, target) in enumerate(temps):
            assert tmp is not None
            os.replace(tmp, target)
            temps[index] = (None, target)
    except OSError as exc:
        done = sum(tmp is None for tmp, _ in temps)
        kept = "no file was changed" if not done else f"{done} of {len(items)} files were"
        raise WriteFailed(
            f"{exc.filename or 'a file'}: cannot write: {exc.strerror or exc}; {kept}"
        ) from None
    finally:
        for tmp, _ in temps:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    for folder in {target.parent for _, target in temps}:
        _settle_dir(folder)
    for _, target in temps:
        prune(target.parent, temp_pattern(target.name), older_than=STALE_TEMP_SECONDS)


def _target(path: Path, follow: bool) -> tuple[Path, int, tuple[int, int] | None]:
    """The file a write to `path` replaces, the mode and owner to give the new one; refuses
    what must not be renamed over."""
    owner: tuple[int, int] | None = None
    try:
        # Through a symlink: the link stays a link, the target changes.
        target = path.resolve() if follow else path
        status = target.stat() if follow else target.lstat()
        if stat.S_ISLNK(status.st_mode):
            raise Refused(f"{path}: is a symbolic link; nothing is written through it")
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
    return target, mode, owner


def _temp(target: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> str:
    """A temp file beside `target` holding `data`, fsynced, with `target`'s mode and owner."""
    import tempfile  # only a write needs it

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown"):
            # Keep a shared file's owner and group; only root may give a file away.
            with contextlib.suppress(OSError):
                os.chown(tmp, *owner)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _settle(target: Path) -> None:
    _settle_dir(target.parent)
    prune(target.parent, temp_pattern(target.name), older_than=STALE_TEMP_SECONDS)


def _settle_dir(directory: Path) -> None:
    # The new bytes are in place; making the rename durable is best effort, and a failure
    # here must not be reported as "not changed".
    with contextlib.suppress(OSError):
        _fsync_dir(directory)


def _current(target: Path) -> bytes:
    """What `target` holds now, for the last check before a rename (b"" if it is gone)."""
    try:
        return read_regular(target, None)[0]
    except FileNotFoundError:
        return b""


def temp_pattern(name: str) -> re.Pattern[str]:
    """The names of `write_atomic`'s temp files for a file called `name` (`mkstemp`'s eight
    characters)."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")


MARKER = ".unionstate-report"  # in a folder `write_files` made, or was allowed to write into
_MARKER_TEXT = (
    "This folder holds pages written by `unionstate report`, which replaces the files here\n"
    "of its own names on every run. Remove this file to protect the folder from it.\n"
)


def write_files(directory: Path, files: Mapping[str, str], *, force: bool = False) -> None:
    """Write `files` ({relative path: text}) under `directory`, each file atomically.

    Only into a folder of its own: one it makes, an empty one, or one holding its `MARKER`
    from an earlier run (`force`: any folder, which then gets the marker). No symbolic link
    below `directory` is ever followed: one in the way is refused, naming it, before
    anything is written. Under a lock, every page is written beside its old self first and
    then all are renamed at once (`write_all`): a failed or interrupted run leaves the old
    site, and a killed one's temp files are removed by the next. Nothing else in the folder
    is touched, let alone deleted.
    """
    for relative in files:
        parts = Path(relative).parts
        if not parts or Path(relative).is_absolute() or ".." in parts or MARKER in parts:
            raise ValueError(f"not a path inside the directory: {relative!r}")
    if directory.exists() and not directory.is_dir():
        raise WriteFailed(f"{directory}: exists and is not a directory; nothing was written")
    for relative in (MARKER, *files):
        _check_no_link(directory, Path(relative))
    _check_own_folder(directory, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for folder in sorted({(directory / r).parent for r in files}):
            _mkdirs(directory, folder)
    except OSError as exc:
        raise WriteFailed(f"{directory}: cannot write: {exc.strerror or exc}") from None
    marker = directory / MARKER
    items = [(directory / relative, text.encode("utf-8")) for relative, text in files.items()]
    with locked(marker):
        for path in (marker, *(path for path, _ in items)):
            prune(path.parent, temp_pattern(path.name))  # a killed run's: none is live now
        write_atomic(marker, _MARKER_TEXT.encode("utf-8"), follow=False)  # first: ours now
        write_all(items, follow=False)


def _check_own_folder(directory: Path, force: bool) -> None:
    """Refuse a folder that holds anything but our marker's pages, unless `force`."""
    try:
        status = directory.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteFailed(f"{directory}: cannot write: {exc.strerror or exc}") from None
    if force or not stat.S_ISDIR(status.st_mode):
        return
    try:
        marker = (directory / MARKER).lstat()
        if stat.S_ISREG(marker.st_mode) and owned(marker):
            return
    except OSError:
        pass
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise WriteFailed(f"{directory}: cannot write: {exc.strerror or exc}") from None
    if names:
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        raise Refused(
            f"{directory}: holds files the report did not write ({shown}); nothing was "
            "written: choose a new or empty folder, or use --force to write into this one"
        )


def _check_no_link(directory: Path, relative: Path) -> None:
    """Refuse a symbolic link at `relative` or at any folder on the way to it."""
    current = directory
    for part in relative.parts:
        current = current / part
        try:
            status = current.lstat()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise WriteFailed(f"{current}: cannot write: {exc.strerror or exc}") from None
        if stat.S_ISLNK(status.st_mode):
            try:
                target = os.readlink(current)
            except OSError:
                target = "?"
            raise Refused(
                f"{current}: is a symbolic link (to {target}); the report never writes "
                "through a link; nothing was written"
            )


def _mkdirs(directory: Path, folder: Path) -> None:
    """Make `folder` and the folders between it and `directory`, following no link."""
    current = directory
    for part in folder.relative_to(directory).parts:
        current = current / part
        with contextlib.suppress(FileExistsError):
            current.mkdir()
        if current.is_symlink() or not current.is_dir():
            raise OSError(f"{current} is not a folder of ours")


def prune(
    directory: Path,
    pattern: re.Pattern[str],
    *,
    keep_newest: int | None = None,
    older_than: float | None = None,
    spare: Collection[str] = (),
) -> None:
    """Remove files of ours in `directory` whose names match `pattern`, best effort.

    Only regular files of this user whose whole name matches (never a directory, never a
    link, never anything of someone else's), except those named in `spare`; of those, the
    ones older than `older_than` seconds, or all but the `keep_newest` most recently
    modified, or (neither given) all.
    """
    found: list[tuple[int, str]] = []
    cutoff = None if older_than is None else time.time_ns() - int(older_than * 10**9)
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not pattern.fullmatch(entry.name) or entry.name in spare:
                continue
            with contextlib.suppress(OSError):
                status = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and owned(status):
                    found.append((status.st_mtime_ns, entry.path))
    if keep_newest is not None:
        found.sort(reverse=True)
        doomed = [path for _, path in found[keep_newest:]]
    else:
        doomed = [path for mtime, path in found if cutoff is None or mtime < cutoff]
    for path in doomed:
        with contextlib.suppress(OSError):
            os.unlink(path)


def scratch_copy(name: str, data: bytes) -> Path:
    """A private copy of `data` called `name` in a new directory of its own (mode 0700),
    for the user's editor; `remove_scratch` takes it away again."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="unionstate-edit-"))
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def remove_scratch(path: Path) -> None:
    """Remove a `scratch_copy`, and the editor's backups of it (`name~`), then its directory
    if that leaves it empty; best effort, nothing else is touched."""
    prune(path.parent, re.compile(re.escape(path.name) + "~?"))
    with contextlib.suppress(OSError):
        path.parent.rmdir()


# ------------------------------------------------------------------ our directories


def state_dir() -> Path:
    """unionstate's own state directory: locks and the undo journal, never in the user's tree.

    `$UNIONSTATE_STATE_DIR`, else `$XDG_STATE_HOME/unionstate` (`~/.local/state/unionstate`),
    or the platform's equivalent. A relative path in either is ignored, as the XDG spec
    says: the state of a data file must not depend on the directory a command runs in.
    """
    explicit = os.environ.get("UNIONSTATE_STATE_DIR", "")
    if os.path.isabs(explicit):
        return Path(os.path.normpath(explicit))
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else Path.home()) / "unionstate" / "State"
    xdg = os.environ.get("XDG_STATE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state") / "unionstate"


def cache_dir() -> Path | None:
    """The parse cache's directory, or None when the cache is off (`UNIONSTATE_CACHE=0`).

    `$UNIONSTATE_CACHE_DIR`, else `$XDG_CACHE_HOME/unionstate` (`~/.cache/unionstate`), or
    the platform's equivalent; a relative path in either is ignored (see `state_dir`).
    """
    if os.environ.get("UNIONSTATE_CACHE", "1").strip().lower() in ("0", "off", "no", "false"):
        return None
    explicit = os.environ.get("UNIONSTATE_CACHE_DIR", "")
    if os.path.isabs(explicit):
        return Path(os.path.normpath(explicit))
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "unionstate" / "Cache" if base else None
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        return Path.home() / "Library" / "Caches" / "unionstate"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "unionstate"


def may_create(directory: Path) -> bool:
    """Whether unionstate may create `directory` (and its missing parents).

    Anything an ordinary user creates is theirs, and permissions keep them out of other
    people's directories. Root is kept out by hand: it creates a directory only inside one
    that root owns, so that `sudo` with a user's HOME leaves nothing root-owned there.
    """
    if _uid() != 0:
        return True
    for parent in (directory, *directory.parents):
        try:
            return parent.stat().st_uid == 0
        except FileNotFoundError:
            continue
    return False


def private_dir(directory: Path) -> bool:
    """Make `directory` if missing and allowed (mode 0700); whether it is now a directory
    of ours that nobody else may write (only such a directory holds our state)."""
    try:
        if not directory.is_dir():
            if not may_create(directory):
                return False
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = directory.stat()
        return stat.S_ISDIR(status.st_mode) and private(status)
    except OSError:
        return False


def file_key(path: Path) -> str:
    """A name for a data file in our directories: its name and a hash of its real path."""
    return real_path_key(path.resolve())


def real_path_key(target: Path) -> str:
    """`file_key` of a path that is already resolved (as our own records keep it)."""
    return f"{target.name}-{digest(os.fsencode(target))[:24]}"


# ---------------------------------------------------------------------------- locks


def lock_path(path: Path) -> Path:
    """The lock file of a data file: in the state directory, keyed by the file's real path.

    Outside the user's tree, so `git add .` never picks it up; every process of the user
    that updates the same file (through any path or symlink to it) takes the same lock.
    Never the data file itself, never deleted. Where the state directory cannot be ours
    (a read-only or missing home, root with a user's HOME), the lock is a sidecar
    `NAME.lock` beside the data file.
    """
    locks = state_dir() / "locks"
    if not private_dir(locks):
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
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
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
