"""Helpers for the reliability tests: real processes, hooks inside them, and the error contract.

Run as a script it is also the small worker the concurrency tests start:

    python tests/_proc.py hold DATA MARKER     take the data file's lock, create MARKER, sleep
    python tests/_proc.py cycle DATA RID N     N transitions of one roadmap, in one process
    python tests/_proc.py read DATA STOPFILE   load and validate DATA in a loop until STOPFILE
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "tests" / "data" / "record-2021-05-28.yaml"  # frozen: see tests/data
HERE = Path(__file__).resolve()

# The date every test event is recorded on: the shipped dataset's as_of, so `as_of` never moves
# and the same command always gives the same bytes.
ON = "2021-05-28"

# Roadmaps that are agreed and tied to no open condition in the shipped data: `sign` may run.
SIGNABLE = (
    "macroeconomic-policy",
    "monetary-policy",
    "currency-control",
    "payment-systems",
    "banking-supervision",
    "investment-protection",
    "foreign-trade",
    "special-economic-measures",
    "civil-law",
    "property-registry",
    "electricity",
    "industrial-policy",
    "trade",
    "alcohol-trade",
    "transport",
    "communications",
    "antimonopoly",
    "consumer-protection",
    "public-procurement",
    "labour-social",
    "unidentified-27",
    "unidentified-28",
)

# After `sign`, `reopen` leads to pending and `agree` back to agreed: each step changes the file.
CYCLE = ("sign", "reopen", "agree")

# What must never reach a terminal: C0 controls but newline and tab, DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


# Children never write the cache into the real user's cache directory.
_SESSION_CACHE = tempfile.mkdtemp(prefix="unionstate-test-cache-")
atexit.register(shutil.rmtree, _SESSION_CACHE, True)


@pytest.fixture(autouse=True, name="cache_dir")
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cache_dir`: the test's own cache directory (import this autouse fixture to use it)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    return directory


def copy_shipped(directory: Path, name: str = "roadmaps.yaml") -> Path:
    """A private copy of the shipped dataset in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(SHIPPED.read_bytes())
    return path


def temp_files(directory: Path) -> list[str]:
    """The temp files that an interrupted write would leave beside the data file."""
    return sorted(p.name for p in directory.glob(".*.tmp"))


