"""Filesystem faults and unexpected errors: the file is always the old bytes or the new ones.

Permission errors are simulated by monkeypatching where the tests run as root (CI does), since
`chmod` denies root nothing. Faults inside a command are injected in process (CliRunner); the
cases where the process itself matters (exit status, resource limits) run as subprocesses.
"""

from __future__ import annotations

import builtins
import errno
import fcntl
import io
import json
import os
import resource
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _proc import (
    ON,
    Run,
    assert_refused,
    copy_shipped,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    run,
    run_together,
    temp_files,
)
from typer.testing import CliRunner, Result

from unionstate import cache, files, store
from unionstate.cli import app

SIGN = ["sign", "1", "--on", ON]
ROOT = os.geteuid() == 0


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped dataset."""
    return copy_shipped(tmp_path / "data")


def invoke(data: Path, args: list[str]) -> Result:
    """The CLI in process on `data`."""
    return CliRunner().invoke(app, ["--data", str(data), *args])


def signed_bytes(data: Path, tmp_path: Path, args: list[str] = SIGN) -> bytes:
    """What `args` writes when nothing goes wrong, from a run on a scratch copy."""
    scratch = tmp_path / "scratch" / data.name
    scratch.parent.mkdir(exist_ok=True)
    shutil.copyfile(data, scratch)
    result = invoke(scratch, args)
    assert result.exit_code == 0, result.output
    return scratch.read_bytes()


def assert_refused_in_process(
    result: Result, code: int, data: Path, before: bytes, *phrases: str
) -> None:
    """The error contract for an in-process run."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert data.read_bytes() == before
    assert temp_files(data.parent) == []


# ---------------------------------------------------------- missing, wrong kind of file

COMMANDS = (["validate"], ["list"], SIGN)


@pytest.mark.parametrize("args", [pytest.param(a, id=a[0]) for a in COMMANDS])
def test_missing_file_is_refused_and_not_created(args: list[str], tmp_path: Path) -> None:
    """A data file that does not exist: exit 3, "no such file", and nothing is created."""
    data = tmp_path / "roadmaps.yaml"
    result = run(args, data)
    assert_refused(result, 3, data, None, phrases=(str(data), "no such file"))
    assert not data.exists()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["validate"], id="validate"),
        pytest.param(["list"], id="list"),
        pytest.param(
            SIGN,
            id="sign",
        ),
    ],
)
def test_missing_directory_is_refused_as_missing_data(args: list[str], tmp_path: Path) -> None:
    """A data file in a directory that does not exist: exit 3, "no such file"."""
    data = tmp_path / "gone" / "roadmaps.yaml"
    result = run(args, data)
    assert_refused(result, 3, data, None, phrases=(str(data), "no such file"))
    assert not data.parent.exists()


def test_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    """A directory where the data file should be: exit 3 from every command."""
    data = tmp_path / "roadmaps.yaml"
    data.mkdir()
    for result in run_together([(args, data) for args in COMMANDS]):
        assert_refused(result, 3, data, None, phrases=(str(data), "is a directory"))
    assert data.is_dir() and list(data.iterdir()) == []


def test_dangling_symlink_is_refused_as_missing(tmp_path: Path) -> None:
    """A symlink to nothing: exit 3, and the link is not replaced by a file."""
    data = tmp_path / "roadmaps.yaml"
    data.symlink_to(tmp_path / "elsewhere.yaml")
    for result in run_together([(args, data) for args in COMMANDS]):
        assert_refused(result, 3, data, None, phrases=("no such file",))
    assert data.is_symlink() and not (tmp_path / "elsewhere.yaml").exists()


# --------------------------------------------------------------------- permissions


