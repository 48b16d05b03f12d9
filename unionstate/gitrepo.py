"""The little that unionstate asks of git: a file at a revision, registering the driver,
and the driver's own read-merge-write.

Runs the `git` program; every failure is a `Refused` naming what git said.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from unionstate import files, store
from unionstate.errors import DataError, Refused, UsageError, WriteFailed

if TYPE_CHECKING:
    from unionstate.merge import Merged
    from unionstate.models import Dataset

DRIVER = "unionstate"
DRIVER_NAME = "unionstate: merge the data file record by record"
DRIVER_COMMAND = "unionstate merge %O %A %B --path %P"


def git(args: list[str], cwd: Path) -> str:
    """Run git in `cwd` and return its stdout (Refused with git's message on failure)."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, env=_env())
    except FileNotFoundError:
        raise Refused("git is not installed (or not on PATH)") from None
    if done.returncode:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        reason = message[0] if message else f"exit {done.returncode}"
        raise Refused(f"git {args[0]}: {reason.removeprefix('fatal: ')}")
    return done.stdout.decode(errors="replace")


def merge_files(base: Path, ours: Path, theirs: Path, name: str) -> Merged:
    """Merge three versions of a data file into `ours`, as git's merge driver does.

    Under `ours`'s lock, and written only if `ours` still holds the bytes that were merged
    (Busy otherwise), so a merge run on a live data file never loses an update made
    meanwhile. An invalid version (DataError) or a result over the size cap (Refused)
    leaves `ours` untouched.
    """
    from unionstate import merge

    with files.locked(ours):
        sides = (("base", base), ("ours", ours), ("theirs", theirs))
        try:
            raws = [(store.read_bytes(file), f"{name} ({side})") for side, file in sides]
            # Added on both sides, the file has no ancestor: git gives an empty one.
            added = not raws[0][0].strip()
            versions: list[Dataset | None] = [*store.loads_versions(raws[1:] if added else raws)]
            if added:
                versions.insert(0, None)
        except DataError as exc:
            raise DataError(
                [
                    *exc.problems,
                    f"{name}: nothing was merged: our version is unchanged (git marks the file "
                    "conflicted); fix the version named above, then merge again",
                ]
            ) from None
        result = merge.merge(*versions)  # type: ignore[arg-type]
        data = merge.annotate(store.dumps(result.dataset), result.conflicts)
        if len(data) > store.MAX_BYTES:
            raise Refused(
                f"{name}: the merged file would be {len(data):,} bytes, over the "
                f"{store.MAX_BYTES:,}-byte limit; nothing was merged: our version is unchanged"
            )
        files.write_atomic(ours, data, expect=files.digest(raws[1][0]))
    result.versions = [v for v in versions if v is not None]
    return result


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LC_ALL"] = "C"  # git's messages as we quote them
    return env


def show(path: Path, revision: str) -> bytes:
    """The bytes of the data file at `path` as of `revision` (Refused if git has none).

    A revision is never an option of git's (`--output=x` is refused, and git is told
    where its options end)."""
    if revision.startswith("-"):
        raise UsageError(f"{revision!r} is not a git revision (it would be read as an option)")
    directory = path.resolve().parent
    spec = f"{revision}:./{path.resolve().name}"
    try:
        done = subprocess.run(
            ["git", "cat-file", "--end-of-options", "blob", spec],
            cwd=directory,
            capture_output=True,
            check=False,
            env=_env(),
        )
    except FileNotFoundError:
        raise Refused("git is not installed (or not on PATH)") from None
    if done.returncode:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        reason = (lines[0] if lines else "").removeprefix("fatal: ")
        raise Refused(
            f"{revision!r} is neither a file nor a git revision holding {path} ({reason})"
        )
    return done.stdout


def toplevel(directory: Path) -> Path:
    """The root of the git working tree holding `directory` (Refused outside one)."""
    try:
        return Path(git(["rev-parse", "--show-toplevel"], directory).strip())
    except Refused:
        raise Refused(
            f"{directory} is not inside a git repository (use --global to set up every "
            "repository of yours)"
        ) from None


def setup(data_path: Path, pattern: str | None, everywhere: bool) -> list[str]:
    """Register the merge driver and the attribute line; what was done, one line each.

    The attribute line names the data file as a quoted, glob-escaped pattern (a path with
    spaces, `[`, `#` or `!` still matches only itself); the attributes file keeps its line
    ends and its bytes, and a repository's `.gitattributes` that is a link out of the
    repository is refused, never written through.
    """
    done: list[str] = []
    cwd = data_path.resolve().parent if data_path.parent.is_dir() else Path.cwd()
    scope = ["--global"] if everywhere else []
    if pattern is not None:
        _check_pattern(pattern)
    if everywhere:
        where = "your global git config"
        attributes = _global_attributes(cwd)
        shown = str(attributes)
        pattern = pattern or glob_escape(data_path.name)
    else:
        root = toplevel(cwd)
        where = "the repository's config (.git/config)"
        attributes = root / ".gitattributes"
        shown = ".gitattributes"
        _check_inside(attributes, root)
        if pattern is None:
            try:
                relative = data_path.resolve().relative_to(root.resolve())
            except ValueError:
                raise Refused(
                    f"{data_path} is outside the repository at {root} (it is a link to "
                    f"{data_path.resolve()}); give a PATTERN, or run git-setup there"
                ) from None
            pattern = glob_escape(relative.as_posix())
    for key, value in (("name", DRIVER_NAME), ("driver", DRIVER_COMMAND)):
        name = f"merge.{DRIVER}.{key}"
        try:
            current = git(["config", *scope, "--get", name], cwd).rstrip("\n")
        except Refused:
            current = None
        if current == value:
            done.append(f"unchanged: {name} in {where}")
            continue
        try:
            git(["config", *scope, name, value], cwd)
        except Refused as exc:
            raise WriteFailed(f"could not write {where}: {exc.message}") from None
        done.append(f"set {name} = {value!r} in {where}")
    line = f"{quote_pattern(pattern)} merge={DRIVER}"
    try:
        existing = files.read_regular(attributes, store.MAX_BYTES)[0]
    except FileNotFoundError:
        existing = b""
    except DataError as exc:
        raise WriteFailed(exc.problems[0]) from None
    encoded = line.encode("utf-8")
    if encoded in existing.splitlines():
        done.append(f"unchanged: {shown} has {line!r}")
    else:
        newline = b"\r\n" if b"\r\n" in existing else b"\n"
        separator = b"" if not existing or existing.endswith(b"\n") else newline
        try:
            attributes.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteFailed(f"{attributes.parent}: cannot create: {exc.strerror}") from None
        files.write_atomic(attributes, existing + separator + encoded + newline)
        done.append(f"added {line!r} to {shown}")
    if shutil.which("unionstate") is None:
        done.append("warning: `unionstate` is not on PATH, so git cannot run the driver")
    return done


_GLOB = re.compile(r"([\\*?\[\]])")


def glob_escape(path: str) -> str:
    """A path as a gitattributes pattern that matches only that path."""
    escaped = _GLOB.sub(r"\\\1", path)
    return "\\" + escaped if escaped.startswith("!") else escaped


def quote_pattern(pattern: str) -> str:
    """A pattern as git reads it on an attributes line: C-quoted when it holds a space, a
    quote, a control character or begins with `#` (git's `"..."` form)."""
    if not re.search(r'[\s"\x00-\x1f\x7f]', pattern) and not pattern.startswith("#"):
        return pattern
    quoted = pattern.replace("\\", "\\\\").replace('"', '\\"')
    quoted = re.sub(
        r"[\x00-\x1f\x7f]",
        lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m.group(), f"\\{ord(m.group()):03o}"),
        quoted,
    )
    return f'"{quoted}"'


def _check_pattern(pattern: str) -> None:
    if not pattern.strip():
        raise UsageError("the PATTERN is empty")
    if pattern.startswith("!"):
        raise UsageError(f"{pattern!r}: git does not allow negative patterns in attributes")


def _check_inside(attributes: Path, root: Path) -> None:
    """Refuse a `.gitattributes` that is a link leading out of this repository."""
    if not attributes.is_symlink():
        return
    target = attributes.resolve()
    inside = target.is_relative_to(root.resolve())
    if inside:
        try:
            inside = toplevel(target.parent).resolve() == root.resolve()
        except Refused:
            inside = False
    if not inside:
        raise Refused(
            f"{attributes} is a symbolic link to {target}, outside this repository; "
            "nothing was written"
        )


def _global_attributes(cwd: Path) -> Path:
    """Git's global attributes file: core.attributesFile, else $XDG_CONFIG_HOME/git/attributes."""
    try:
        configured = git(["config", "--global", "--get", "core.attributesFile"], cwd).strip()
    except Refused:
        configured = ""
    if configured:
        return Path(os.path.expanduser(configured))
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return base / "git" / "attributes"