def cli_env(data: Path | None, **extra: str) -> dict[str, str]:
    """A clean environment for a child: this checkout importable, the data file chosen."""
    drop = {"UNIONSTATE_DEBUG", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["UNIONSTATE_LOCK_TIMEOUT"] = "30"
    env["UNIONSTATE_CACHE_DIR"] = os.environ.get("UNIONSTATE_CACHE_DIR") or _SESSION_CACHE
    if data is not None:
        env["UNIONSTATE_DATA"] = str(data)
    env.update(extra)
    return env


def cli_command(args: Sequence[str], hook: str = "") -> list[str]:
    """`python -m unionstate ARGS`, or the same with `hook` run first inside the child."""
    if not hook:
        return [sys.executable, "-m", "unionstate", *args]
    script = (
        "import os, sys, time\n"
        "sys.argv[0] = 'unionstate'\n"
        "import unionstate.cli\n"
        f"{hook}\n"
        "unionstate.cli.main()\n"
    )
    return [sys.executable, "-c", script, *args]


@dataclass
class Run:
    """How a child process ended."""

    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float | None = None  # the child's own peak RSS, with run(..., peak=True)

    def __str__(self) -> str:
        return (
            f"unionstate {' '.join(self.args)!r} -> {self.returncode}\n"
            f"stdout: {self.stdout[:500]!r}\nstderr: {self.stderr[:1500]!r}"
        )


class _Process:
    """A started child whose output goes to files, so that nothing can block on a full pipe."""

    args: list[str]
    pid: int
    started: float
    _out: IO[bytes]
    _err: IO[bytes]

    def signal(self, signum: int) -> None:
        """Send `signum` to the child."""
        os.kill(self.pid, signum)

    def running(self) -> bool:
        """Whether the child has not ended yet (it is not reaped here)."""
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:  # pragma: no cover - already reaped
            return False

    def wait(self, timeout: float = 60) -> Run:
        """Reap the child (killing it after `timeout` seconds) and collect what it did."""
        timer = threading.Timer(timeout, self._kill)
        timer.start()
        try:
            _, status = os.waitpid(self.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - self.started
        returncode = os.waitstatus_to_exitcode(status)
        self._reaped(returncode)
        outputs = []
        for handle in (self._out, self._err):
            handle.seek(0)
            outputs.append(handle.read().decode("utf-8", "backslashreplace"))
            handle.close()
        return Run(self.args, returncode, *outputs, seconds)

    def _reaped(self, returncode: int) -> None:
        pass

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # ended on its own meanwhile
            os.kill(self.pid, signal.SIGKILL)


class Child(_Process):
    """`python -m unionstate ARGS` (or a hooked `python -c`) as a fresh interpreter."""

    def __init__(
        self,
        args: Sequence[str],
        env: dict[str, str],
        *,
        hook: str = "",
        command: list[str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.args = list(args)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in wait()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            command or cli_command(args, hook),
            env=env,
            cwd=REPO,
            stdin=stdin,
            stdout=self._out,
            stderr=self._err,
            preexec_fn=preexec_fn,
        )
        self.pid = self.proc.pid

    def _reaped(self, returncode: int) -> None:
        self.proc.returncode = returncode


class Forked(_Process):
    """The CLI in a forked child of this process, where unionstate is already imported.

    A real process with its own streams, exit status and signals, minus the ~0.2 s of
    interpreter start-up: what lets a test kill hundreds of runs at random moments of their
    work. Never use it while a monkeypatch is active: the child would inherit it.
    """

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        from unionstate.cli import app

        self.args = list(args)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in wait()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        sys.stdout.flush()
        sys.stderr.flush()
        self.started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            _forked_main(app, self.args, env, self._out.fileno(), self._err.fileno())
        self.pid = pid


def _forked_main(app: Any, args: list[str], env: dict[str, str], out: int, err: int) -> None:
    code = 98
    try:
        os.environ.clear()
        os.environ.update(env)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        app(args, prog_name="unionstate")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 97
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run(
    args: Sequence[str],
    data: Path | None,
    *,
    hook: str = "",
    env: dict[str, str] | None = None,
    timeout: float = 60,
    peak: bool = False,
    **extra_env: str,
) -> Run:
    """Run `python -m unionstate ARGS` on `data` and wait for it.

    With `peak` (Linux), the child reports its own peak RSS (VmHWM) as it exits: wait4's
    ru_maxrss cannot be used, as it keeps the spawning process's RSS across the exec (a
    pytest worker that grew to 270 MB made every child "use" 270 MB).
    """
    if not peak:
        return Child(args, env or cli_env(data, **extra_env), hook=hook).wait(timeout)
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "status"
        hook = (
            f"import atexit, shutil\n"
            f"atexit.register(shutil.copyfile, '/proc/self/status', {str(report)!r})\n{hook}"
        )
        result = Child(args, env or cli_env(data, **extra_env), hook=hook).wait(timeout)
        kib = re.search(r"^VmHWM:\s+(\d+) kB", report.read_text(), re.MULTILINE)
        assert kib, report.read_text()
        result.peak_mb = int(kib[1]) / 1024
        return result


def run_together(
    jobs: Sequence[tuple[Sequence[str], Path] | tuple[Sequence[str], Path, dict[str, str]]],
    *,
    forked: bool = True,
) -> list[Run]:
    """Run read-only or refused commands at once (they cannot disturb each other).

    Each job is (args, data file[, extra environment]). The first runs as
    `python -m unionstate`; with `forked`, the others run as forked, pre-imported children,
    which behave the same and start ~0.2 s faster.
    """
    children: list[_Process] = []
    for i, (args, data, *extra) in enumerate(jobs):
        env = cli_env(data, **(extra[0] if extra else {}))
        children.append(Forked(args, env) if forked and i else Child(args, env))
    return [child.wait() for child in children]


def assert_refused(
    result: Run,
    code: int,
    data: Path,
    before: bytes | None,
    *,
    phrases: Iterable[str] = (),
    lines: int | None = 1,
) -> None:
    """The error contract: exit code, short message on stderr, nothing on stdout, no change.

    `before` is the data file's bytes before the command (None: the caller checks them).
    """
    assert result.returncode == code, result
    assert result.stdout == "", result
    assert "Traceback" not in result.stderr, result
    problems = result.stderr.splitlines()
    assert problems, result
    if lines is not None:
        assert len(problems) == lines, result
    for phrase in phrases:
        assert phrase in result.stderr, f"{phrase!r} missing\n{result}"
    assert not UNSAFE.search(result.stderr), result
    if before is not None and data.is_file():
        assert data.read_bytes() == before, "the data file changed"
    if data.parent.is_dir():
        assert temp_files(data.parent) == [], "a temp file was left behind"


# ------------------------------------------------------------------- hooks for the child


def pause_in_fsync(marker: Path, call: int = 1) -> str:
    """Hook: on the `call`th os.fsync, create `marker` and sleep, so a signal lands mid-write.

    The pause is many short sleeps, not one long one: a signal that arrives after the
    marker but just before a sleep begins does not interrupt that sleep, and Python runs
    its handler only once the sleep returns (seen under load: a 60 s hang).
    """
    return (
        "_real_fsync, _calls = os.fsync, [0]\n"
        "def _paused_fsync(fd):\n"
        "    _calls[0] += 1\n"
        f"    if _calls[0] == {call}:\n"
        f"        open({str(marker)!r}, 'w').close()\n"
        "        for _ in range(6000):\n"
        "            time.sleep(0.01)\n"
        "    return _real_fsync(fd)\n"
        "os.fsync = _paused_fsync\n"
    )


def wait_for(path: Path, child: _Process, timeout: float = 30) -> None:
    """Wait until `path` exists (the child reached its hook); fail if the child ended first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if not child.running():
            raise AssertionError(f"the child ended before {path.name}: {child.wait()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the child never reached {path.name}")
        time.sleep(0.002)


def released_together(jobs: Sequence[tuple[Sequence[str], Path]], ready_dir: Path) -> list[Run]:
    """Start every job, let each import unionstate and wait, then release them all at once.

    The children share one pipe as stdin and block reading it; closing its write end gives
    them all end-of-file at the same moment.
    """
    ready_dir.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    hook = (
        f"open(os.path.join({str(ready_dir)!r}, str(os.getpid())), 'w').close()\n"
        "sys.stdin.buffer.read()\n"
    )
    try:
        children = [Child(args, cli_env(data), hook=hook, stdin=read_end) for args, data in jobs]
    finally:
        os.close(read_end)
    deadline = time.monotonic() + 60
    while len(list(ready_dir.iterdir())) < len(children):
        assert time.monotonic() < deadline, "the children never got ready"
        time.sleep(0.005)
    os.close(write_end)
    return [child.wait() for child in children]


# ----------------------------------------------------------------------- worker script


def worker(command: str, *args: str | Path) -> Child:
    """Start this file as a worker process (see the module docstring)."""
    argv = [command, *map(str, args)]
    return Child(argv, cli_env(None), command=[sys.executable, str(HERE), *argv])


def _hold(data: Path, marker: Path) -> None:
    from unionstate import files

    with files.locked(data, timeout=5):
        marker.touch()
        time.sleep(120)


def _cycle(data: Path, roadmap: str, count: int) -> None:
    from unionstate.cli import app

    failures = []
    for i in range(count):
        args = ["--data", str(data), CYCLE[i % 3], roadmap, "--on", ON]
        try:
            app(args, prog_name="unionstate")
        except SystemExit as exc:
            if exc.code not in (0, None):
                failures.append((args, exc.code))
    print(json.dumps({"failures": failures}), flush=True)
    sys.exit(1 if failures else 0)


def _read(data: Path, stop: Path) -> None:
    from unionstate import store

    reads = 0
    sizes = set()
    while not stop.exists():
        raw = data.read_bytes()
        store.loads(raw, str(data))  # raises (and so fails the test) on any broken state
        reads += 1
        sizes.add(len(raw))
    print(json.dumps({"reads": reads, "states": len(sizes)}), flush=True)


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    if command == "hold":
        _hold(Path(path), Path(rest[0]))
    elif command == "cycle":
        _cycle(Path(path), rest[0], int(rest[1]))
    elif command == "read":
        _read(Path(path), Path(rest[0]))
    else:  # pragma: no cover
        raise SystemExit(f"unknown command {command!r}")
