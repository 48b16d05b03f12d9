"""The undo journal: the recent changes unionstate made to each data file, and their undoing.

Kept in unionstate's state directory (`files.state_dir()`, never in the user's tree), one
directory per data file keyed by its real path: `entries.json` lists the last
`MAX_ENTRIES` changes (when, a one-line description, the SHA-256 of the bytes before and
after), and each change's *before* bytes are kept beside it, compressed, named by their
hash. Older entries and the bytes only they needed are pruned on every write, and only the
`MAX_FILES` most recently changed data files keep a journal, so it never grows without
bound. Only files of the journal's own names are ever removed (`files.prune`), and a
journal's directory only once it is empty: nothing else in the state directory is touched.
Its own files are read as any file is (`files.read_regular`): a FIFO or an oversized file
in their place is a damaged journal, never a hang.

`update` is `store.update` with the change journaled, still under the lock. Recording is
best effort (the data file is already written when it runs): a journal that
cannot be written only means that change cannot be undone.

`undo` steps back through the changes, one more each time (`stacks`: the changes still
applied, newest last, and those undone); `redo` puts back the last one undone, and a new
change forgets what was undone (as in an editor, or Taskwarrior). Each step is recorded
like any change (`undoes` / `redoes` naming the entry), and reverts only when the file
still holds exactly the bytes the step expects, so a later hand edit or `git checkout` is
never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from unionstate import files, store
from unionstate.errors import Refused, UnionStateError
from unionstate.models import Dataset
from unionstate.store import ChangeT

MAX_ENTRIES = 20  # changes kept per data file
MAX_FILES = 32  # data files with a journal; the least recently changed go first
MAX_INDEX_BYTES = 4 * 1024 * 1024  # entries.json is a few kilobytes
INDEX = "entries.json"
BLOB = re.compile(r"[0-9a-f]{64}\.z")  # a saved copy, named by the SHA-256 of its bytes
JOURNAL = re.compile(r".+-[0-9a-f]{24}")  # one data file's journal (`files.file_key`)
OURS = re.compile(
    rf"{re.escape(INDEX)}|{BLOB.pattern}|\.(?:{re.escape(INDEX)}|{BLOB.pattern})"
    r"\.[a-z0-9_]{8}\.tmp"
)


@dataclass(frozen=True)
class Entry:
    """One recorded change of a data file."""

    id: int
    time: str  # local time, ISO 8601 to the second
    description: str
    before: str  # SHA-256 of the file's bytes before the change
    after: str  # ... and after it
    undoes: int | None = None  # the entry this one reverted, for an undo
    redoes: int | None = None  # the entry this one put back, for a redo

    @property
    def step(self) -> bool:
        """An undo or a redo, not a change of its own."""
        return self.undoes is not None or self.redoes is not None


def _root() -> Path:
    return files.state_dir() / "journal"


def _directory(path: Path) -> Path:
    return _root() / files.file_key(path)


def entries(path: Path) -> list[Entry]:
    """The recorded changes of the data file at `path`, oldest first ([] if none)."""
    document = _document(_directory(path))
    return [] if document is None else document[1]


def _document(directory: Path) -> tuple[str, list[Entry]] | None:
    """A journal's index: the data file's path and its entries (None if missing or damaged,
    down to the type of each value)."""
    try:
        raw, _ = files.read_regular(directory / INDEX, MAX_INDEX_BYTES, follow=False)
        if len(raw) > MAX_INDEX_BYTES:
            return None
        document = json.loads(raw.decode("utf-8"))
        found = [_entry(item) for item in document["entries"]]
        if not isinstance(document["path"], str) or None in found:
            return None
        return document["path"], [e for e in found if e is not None]
    except (OSError, ValueError, TypeError, KeyError, RecursionError, UnionStateError):
        return None  # no journal, or a damaged one: nothing to undo


_TYPES = {"id": int, "time": str, "description": str, "before": str, "after": str}


def _entry(item: Any) -> Entry | None:
    """One entry of the index, if every field has its type (a damaged one: None)."""
    if not isinstance(item, dict) or set(item) - {*_TYPES, "undoes", "redoes"}:
        return None
    for name, kind in _TYPES.items():
        if type(item.get(name)) is not kind:
            return None
    for name in ("undoes", "redoes"):
        if item.get(name) is not None and type(item[name]) is not int:
            return None
    return Entry(**item)


def update(
    path: Path,
    change: Callable[[Dataset], ChangeT],
    notice: Callable[[str], None] | None = None,
) -> ChangeT:
    """`store.update`, with the change recorded for `unionstate undo`; `notice` hears of
    the hand comments the rewrite dropped (`dropped_comments`)."""

    def written(raw: bytes, after: str, old: Dataset, new: Dataset) -> None:
        record(path, raw, after, old, new)
        if notice is not None:
            message = dropped_comments(raw)
            if message:
                notice(message)

    return store.update(path, change, written)


def dropped_comments(raw: bytes) -> str | None:
    """The line saying that a rewrite of `raw` dropped its hand comments, or None."""
    from unionstate import yamlfile

    count = 0
    with contextlib.suppress(Exception):  # the file is written: a notice never fails it
        count = yamlfile.comment_lines(raw)
    if not count:
        return None
    lines = "line" if count == 1 else "lines"
    return (
        f"dropped {count} comment {lines} written by hand (the file keeps none): notes "
        "belong in `note:` fields (`unionstate note`) or a record's `notes:`"
    )


def record(path: Path, before: bytes, after: str, old: Dataset, new: Dataset) -> None:
    """Journal a change that has just been written (best effort, never raises)."""
    from unionstate import diff

    # The change is on disk already: nothing here may turn it into a failure (exit 70).
    with contextlib.suppress(Exception):
        description = diff.describe(diff.changes(old, new))
        replaced = files.digest(before)  # a newest undo that never landed is dropped
        _append(path, before, replaced, after, description, None, replaced)


def _append(
    path: Path,
    raw: bytes,
    before: str,
    after: str,
    description: str,
    undoes: int | None,
    current: str | None = None,
    redoes: int | None = None,
) -> Entry:
    directory = _directory(path)
    if not (files.private_dir(_root()) and files.private_dir(directory)):
        raise OSError(f"{directory}: cannot keep a journal there")
    blob = directory / f"{before}.z"
    if not blob.exists():
        files.write_atomic(blob, zlib.compress(raw, 1))
    known = entries(path) if current is None else _landed(entries(path), current)
    entry = Entry(
        id=known[-1].id + 1 if known else 1,
        time=_now(),
        description=description,
        before=before,
        after=after,
        undoes=undoes,
        redoes=redoes,
    )
    kept = _compact([*known, entry])
    document = {"path": str(path.resolve()), "entries": [_stored(e) for e in kept]}
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    files.write_atomic(directory / INDEX, text.encode("utf-8"))
    files.prune(directory, BLOB, spare={f"{e.before}.z" for e in kept})
    _prune_journals()
    return entry


def _stored(entry: Entry) -> dict[str, Any]:
    """An entry as the index keeps it: without `redoes` unless it is a redo, so that an
    index without redo steps still reads as a journal to an older unionstate."""
    item = asdict(entry)
    if item["redoes"] is None:
        del item["redoes"]
    return item


def _target(entry: Entry) -> int | None:
    return entry.undoes if entry.undoes is not None else entry.redoes


def _compact(known: list[Entry]) -> list[Entry]:
    """The journal to keep: the newest MAX_ENTRIES changes and their undo and redo steps,
    less each step that a later opposite step of the same change cancelled (undo and redo
    are last-in first-out, so such a pair encloses only steps that cancel too), and never
    the newest entry (`diff --last`, `_landed`). Bounded however often one toggles."""
    out = list(known)
    i = 0
    while i < len(out) - 1:
        first = out[i]
        if first.step:
            for j in range(i + 1, len(out) - 1):
                later = out[j]
                if later.step and _target(later) == _target(first):
                    if (later.undoes is None) != (first.undoes is None):  # opposite kinds
                        del out[j], out[i]
                        i = -1
                    break
        i += 1
    changes = {e.id for e in [e for e in out if not e.step][-MAX_ENTRIES:]}
    return [e for e in out if e.id in changes or _target(e) in changes or e is out[-1]]


def _now() -> str:
    """Local time to the second; SOURCE_DATE_EPOCH fixes it (reproducible examples)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = time.localtime()
    if fixed.isascii() and fixed.isdigit():
        with contextlib.suppress(OverflowError, OSError, ValueError):  # out of range: now
            when = time.gmtime(int(fixed))
    return time.strftime("%Y-%m-%dT%H:%M:%S", when)


