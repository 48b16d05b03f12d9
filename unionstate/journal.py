"""The undo journal: the recent changes unionstate made to each data file, and their undoing.

Kept in unionstate's state directory (`store.state_dir()`, never in the user's tree), one
directory per data file keyed by its real path: `entries.json` lists the last
`MAX_ENTRIES` changes (when, a one-line description, the SHA-256 of the bytes before and
after), and each change's *before* bytes are kept beside it, compressed, named by their
hash. Older entries and the bytes only they needed are pruned on every write, and only the
`MAX_FILES` most recently changed data files keep a journal, so it never grows without
bound.

Recording is best effort (the data file is already written when it runs): a journal that
cannot be written only means that change cannot be undone. `undo` reverts the newest entry
only when the file still holds exactly the bytes that change wrote, so a later hand edit or
`git checkout` is never overwritten; the undo is recorded like any change, so it can itself
be undone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from unionstate import cache, store
from unionstate.errors import Refused, UnionStateError
from unionstate.models import Dataset

MAX_ENTRIES = 20  # changes kept per data file
MAX_FILES = 32  # data files with a journal; the least recently changed go first


@dataclass(frozen=True)
class Entry:
    """One recorded change of a data file."""

    id: int
    time: str  # local time, ISO 8601 to the second
    description: str
    before: str  # SHA-256 of the file's bytes before the change
    after: str  # ... and after it
    undoes: int | None = None  # the entry this one reverted, for an undo


def _directory(path: Path) -> Path:
    return store.state_dir() / "journal" / store.file_key(path)


def entries(path: Path) -> list[Entry]:
    """The recorded changes of the data file at `path`, oldest first ([] if none)."""
    try:
        raw = json.loads((_directory(path) / "entries.json").read_text(encoding="utf-8"))
        return [Entry(**item) for item in raw["entries"]]
    except (OSError, ValueError, TypeError, KeyError):
        return []  # no journal, or a damaged one: nothing to undo


def record(path: Path, before: bytes, after: str, old: Dataset, new: Dataset) -> None:
    """Journal a change that `store.update` has just written (best effort, never raises)."""
    from unionstate import diff

    with contextlib.suppress(OSError, ValueError, UnionStateError):
        description = diff.describe(diff.changes(old, new))
        _append(path, before, cache.digest(before), after, description, None)


def _append(
    path: Path, raw: bytes, before: str, after: str, description: str, undoes: int | None
) -> Entry:
    directory = _directory(path)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    blob = directory / f"{before}.z"
    if not blob.exists():
        store.write_atomic(blob, zlib.compress(raw, 1))
    known = entries(path)
    entry = Entry(
        id=known[-1].id + 1 if known else 1,
        time=_now(),
        description=description,
        before=before,
        after=after,
        undoes=undoes,
    )
    kept = [*known, entry][-MAX_ENTRIES:]
    document = {"path": str(path.resolve()), "entries": [asdict(e) for e in kept]}
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    store.write_atomic(directory / "entries.json", text.encode("utf-8"))
    _prune(directory, {e.before for e in kept})
    return entry


def _now() -> str:
    """Local time to the second; SOURCE_DATE_EPOCH fixes it (reproducible examples)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = time.gmtime(int(fixed)) if fixed.isdigit() else time.localtime()
    return time.strftime("%Y-%m-%dT%H:%M:%S", when)


def _prune(directory: Path, needed: set[str]) -> None:
    """Drop the bytes no kept entry needs, and the journals of long-unchanged data files."""
    for blob in directory.glob("*.z"):
        if blob.stem not in needed:
            with contextlib.suppress(OSError):
                blob.unlink()
    journals = [d for d in directory.parent.iterdir() if d.is_dir()]
    if len(journals) > MAX_FILES:
        journals.sort(key=lambda d: d.stat().st_mtime)
        for old in journals[: len(journals) - MAX_FILES]:
            shutil.rmtree(old, ignore_errors=True)


def last(path: Path) -> Entry:
    """The change `undo` would revert now, or Refused saying why there is none."""
    known = entries(path)
    if not known:
        raise Refused(f"nothing to undo: no change made through unionstate to {path} is recorded")
    entry = known[-1]
    current = cache.digest(store.read_bytes(path))
    if current != entry.after:
        raise Refused(
            f"{path} was changed by something else since the last change made through "
            f"unionstate ({entry.description}; {entry.time}), so that change cannot be "
            "undone safely; nothing was changed"
        )
    return entry


def undo(path: Path, expected: Entry) -> Entry:
    """Revert `expected` (the newest entry) under the lock; the undo is journaled too."""
    with store.locked(path):
        entry = last(path)
        if entry != expected:
            raise Refused(f"{path}: another change was recorded meanwhile; nothing was undone")
        try:
            restored = zlib.decompress((_directory(path) / f"{entry.before}.z").read_bytes())
        except (OSError, zlib.error):
            raise Refused(
                f"the journal no longer holds the bytes to restore for: {entry.description}"
            ) from None
        if cache.digest(restored) != entry.before:
            raise Refused(f"the journal's copy for {entry.description!r} is damaged")
        current = store.read_bytes(path)
        store.write_atomic(path, restored, expect=entry.after)
        with contextlib.suppress(OSError, UnionStateError):
            return _append(
                path, current, entry.after, entry.before, f"undo: {entry.description}", entry.id
            )
        return entry


def as_json(entry: Entry) -> dict[str, Any]:
    """An entry as a JSON object."""
    return asdict(entry)