def test_unreadable_file_is_refused(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading denied (simulated: root reads anything): exit 3, "permission denied"."""
    before = data.read_bytes()
    real_open = os.open

    def denied(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(path) == str(data):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(os, "open", denied)
        results = [invoke(data, args) for args in COMMANDS]
    for result in results:
        assert_refused_in_process(result, 3, data, before, str(data), "permission denied")


@pytest.mark.skipif(ROOT, reason="root reads a mode-000 file; simulated in the test above")
def test_unreadable_file_is_refused_for_real(data: Path) -> None:
    """Reading denied by the mode bits: exit 3 from every command."""
    before = data.read_bytes()
    data.chmod(0)
    try:
        for result in run_together([(args, data) for args in COMMANDS]):
            assert_refused(result, 3, data, None, phrases=("permission denied",))
    finally:
        data.chmod(0o644)
    assert data.read_bytes() == before


def test_read_only_file_is_refused_with_exit_5(data: Path) -> None:
    """A read-only data file is never replaced (os.replace would ignore the mode); reads work."""
    data.chmod(0o444)
    before = data.read_bytes()
    result = run(SIGN, data)
    assert_refused(result, 5, data, before, phrases=(str(data), "read-only", "nothing was changed"))
    assert stat.S_IMODE(data.stat().st_mode) == 0o444
    for reader in run_together([(args, data) for args in (["validate"], ["list"])]):
        assert reader.returncode == 0, reader


def test_read_only_directory_is_refused_with_exit_5(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No temp file can be created beside the data file (simulated): exit 5, unchanged."""
    before = data.read_bytes()

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, str(data), "Permission denied")