def _prune_journals() -> None:
    """Keep the journals of the MAX_FILES most recently changed data files.

    Only directories we made: of the journal's name pattern, private to us, and holding an
    index of ours that names the data file the directory is named after (`files.file_key`).
    In each, only files of its own names; the directory itself only once that has emptied
    it. Anything else in the state directory, whatever its name, is never touched.
    """
    journals = []
    with contextlib.suppress(OSError):
        for item in os.scandir(_root()):
            with contextlib.suppress(OSError):
                status = item.stat(follow_symlinks=False)
                ours = JOURNAL.fullmatch(item.name) and files.private(status)
                if ours and stat.S_ISDIR(status.st_mode) and _made_by_us(Path(item.path)):
                    journals.append((status.st_mtime_ns, Path(item.path)))
    journals.sort(reverse=True)
    for _, old in journals[MAX_FILES:]:
        files.prune(old, OURS)
        with contextlib.suppress(OSError):
            old.rmdir()  # fails, and so keeps it, if anything else is left inside


def _made_by_us(directory: Path) -> bool:
    """Whether `directory` is a journal this program wrote: its index names the data file
    whose key is the directory's name."""
    document = _document(directory)
    if document is None:
        return False
    return files.real_path_key(Path(document[0])) == directory.name


def stacks(known: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The changes still applied (oldest first) and those undone (the next to redo last),
    replaying the journal: an undo takes its entry off the first, a redo puts it back, and
    a new change forgets what was undone."""
    by_id = {e.id: e for e in known}
    applied: list[Entry] = []
    undone: list[Entry] = []
    for entry in known:
        if entry.undoes is not None:
            target = by_id.get(entry.undoes)
            if target in applied:
                applied.remove(target)
                undone.append(target)
        elif entry.redoes is not None:
            target = by_id.get(entry.redoes)
            if target in undone:
                undone.remove(target)
                applied.append(target)
        else:
            applied.append(entry)
            undone.clear()
    return applied, undone


def last(path: Path) -> Entry:
    """The change `undo` would revert now, or Refused saying why there is none."""
    return plan(path)[0]


def plan(path: Path, to: int | None = None) -> list[Entry]:
    """The changes `undo` (`undo --to N`: back to the state before entry N) would revert,
    newest first; Refused saying why there are none, or why they cannot be undone safely."""
    current = files.digest(store.read_bytes(path))
    known = _landed(entries(path), current)
    applied, _ = stacks(known)
    if not applied:
        if known:
            raise Refused(f"nothing to undo: every recorded change to {path} is undone already")
        raise Refused(f"nothing to undo: no change made through unionstate to {path} is recorded")
    if to is None:
        steps = applied[-1:]
    else:
        ids = [e.id for e in applied]
        if to not in ids:
            listed = ", ".join(f"#{i}" for i in ids)
            raise Refused(f"#{to} is not a change that can be undone now (those are {listed})")
        steps = applied[ids.index(to) :][::-1]
    _unchanged_since(path, current, known[-1], steps[0].after)
    return steps


def _unchanged_since(path: Path, current: str, newest: Entry, expected: str) -> None:
    """Refuse when the file no longer holds the bytes the journal's newest step left."""
    if current != expected:
        raise Refused(
            f"{path} was changed by something else since the last change made through "
            f"unionstate ({newest.description}; {newest.time}), so that change cannot be "
            "undone safely; nothing was changed"
        )


def _landed(known: list[Entry], current: str) -> list[Entry]:
    """The entries, less a newest undo or redo that was recorded but never written (the
    process was killed between the two): the file still holds the bytes it was to replace."""
    if known and known[-1].step and current == known[-1].before != known[-1].after:
        return known[:-1]
    return known


def _saved(path: Path, entry: Entry, digest: str | None = None) -> bytes:
    """The bytes `entry` replaced (or those of `digest`), from the journal (Refused if
    missing or damaged)."""
    wanted = entry.before if digest is None else digest
    blob = _directory(path) / f"{wanted}.z"
    try:
        compressed, _ = files.read_regular(blob, store.MAX_BYTES, follow=False)
        inflate = zlib.decompressobj()
        restored = inflate.decompress(compressed, store.MAX_BYTES + 1)
        if inflate.unconsumed_tail or len(restored) > store.MAX_BYTES:
            raise ValueError("larger than a data file may be")
    except (OSError, zlib.error, ValueError, UnionStateError):
        raise Refused(
            f"the journal no longer holds the bytes to restore for: {entry.description}"
        ) from None
    if files.digest(restored) != wanted:
        raise Refused(f"the journal's copy for {entry.description!r} is damaged")
    return restored


def undo(path: Path, expected: Entry | list[Entry]) -> list[Entry]:
    """Revert the changes `plan` gave (`expected`, newest first) under the lock, one step
    each, each journaled; the steps recorded."""
    steps = expected if isinstance(expected, list) else [expected]
    with files.locked(path):
        if plan(path, steps[-1].id if len(steps) > 1 else None) != steps:
            raise Refused(f"{path}: another change was recorded meanwhile; nothing was undone")
        return [_step(path, entry, undo=True) for entry in steps]


def redo(path: Path, expected: Entry | None = None) -> Entry:
    """Put back the change undone last (`expected`, from `next_redo`) under the lock."""
    with files.locked(path):
        entry = next_redo(path)
        if expected is not None and entry != expected:
            raise Refused(f"{path}: another change was recorded meanwhile; nothing was redone")
        return _step(path, entry, undo=False)


def next_redo(path: Path) -> Entry:
    """The change `redo` would put back now, or Refused saying why there is none."""
    current = files.digest(store.read_bytes(path))
    known = _landed(entries(path), current)
    _, undone = stacks(known)
    if not undone:
        raise Refused(
            "nothing to redo: no change is undone (a change made after an undo forgets "
            "what was undone)"
        )
    entry = undone[-1]
    _unchanged_since(path, current, known[-1], entry.before)
    return entry


def _step(path: Path, entry: Entry, *, undo: bool) -> Entry:
    """Undo `entry` (restore its before bytes) or redo it (its after bytes), journaled."""
    old, new = (entry.after, entry.before) if undo else (entry.before, entry.after)
    restored = _saved(path, entry, new)
    current = store.read_bytes(path)
    # Recorded first, with the bytes it replaces, so that a step killed after its write can
    # still be undone or redone; one killed before it is ignored (`_landed`).
    recorded = entry
    with contextlib.suppress(OSError, UnionStateError):
        verb = "undo" if undo else "redo"
        recorded = _append(
            path,
            current,
            old,
            new,
            f"{verb}: {entry.description}",
            entry.id if undo else None,
            old,
            None if undo else entry.id,
        )
    files.write_atomic(path, restored, expect=old)
    return recorded


def change(path: Path) -> tuple[Entry, bytes, bytes]:
    """The newest journaled step and the bytes before and after it (`diff --last`);
    Refused if there is none or the file was changed since."""
    current_bytes = store.read_bytes(path)
    current = files.digest(current_bytes)
    known = _landed(entries(path), current)
    if not known:
        raise Refused(f"no change made through unionstate to {path} is recorded")
    newest = known[-1]
    _unchanged_since(path, current, newest, newest.after)
    return newest, _saved(path, newest), current_bytes


def as_json(entry: Entry) -> dict[str, Any]:
    """An entry as a JSON object."""
    return asdict(entry)
