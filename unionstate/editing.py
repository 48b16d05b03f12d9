"""Editing the data file in the user's editor, as `visudo` and `crontab -e` do.

The editor ($VISUAL, else $EDITOR, else vi) works on a private copy (`files.scratch_copy`),
never on the data file. On save the copy is validated; its problems are shown as
FILE:LINE:COL and the user may edit again. The data file is replaced only by a valid
version, atomically, under its lock and journaled for `undo` (`journal.update`), and only
if nobody changed it meanwhile; otherwise it is left as it was.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from unionstate import files, journal, store
from unionstate.errors import Busy, DataError, Refused
from unionstate.models import Dataset


def editor_command(env: Mapping[str, str]) -> list[str]:
    """The editor to run, as words: $VISUAL, else $EDITOR, else vi."""
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise Refused(f"${name} {value!r} cannot be read as a command: {exc}") from None
            if words:
                return words
    return ["vi"]


@dataclass
class EditorResult:
    """What an editing session came to: "saved", "unchanged" or "abandoned"; when saved,
    the new dataset and whether the bytes written are the file's canonical form rather than
    the user's exact text (comments and layout are not kept)."""

    result: str
    dataset: Dataset | None = None
    canonical: bool = False


@dataclass
class _Saved:
    dataset: Dataset


def _run(command: list[str], path: Path) -> None:
    try:
        done = subprocess.run([*command, str(path)], check=False)
    except OSError as exc:
        raise Refused(
            f"cannot run the editor {shlex.join(command)!r}: {exc.strerror or exc} "
            "(set $VISUAL or $EDITOR); nothing was changed"
        ) from None
    if done.returncode != 0:
        raise Refused(f"the editor exited with status {done.returncode}; nothing was changed")


def edit(path: Path, command: list[str], again: Callable[[list[str]], bool]) -> EditorResult:
    """Let the user edit a copy of the data file at `path` with `command` until it is valid
    (or `again`, shown the problems, says stop), then write it in its place."""
    original = store.read_bytes(path)
    before = files.digest(original)
    copy = files.scratch_copy(path.name, original)
    keep = False
    try:
        while True:
            _run(command, copy)
            edited, _ = files.read_regular(copy, store.MAX_BYTES)
            if edited == original:
                return EditorResult("unchanged")
            try:
                dataset = store.loads(edited, str(copy))
            except DataError as exc:
                if again(exc.problems):
                    continue
                return EditorResult("abandoned")
            break
        if store.dumps(dataset) == original:  # only comments or layout changed
            return EditorResult("unchanged", dataset, canonical=True)

        def change(current: Dataset) -> _Saved:
            if files.digest(store.read_bytes(path)) != before:
                raise Busy(
                    f"{path} was changed by something else while you edited it; nothing was "
                    f"written (your version is kept in {copy})"
                )
            return _Saved(dataset)

        try:
            journal.update(path, change)
        except Busy as exc:
            keep = True
            if str(copy) in exc.message:
                raise
            raise Busy(f"{exc.message} (your version is kept in {copy})") from None
        return EditorResult("saved", dataset, store.dumps(dataset) != edited)
    finally:
        if not keep:
            files.remove_scratch(copy)