def test_lock_file_that_cannot_be_created_is_refused_with_exit_5(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only directory also stops the lock file: exit 5, naming the lock file."""
    before = data.read_bytes()
    real_open = os.open

    def denied(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, ".lock", "Permission denied")


@pytest.mark.skipif(ROOT, reason="root writes into a mode-555 directory; simulated above")
def test_read_only_directory_is_refused_for_real(data: Path) -> None:
    """A real mode-555 directory: exit 5, unchanged."""
    files.lock_path(data).touch()
    before = data.read_bytes()
    data.parent.chmod(0o555)
    try:
        result = run(SIGN, data)
    finally:
        data.parent.chmod(0o755)
    assert_refused(result, 5, data, before)


# -------------------------------------------------------------------- write faults


class _FailingWriter:
    """A file object that writes `allowed` bytes, then fails like a full disk."""

    def __init__(self, handle: Any, allowed: int, error: int) -> None:
        self._handle, self._allowed, self._error = handle, allowed, error

    def write(self, data: bytes) -> int:
        room = max(self._allowed, 0)
        self._handle.write(data[:room])
        self._allowed -= len(data)
        if len(data) > room:
            raise OSError(self._error, os.strerror(self._error))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _FailingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


@pytest.mark.parametrize(
    ("error", "words"),
    [(errno.ENOSPC, "No space left on device"), (errno.EFBIG, "File too large")],
    ids=["ENOSPC", "EFBIG"],
)
def test_disk_full_mid_write_leaves_the_file_unchanged(
    error: int, words: str, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temp file is half written when the disk fills: exit 5, unchanged, temp removed."""
    before = data.read_bytes()
    real_fdopen = os.fdopen

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return _FailingWriter(real_fdopen(fd, *args, **kwargs), len(before) // 2, error)

    monkeypatch.setattr(os, "fdopen", fdopen)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, words, "the file was not changed")


def _small_file_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death by signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


def test_file_size_limit_gives_efbig_and_leaves_the_file_unchanged(data: Path) -> None:
    """A real RLIMIT_FSIZE far below the file's size: exit 5, unchanged, temp removed."""
    from _proc import Child, cli_env

    before = data.read_bytes()
    assert len(before) > 8192
    result = Child(SIGN, cli_env(data), preexec_fn=_small_file_limit).wait()
    assert_refused(result, 5, data, before, phrases=("File too large",))


def test_fsync_failure_leaves_the_file_unchanged(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fsync of the temp file fails with EIO: exit 5, unchanged, temp removed."""
    before = data.read_bytes()

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, "Input/output error")


def test_directory_fsync_failure_after_the_rename_is_not_reported_as_unchanged(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the new file is in place, a failing directory fsync must not claim "not changed"."""
    new = signed_bytes(data, tmp_path)
    real_fsync = os.fsync
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(data, SIGN)
    assert data.read_bytes() == new
    assert "not changed" not in result.stderr
    assert result.exit_code in (0, 5)
    assert temp_files(data.parent) == []


def test_cross_device_replace_leaves_the_file_unchanged(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.replace fails with EXDEV: exit 5, unchanged, temp removed."""
    before = data.read_bytes()

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", replace)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, "Invalid cross-device link")


def test_chmod_failure_leaves_the_file_unchanged(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copying the mode onto the temp file fails: exit 5, unchanged, temp removed."""
    before = data.read_bytes()

    def chmod(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", chmod)
    result = invoke(data, SIGN)
    assert_refused_in_process(result, 5, data, before, "Operation not permitted")


def test_lock_that_cannot_be_taken_is_refused_not_internal(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem without locks: a one-line refusal (exit 4 or 5), never exit 70."""
    before = data.read_bytes()

    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", flock)
    result = invoke(data, SIGN)
    assert result.exit_code in (4, 5), result.stderr
    assert_refused_in_process(result, result.exit_code, data, before, "No locks available")


# ------------------------------------------------------------ fault-injection sweep

KINDS = ("open", "read", "write", "fsync", "replace", "chmod", "stat")


class Faults:
    """Counts the calls of the chosen kinds and fails the `fail_at`th with EIO."""

    def __init__(self, kinds: set[str], fail_at: int) -> None:
        self.kinds, self.fail_at = kinds, fail_at
        self.calls = 0
        self.fired: str | None = None

    def tick(self, kind: str) -> None:
        """Count one call; raise on the chosen one."""
        if kind not in self.kinds:
            return
        self.calls += 1
        if self.calls == self.fail_at:
            self.fired = kind
            raise OSError(errno.EIO, f"Injected fault in {kind}")


class _Watched:
    """A file object whose reads and writes go through the injector."""

    def __init__(self, handle: Any, faults: Faults) -> None:
        self._handle, self._faults = handle, faults

    def read(self, *args: Any) -> Any:
        self._faults.tick("read")
        return self._handle.read(*args)

    def write(self, data: Any) -> Any:
        self._faults.tick("write")
        return self._handle.write(data)

    def flush(self) -> None:
        if self._handle.writable():
            self._faults.tick("write")
        self._handle.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._handle)

    def __enter__(self) -> _Watched:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


@contextmanager
def injected(faults: Faults) -> Iterator[None]:
    """Route open/read/write/fsync/replace/chmod/stat through `faults` (what store calls)."""
    mp = pytest.MonkeyPatch()
    real_io_open, real_os_open, real_write = io.open, os.open, os.write
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename
    real_chmod, real_stat = os.chmod, os.stat

    def watched_open(*args: Any, **kwargs: Any) -> Any:
        faults.tick("open")
        return _Watched(real_io_open(*args, **kwargs), faults)

    def os_open(*args: Any, **kwargs: Any) -> int:
        faults.tick("open")
        return real_os_open(*args, **kwargs)

    def wrap(kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            faults.tick(kind)
            return real(*args, **kwargs)

        return call

    try:
        mp.setattr(io, "open", watched_open)
        mp.setattr(builtins, "open", watched_open)
        mp.setattr(os, "open", os_open)
        mp.setattr(os, "write", wrap("write", real_write))
        mp.setattr(os, "fsync", wrap("fsync", real_fsync))
        mp.setattr(os, "replace", wrap("replace", real_replace))
        mp.setattr(os, "rename", wrap("replace", real_rename))
        mp.setattr(os, "chmod", wrap("chmod", real_chmod))
        mp.setattr(os, "stat", wrap("stat", real_stat))
        yield
    finally:
        mp.undo()


def sweep(data: Path, tmp_path: Path, kinds: set[str], args: list[str] = SIGN) -> list[str]:
    """Fail call N of `kinds` for N = 1, 2, ... until the command succeeds; check each run."""
    old = data.read_bytes()
    new = signed_bytes(data, tmp_path, args)
    assert new != old
    outcomes = []
    for n in range(1, 500):
        data.write_bytes(old)
        faults = Faults(kinds, n)
        with injected(faults):
            result = invoke(data, args)
        after = data.read_bytes()
        where = f"fault {n} ({faults.fired}): exit {result.exit_code}: {result.stderr!r}"
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert result.exit_code in (0, 3, 4, 5), where
        assert after in (old, new), where
        assert temp_files(data.parent) == [], where
        if result.exit_code:
            assert after == old, where  # a failure is reported only when nothing changed
            assert result.stdout == "", where
            assert len(result.stderr.splitlines()) == 1, where
            assert "Injected fault" in result.stderr, where
            assert "Traceback" not in result.stderr, where
        else:
            assert after == new, where
        outcomes.append(f"{faults.fired}:{result.exit_code}")
        if faults.fired is None:
            return outcomes
    raise AssertionError("the command never succeeded")


@pytest.mark.parametrize("kinds", [*[{k} for k in KINDS], set(KINDS)], ids=[*KINDS, "any"])
def test_fault_injection_sweep_sign(kinds: set[str], data: Path, tmp_path: Path) -> None:
    """Every failing call of `sign` leaves exactly the old bytes (exit 3/4/5) or the new (0)."""
    outcomes = sweep(data, tmp_path, kinds)
    assert outcomes[-1] == "None:0"
    if kinds == set(KINDS):
        print(f"sweep(sign, any): {len(outcomes) - 1} fallible calls: {outcomes}")


def test_fault_injection_sweep_reopen_with_new_source(data: Path, tmp_path: Path) -> None:
    """The same for a command that also adds a source: all or nothing."""
    args = ["reopen", "1", "--on", ON, "--source", "https://example.org/report"]
    outcomes = sweep(data, tmp_path, set(KINDS), args)
    assert outcomes[-1] == "None:0"


# -------------------------------------------------- symlinks, leftovers, file mode


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_update_through_a_symlink_changes_the_target(
    relative: bool, data: Path, tmp_path: Path
) -> None:
    """The link stays a link to the same target; the target gets the new bytes, mode kept."""
    new = signed_bytes(data, tmp_path)
    data.chmod(0o640)
    links = tmp_path / "links"
    links.mkdir()
    link = links / "roadmaps.yaml"
    pointer = os.path.relpath(data, links) if relative else str(data)
    link.symlink_to(pointer)
    chain = links / "again.yaml"
    chain.symlink_to(link)
    result = run(SIGN, chain)
    assert result.returncode == 0, result
    assert chain.is_symlink() and os.readlink(chain) == str(link)
    assert link.is_symlink() and os.readlink(link) == pointer
    assert data.read_bytes() == new and not data.is_symlink()
    assert stat.S_IMODE(data.stat().st_mode) == 0o640
    assert temp_files(links) == [] and temp_files(data.parent) == []
    assert sorted(p.name for p in links.iterdir()) == ["again.yaml", "roadmaps.yaml"]


def test_leftover_temp_and_lock_files_are_harmless(data: Path, tmp_path: Path) -> None:
    """A crashed run's `.roadmaps.yaml.*.tmp` and `.lock` files do not stop the next one."""
    new = signed_bytes(data, tmp_path)
    leftovers = {
        f".{data.name}.k3j4h5.tmp": b"half a file\n- number: ",
        f".{data.name}.x.tmp": b"",
        f"{data.name}.lock": b"stale contents of a lock file",
    }
    for name, content in leftovers.items():
        (data.parent / name).write_bytes(content)
    result = run(SIGN, data)
    assert result.returncode == 0, result
    assert data.read_bytes() == new
    assert run(["validate"], data).returncode == 0
    for name, content in leftovers.items():
        assert (data.parent / name).read_bytes() == content  # left alone, not reused


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o604, 0o666])
def test_file_mode_is_kept(mode: int, data: Path) -> None:
    """The rewritten file keeps the permission bits the user gave it."""
    os.chmod(data, mode)
    result = run(SIGN, data)
    assert result.returncode == 0, result
    assert stat.S_IMODE(data.stat().st_mode) == mode


@pytest.mark.skipif(not ROOT, reason="only root can give the file to another owner")
def test_file_owner_and_group_are_kept(data: Path) -> None:
    """The rewritten file keeps its owner and group, as it keeps its mode."""
    os.chown(data, 1234, 1234)
    result = run(SIGN, data)
    assert result.returncode == 0, result
    assert (data.stat().st_uid, data.stat().st_gid) == (1234, 1234)


# ------------------------------------------------------------------ unexpected errors

BOOM = (
    "def _boom(*args, **kwargs):\n"
    "    raise RuntimeError('boom in \\x1b[31mstates\\nsecond line')\n"
    "import unionstate.queries\n"
    "unionstate.queries.states = _boom\n"
)


def _internal(result: Run) -> None:
    assert result.returncode == 70, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("unionstate: internal error: RuntimeError: boom in ")
    assert lines[0].endswith("; run again with UNIONSTATE_DEBUG=1 for details")
    assert "\x1b" not in lines[0] and "second line" not in lines[0]


def test_unexpected_error_is_one_line_and_exit_70(data: Path) -> None:
    """A bug deep inside (queries.states raising) prints one line and exits 70, no traceback."""
    before = data.read_bytes()
    for args in (["list"], ["show", "1"], ["summary"]):
        result = run(args, data, hook=BOOM)
        _internal(result)
    assert data.read_bytes() == before
    assert temp_files(data.parent) == []


def test_unexpected_error_with_debug_shows_the_traceback_without_locals(data: Path) -> None:
    """UNIONSTATE_DEBUG=1 shows the traceback; locals (the whole dataset) are never dumped."""
    result = run(["list"], data, hook=BOOM, UNIONSTATE_DEBUG="1")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "RuntimeError" in result.stderr and "boom in" in result.stderr
    assert "Macroeconomic policy" not in result.stderr  # a roadmap title: no dataset dump
    assert "interkomitet" not in result.stderr


def test_pretty_exceptions_never_show_locals() -> None:
    """Set explicitly on the app, so a crash never dumps the dataset."""
    assert app.pretty_exceptions_show_locals is False


def test_unexpected_error_during_an_update_leaves_the_file_unchanged(data: Path) -> None:
    """A bug inside the transition (under the lock, before the write): exit 70, unchanged."""
    before = data.read_bytes()
    hook = (
        "def _boom(*args, **kwargs):\n"
        "    raise RuntimeError('boom in transition')\n"
        "import unionstate.updates\n"
        "unionstate.updates.transition = _boom\n"
    )
    result = run(SIGN, data, hook=hook)
    assert result.returncode == 70, result
    assert "internal error: RuntimeError: boom in transition" in result.stderr
    assert data.read_bytes() == before
    assert temp_files(data.parent) == []
    assert run(SIGN, data).returncode == 0  # and the lock was released


# ------------------------------------------------------------ the parse cache on disk


def _entry(cache_dir: Path) -> Path:
    entries = list(cache_dir.glob("*.json"))
    assert len(entries) == 1, entries
    return entries[0]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _keep_header(body: str) -> Callable[[str], str]:
    return lambda text: text.split("\n", 1)[0] + "\n" + body


CORRUPTIONS: dict[str, Callable[[str], str]] = {
    "empty": lambda text: "",
    "truncated": lambda text: text[: len(text) // 2],
    "garbage": lambda text: "\x00\xff garbage {{{",
    "header-only": lambda text: text.split("\n", 1)[0] + "\n",
    "body-not-a-mapping": _keep_header("[1, 2, 3]"),
    "body-invalid-dataset": _keep_header('{"schema_version": 1}'),
    "header-wrong-types": lambda text: '{"identity": 7, "code": []}\n{}',
    "deeply-nested-header": lambda text: _nested(100_000) + "\n{}",
    "deeply-nested-body": _keep_header(_nested(100_000)),
}


@pytest.mark.parametrize("corrupt", [pytest.param(fn, id=name) for name, fn in CORRUPTIONS.items()])
def test_corrupt_cache_entry_is_a_miss(
    corrupt: Callable[[str], str], data: Path, cache_dir: Path, tmp_path: Path
) -> None:
    """Whatever is in the cache entry, commands work and show the file's real content."""
    expected = invoke(data, ["list"])
    assert expected.exit_code == 0
    entry = _entry(cache_dir)
    entry.write_text(corrupt(entry.read_text("utf-8")), "utf-8", errors="surrogateescape")
    entry.chmod(0o600)
    result = invoke(data, ["list"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout and result.stderr == ""
    new = signed_bytes(data, tmp_path)
    assert invoke(data, SIGN).exit_code == 0
    assert data.read_bytes() == new


def _poison(entry: Path, *, rehash: bool) -> None:
    header, body = entry.read_text("utf-8").split("\n", 1)
    poisoned = json.loads(body)
    poisoned["roadmaps"][0]["title"] = "POISON \x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J"
    new_body = json.dumps(poisoned).encode()
    head = json.loads(header)
    if rehash:
        head["body"] = files.digest(new_body)
    entry.write_bytes(json.dumps(head).encode() + b"\n" + new_body)
    entry.chmod(0o600)


def test_a_poisoned_cache_entry_with_a_stale_hash_is_a_miss(data: Path, cache_dir: Path) -> None:
    """Data changed behind the header's body hash: the entry is refused, the file wins."""
    expected = invoke(data, ["list"])
    entry = _entry(cache_dir)
    _poison(entry, rehash=False)
    status = data.stat()
    digest = files.digest(data.read_bytes())
    assert cache.lookup(data, status, digest, store._code()) is None  # refused by the hash
    result = invoke(data, ["list"])
    assert result.exit_code == 0
    assert result.stdout == expected.stdout
    assert "POISON" not in result.stdout


def test_a_consistently_forged_entry_still_never_drives_the_terminal(
    data: Path, cache_dir: Path
) -> None:
    """A forged entry with a matching hash is served: nobody but the user can write the
    cache, so that is the defence. Even then the escapes it carries are shown escaped."""
    assert invoke(data, ["list"]).exit_code == 0
    entry = _entry(cache_dir)
    _poison(entry, rehash=True)
    status = data.stat()
    digest = files.digest(data.read_bytes())
    assert cache.lookup(data, status, digest, store._code()) is not None  # served
    result = invoke(data, ["list"])
    assert result.exit_code == 0
    assert "POISON \\u001b]52;c;" in result.stdout  # from the entry, neutralised
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_hand_edit_keeping_size_and_mtime_is_seen_through_the_cache(
    data: Path, cache_dir: Path
) -> None:
    """Same size, same mtime, same inode, different bytes: the cache is not used."""
    assert invoke(data, ["list"]).exit_code == 0
    assert _entry(cache_dir).exists()
    before = data.stat()
    raw = data.read_bytes()
    edited = raw.replace(b"title: Macroeconomic policy", b"title: Macroeconomic polich", 1)
    assert len(edited) == len(raw) and edited != raw
    with data.open("r+b") as handle:  # in place: the inode stays
        handle.write(edited)
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = data.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    result = invoke(data, ["list"])
    assert "Macroeconomic polich" in result.stdout


def test_unusable_cache_directory_is_ignored(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache path that is a file, or a directory others can write to: commands still work."""
    new = signed_bytes(data, tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    for directory in (blocker, blocker / "below", shared):
        monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
        listed = invoke(data, ["list"])
        assert listed.exit_code == 0 and listed.stderr == "", listed.stderr
    assert list(shared.iterdir()) == []  # nothing written where others could tamper with it
    assert invoke(data, SIGN).exit_code == 0
    assert data.read_bytes() == new


def test_leftover_cache_temp_files_are_harmless(data: Path, cache_dir: Path) -> None:
    """A crashed cache write leaves a temp file: the cache keeps working around it."""
    cache_dir.mkdir(mode=0o700)
    (cache_dir / ".unionstate-entry-abc12345.tmp").write_text("{half")
    assert invoke(data, ["list"]).exit_code == 0
    assert invoke(data, SIGN).exit_code == 0
    assert invoke(data, ["list"]).exit_code == 0
