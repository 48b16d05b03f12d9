"""Output targets (issue 14, class 1): `export -o` and `init` write
into what the user pointed them at and never rename a file over a device, a FIFO, a socket or
the data file in use.

As root, no test writes to the machine's /dev/null or renames anything in /dev: FIFOs live in
tmp_path, and `/dev/stdout`/`/dev/stderr` are exercised in child processes whose streams are
temp files or pipes of the test's own.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from _proc import (
    REPO,
    assert_refused,
    cli_command,
    cli_env,
    copy_shipped,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    run,
    temp_files,
)
from typer.testing import CliRunner

from unionstate import files, models, store, targets
from unionstate.cli import app
from unionstate.errors import WriteFailed


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped data file."""
    return copy_shipped(tmp_path / "work")


def _read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    """A reader that drains `fifo` in a thread (the writer's open blocks until it comes)."""

    def drain() -> None:
        with fifo.open("rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    return thread


def _invoke(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data", str(data), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("export", "-f", "csv"),
        ("export", "-f", "markdown"),
        ("export",),
    ],
    ids=["csv", "markdown", "json"],
)
def test_a_fifo_target_is_written_into_and_stays_a_fifo(
    args: tuple[str, ...], data: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    flag = ("-o", str(fifo))
    code, _, stderr = _invoke(data, *args, *flag)
    reader.join(10)
    assert code == 0, stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the FIFO was replaced"
    assert got and got[0], "the reader got nothing"
    if args == ("export",):
        assert json.loads(got[0])["roadmaps"]
    assert temp_files(tmp_path) == []


def test_write_atomic_never_renames_over_a_fifo(tmp_path: Path) -> None:
    """The low-level writer refuses a non-regular target instead of replacing it."""
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    with pytest.raises(WriteFailed, match="is a FIFO, not a regular file"):
        files.write_atomic(fifo, b"x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert temp_files(tmp_path) == []


def _child(args: list[str], data: Path, **streams: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        cli_command(["--data", str(data), *args]),
        env=cli_env(data),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
        **streams,  # type: ignore[call-overload]
    )


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1", "-"])
@pytest.mark.parametrize("stream", ["pipe", "file"])
def test_stdout_targets_write_to_the_stream(
    target: str, stream: str, data: Path, tmp_path: Path
) -> None:
    """`-o /dev/stdout` (and `-`) writes through the descriptor: a pipe gets the bytes, a
    file the shell opened is written, not replaced (same inode)."""
    expected = _invoke(data, "export", "-f", "csv")[1].encode()
    if stream == "pipe":
        done = _child(["export", "-f", "csv", "-o", target], data, capture_output=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected
        return
    out = tmp_path / "captured.csv"
    with out.open("wb") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        done = _child(
            ["export", "-f", "csv", "-o", target], data, stdout=handle, stderr=subprocess.PIPE
        )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_ino == inode, "the shell's file was replaced"
    assert out.read_bytes() == expected


def test_stderr_target_is_written_in_place_never_renamed(data: Path, tmp_path: Path) -> None:
    """The reported accident: `-o /dev/stderr` replaced what stderr pointed at. Here stderr is
    a FIFO of ours standing in for /dev/null: it must still be a FIFO, and get the CSV."""
    fifo = tmp_path / "stderr.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    with open(fifo, "wb") as stderr:
        done = _child(["export", "-f", "csv", "-o", "/dev/stderr"], data, stderr=stderr)
    reader.join(10)
    assert done.returncode == 0
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got[0].startswith(b"number,id,title")


def test_a_pipe_passed_as_dev_fd_is_written_into(data: Path) -> None:
    """`-o >(gzip > x)`: bash hands over /dev/fd/63, a pipe the child inherits."""
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            cli_command(["--data", str(data), "export", "-o", f"/dev/fd/{write_end}"]),
            env=cli_env(data),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as reader:
            read_end = -1
            received = reader.read()
        proc.communicate(timeout=60)  # also closes its pipes
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    assert proc.returncode == 0
    assert json.loads(received)["roadmaps"]


def test_dev_full_as_target_is_exit_5(data: Path) -> None:
    """A device is written into; when the write fails it is exit 5 with the reason."""
    before = data.read_bytes()
    result = run(["export", "-o", "/dev/full"], data)
    assert_refused(result, 5, data, before, phrases=("/dev/full", "No space left on device"))
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.parametrize("kind", ["loop", "directory", "socket", "dangling-fd"])
def test_impossible_targets_are_exit_5(kind: str, data: Path, tmp_path: Path) -> None:
    target = tmp_path / kind
    listener = None
    if kind == "loop":
        target.symlink_to(target.name)
    elif kind == "directory":
        target.mkdir()
    elif kind == "socket":
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(target))
    else:
        target = Path("/dev/fd/987")
    before = data.read_bytes()
    try:
        result = run(["export", "-o", str(target)], data)
    finally:
        if listener is not None:
            listener.close()
    assert_refused(result, 5, data, before, phrases=(str(target),))
    if kind == "socket":
        assert stat.S_ISSOCK(target.stat().st_mode)
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("via", ["same-path", "symlink", "relative"])
def test_export_over_the_data_file_needs_force(
    via: str, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = data.read_bytes()
    target = str(data)
    if via == "symlink":
        link = tmp_path / "link.yaml"
        link.symlink_to(data)
        target = str(link)
    elif via == "relative":
        monkeypatch.chdir(data.parent)
        target = data.name
    code, _, stderr = _invoke(data, "export", "-o", target)
    assert code == 1, stderr
    assert "is the data file in use" in stderr and "--force" in stderr
    assert data.read_bytes() == before
    code, _, stderr = _invoke(data, "export", "-o", target, "--force")
    assert code == 0, stderr
    assert json.loads(data.read_bytes())["roadmaps"]


def test_export_to_a_new_or_existing_regular_file_is_atomic(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert _invoke(data, "export", "-o", str(target))[0] == 0
    first = target.stat().st_ino
    assert json.loads(target.read_bytes())["roadmaps"]
    assert _invoke(data, "export", "-f", "csv", "-o", str(target))[0] == 0
    assert target.read_text().startswith("number,id")
    assert target.stat().st_ino != first  # replaced by rename, as before


def test_dash_is_stdout(data: Path) -> None:
    code, stdout, stderr = _invoke(data, "export", "-f", "csv", "-o", "-")
    assert code == 0 and stdout.startswith("number,id,title") and "wrote" not in stderr
    assert not (Path.cwd() / "-").exists()


def test_init_never_overwrites_the_schema_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "mine" / "roadmaps.yaml"
    target.parent.mkdir()
    schema = target.parent / models.SCHEMA_NAME
    schema.write_text("my own schema\n")
    code, _, stderr = _invoke(tmp_path / "unused.yaml", "init", str(target))
    assert code == 1, stderr
    assert "roadmaps.schema.json already exists" in stderr
    assert not target.exists(), "the data file was written before the refusal"
    assert schema.read_text() == "my own schema\n"
    code, _, stderr = _invoke(tmp_path / "unused.yaml", "init", str(target), "--force")
    assert code == 0, stderr
    assert json.loads(schema.read_text())["title"]
    assert store.load(target).roadmaps


def test_init_refuses_a_dangling_symlink_without_force(tmp_path: Path) -> None:
    """A symlink at the target is somebody's on purpose, even when it points nowhere yet."""
    target = tmp_path / "roadmaps.yaml"
    target.symlink_to(tmp_path / "elsewhere.yaml")
    code, _, stderr = _invoke(tmp_path / "unused.yaml", "init", str(target))
    assert code == 1 and "already exists" in stderr
    assert not (tmp_path / "elsewhere.yaml").exists()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dev/stdout", 1),
        ("/dev/stderr", 2),
        ("/dev/fd/63", 63),
        ("/proc/self/fd/5", 5),
        ("/dev/fd/../fd/7", 7),
        ("/dev/null", None),
        ("out.csv", None),
        ("/dev/fd/x", None),
    ],
)
def test_descriptor_paths(path: str, expected: int | None) -> None:
    assert targets.descriptor(Path(path)) == expected
