"""The data file: find it, load it (through the cache), save it, update it under its lock.

Loading is strict (`yamlfile.loads`, after a size cap): every problem comes back as one
line `FILE:LINE:COL: record: field: what was expected`. A file the cache has already
validated is rebuilt from the cache without parsing it, and without importing PyYAML,
pydantic or `yamlfile` at all: that keeps a read close to the import floor.

Saving is deterministic and atomic: the same dataset always gives the same bytes, and
the file on disk is always either the old bytes or the new bytes (`files.write_atomic`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from unionstate import cache, files
from unionstate.errors import DataError, Refused
from unionstate.models import Dataset
from unionstate.plain import plain_json, to_plain, trusted

MAX_BYTES = 32 * 1024 * 1024
DATA_NAME = "roadmaps.yaml"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building large acyclic data (restored after).

    Loading thousands of records allocates millions of objects, and each full collection
    on the way rescans all of them: pausing it more than halves the time of a large load.
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
        raise files.too_big(name, len(raw), MAX_BYTES)
    from unionstate import yamlfile

    with _gc_paused():
        return yamlfile.loads(raw, name)


def loads_versions(versions: list[tuple[bytes, str]]) -> list[Dataset]:
    """Validate versions of one file (bytes, name), as `loads` does each; DataError lists
    every problem of every version."""
    loaded: list[Dataset] = []
    problems: list[str] = []
    for raw, name in versions:
        try:
            loaded.append(loads(raw, name))
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return loaded


def read_bytes(path: Path) -> bytes:
    """The data file's bytes, or a DataError saying why they cannot be read."""
    return _read(path)[0]


def _read(path: Path) -> tuple[bytes, os.stat_result]:
    try:
        return files.read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        raise DataError([f"{path}: no such file (run `unionstate init` to create one)"]) from None


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
        names = ("store", "yamlfile", "cache", "models", "checks", "plain")
        sources = [here / f"{name}.py" for name in names]
        # Each holds its package's version; pydantic pins the pydantic-core it runs on.
        sources += [_source_of("yaml", "__init__.py"), _source_of("pydantic", "version.py")]
        _CODE.append(cache.fingerprint(*(path.read_bytes() for path in sources)))
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
    `plain.trusted`, so that neither YAML parsing nor pydantic is needed to read a file
    again. A damaged entry is a miss.
    """
    if len(raw) > MAX_BYTES or not stat.S_ISREG(status.st_mode):
        return loads(raw, str(path))
    try:
        content, code = files.digest(raw), _code()
    except OSError:  # the package's own sources are unreadable: no caching
        return loads(raw, str(path))
    cached = cache.lookup(path, status, content, code)
    if cached is not None:
        with contextlib.suppress(Exception):  # any surprise in the entry is a miss
            # Neither the file's bytes nor the entry's are needed once it is parsed.
            del raw
            plain, cached = json.loads(cached), None
            return trusted(plain)
        # A damaged entry: parse the file after all, and cache it only if it is unchanged.
        raw = read_bytes(path)
        remember = remember and files.digest(raw) == content
    dataset = loads(raw, str(path))
    if remember:
        cache.store(path, status, content, code, lambda: plain_json(to_plain(dataset)))
    return dataset


def dumps(dataset: Dataset) -> bytes:
    """Canonical bytes for `dataset`: a fixed header, then block YAML, one value per line."""
    from unionstate import yamlfile

    with _gc_paused():
        return yamlfile.dump(dataset)


def save(dataset: Dataset, path: Path) -> None:
    """Write `dataset` to `path` atomically, in canonical form."""
    files.write_atomic(path, dumps(dataset))


# ------------------------------------------------------------------------- updates


class Change(Protocol):
    """What a change to the data file returns: at least the new dataset."""

    @property
    def dataset(self) -> Dataset:
        """The dataset to write."""
        ...


ChangeT = TypeVar("ChangeT", bound=Change)

# Told, still under the lock, what was written: the old bytes, the digest of the new ones,
# and the datasets before and after (the undo journal records the change this way).
Written = Callable[[bytes, str, Dataset, Dataset], None]


def update(
    path: Path, change: Callable[[Dataset], ChangeT], written: Written | None = None
) -> ChangeT:
    """Read, change and write the data file under its lock; all or nothing.

    `change` gets the freshly read dataset and returns its result, whose `dataset` is the
    new state (it may raise to refuse); `update` returns that result. When it is the same
    dataset, or serialises to the same bytes, the file is not rewritten. `written` is called, under
    the lock, once the new bytes are in place.
    """
    try:
        path.stat()
    except OSError:
        read_bytes(path)  # the same DataError ("no such file", ...) as every reading command
    with files.locked(path):
        raw, status = _read(path)
        content = files.digest(raw)  # all that is needed of the old bytes after loading
        with _gc_paused():
            # No cache entry for bytes about to be replaced; the new ones get one below.
            before = _load_cached(path, raw, status, remember=False)
            result = change(before)
            if result.dataset is before:  # no change: an older schema is not rewritten either
                return result
            data = dumps(result.dataset)
        new = files.digest(data)
        if new == content:
            return result
        if len(data) > MAX_BYTES:
            # Written, the file could never be read again (not even to undo this).
            raise Refused(
                f"{path}: the change would make the file {len(data):,} bytes, over the "
                f"{MAX_BYTES:,}-byte limit; nothing was written"
            )
        files.write_atomic(path, data, expect=content)
        if written is not None:
            written(raw, new, before, result.dataset)
        del raw, data
        _remember(path, new, result.dataset)
        return result


def _remember(path: Path, content: str, dataset: Dataset) -> None:
    """Cache the dataset just written, so the next command need not parse it."""
    try:
        status = path.resolve().stat()
        code = _code()
    except OSError:
        return
    cache.store(path, status, content, code, lambda: plain_json(to_plain(dataset)))


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


def find_data_file(
    flag: str | None,
    env: Mapping[str, str],
    cwd: Path | None,
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
    stopped_at = ""
    for directory in () if cwd is None else (cwd, *cwd.parents):
        if not files.owned_path(directory, uid):
            stopped_at = str(directory)
            break
        candidate = directory / "data" / DATA_NAME
        if (
            candidate.is_file()
            and files.owned_path(candidate.parent, uid)
            and files.owned_path(candidate, uid)
        ):
            return DataFile(candidate, "tree")
    user_copy = user_dir / DATA_NAME
    if user_copy.is_file():
        return DataFile(user_copy, "user", stopped_at)
    return DataFile(bundled_path(), "bundled", stopped_at)
