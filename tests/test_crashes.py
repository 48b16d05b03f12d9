"""Crashes: `sign` killed at random moments, and interrupted mid-write by SIGINT and SIGTERM.

The SIGKILL runs compare bytes, not "it still parses": a torn block-style YAML file is usually
valid YAML with records missing. Each run is a real process (forked from this pre-imported one,
so that 200 of them take seconds, not minutes). The kill lands at a uniformly random moment
between the start of a run and a little after the time an undisturbed run takes (measured
first, at most 150 ms): its whole life of loading, validating, writing, fsyncing and renaming.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from _proc import (
    CYCLE,
    ON,
    SIGNABLE,
    Child,
    Forked,
    assert_refused,
    cli_env,
    copy_shipped,
    pause_in_fsync,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    run,
    temp_files,
    wait_for,
)
from typer.testing import CliRunner

from unionstate import files, store
from unionstate.cli import app

RUNS = int(os.environ.get("UNIONSTATE_CRASH_RUNS", "200"))
SEED = int(os.environ.get("UNIONSTATE_CRASH_SEED", "20210528"))
WINDOW = 0.150  # at most this long after a run starts, it is killed


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped dataset."""
    return copy_shipped(tmp_path / "data")


def _expected(data: Path, scratch: Path, args: list[str]) -> bytes:
    """The bytes `args` writes, from the same command run undisturbed on a scratch copy."""
    shutil.copyfile(data, scratch)
    result = CliRunner().invoke(app, ["--data", str(scratch), *args])
    assert result.exit_code == 0, result.stderr
    return scratch.read_bytes()


def _lock_is_free(data: Path) -> bool:
    fd = os.open(files.lock_path(data), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_sign_killed_at_random_moments_leaves_old_or_new_bytes(data: Path, tmp_path: Path) -> None:
    """RUNS runs of sign/reopen/agree, each SIGKILLed at a random moment: old or new, exactly."""
    rng = random.Random(SEED)
    scratch = tmp_path / "scratch.yaml"
    output = tmp_path / "out"
    output.mkdir()
    tally: Counter[str] = Counter()
    env = cli_env(None)
    shutil.copyfile(data, scratch)
    undisturbed = sorted(
        Forked(["--data", str(scratch), action, "1", "--on", ON], env).wait().seconds
        for action in CYCLE * 2
    )
    window = min(WINDOW, 1.2 * undisturbed[len(undisturbed) // 2])
    started = time.perf_counter()
    for i in range(RUNS):
        args = ["--data", str(data), CYCLE[i % 3], "1", "--on", ON]
        old = data.read_bytes()
        new = _expected(data, scratch, args[2:])
        assert new != old
        temps_before = set(temp_files(data.parent))

        child = Forked(args, env)
        time.sleep(rng.uniform(0, window))
        child.signal(signal.SIGKILL)
        ended = child.wait()

        after = data.read_bytes()
        where = f"run {i} ({args[2]}): exit {ended.returncode}"
        assert after in (old, new), f"{where}: the file is neither the old nor the new bytes"
        tally["killed" if ended.returncode == -signal.SIGKILL else "finished first"] += 1
        tally["old bytes" if after == old else "new bytes"] += 1
        if set(temp_files(data.parent)) - temps_before:
            tally["killed mid-write (temp file left)"] += 1
        assert _lock_is_free(data), f"{where}: a stale lock"

        # The next run succeeds, over any leftover temp file and lock file.
        again = Forked(args, env).wait()
        assert again.returncode == 0, f"{where}: the next run failed: {again}"
        assert data.read_bytes() == new, f"{where}: the next run wrote something else"
    seconds = time.perf_counter() - started
    assert store.load(data).roadmap_by_id(SIGNABLE[0]).history[-1].date.text == ON
    print(
        f"SIGKILL x{RUNS} in {seconds:.1f}s (seed {SEED}, kill within {window * 1000:.0f} ms "
        f"of the start; an undisturbed run takes {undisturbed[0] * 1000:.0f}-"
        f"{undisturbed[-1] * 1000:.0f} ms): {dict(tally)}"
    )


# ----------------------------------------------------------- SIGINT and SIGTERM


def _interrupted_mid_write(
    data: Path, tmp_path: Path, signum: int, fsync_call: int = 1
) -> tuple[object, bytes]:
    marker = tmp_path / "in-fsync"
    child = Child(["sign", "1", "--on", ON], cli_env(data), hook=pause_in_fsync(marker, fsync_call))
    wait_for(marker, child)
    child.signal(signum)
    return child.wait(), data.read_bytes()


def test_sigint_during_the_write_leaves_the_old_bytes(data: Path, tmp_path: Path) -> None:
    """Ctrl-C while the temp file is fsynced: exit 130, one line, old bytes, temp removed."""
    before = data.read_bytes()
    result, after = _interrupted_mid_write(data, tmp_path, signal.SIGINT)
    assert_refused(result, 130, data, before, phrases=("interrupted",))  # type: ignore[arg-type]
    assert after == before
    assert run(["sign", "1", "--on", ON], data).returncode == 0


def test_sigint_while_waiting_for_the_lock(data: Path, tmp_path: Path) -> None:
    """Ctrl-C while another process holds the lock: exit 130, nothing changed."""
    before = data.read_bytes()
    fd = os.open(files.lock_path(data), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    marker = tmp_path / "waiting"
    hook = (
        "from unionstate import files\n"
        "_real_acquire = files._acquire\n"
        "def _acquire(*args):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    return _real_acquire(*args)\n"
        "files._acquire = _acquire\n"
    )
    try:
        child = Child(["sign", "1", "--on", ON], cli_env(data), hook=hook)
        wait_for(marker, child)
        time.sleep(0.05)
        child.signal(signal.SIGINT)
        result = child.wait()
    finally:
        os.close(fd)
    assert_refused(result, 130, data, before, phrases=("interrupted",))


@pytest.mark.parametrize(
    "signum",
    [
        pytest.param(
            signal.SIGTERM,
            id="SIGTERM",
        ),
        pytest.param(
            signal.SIGHUP,
            id="SIGHUP",
        ),
    ],
)
def test_termination_during_the_write_cleans_up(signum: int, data: Path, tmp_path: Path) -> None:
    """kill (or a closed terminal) while the temp file is fsynced: old bytes, temp removed."""
    before = data.read_bytes()
    result, after = _interrupted_mid_write(data, tmp_path, signum)
    assert after == before
    assert temp_files(data.parent) == []
    assert result.returncode in (130, 128 + signum, -signum), result  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


def test_termination_during_the_write_never_tears_the_file(data: Path, tmp_path: Path) -> None:
    """Whatever happens to the temp file, SIGTERM mid-write leaves the old bytes and no lock."""
    before = data.read_bytes()
    _, after = _interrupted_mid_write(data, tmp_path, signal.SIGTERM)
    assert after == before
    assert _lock_is_free(data)
    assert run(["sign", "1", "--on", ON], data).returncode == 0


def test_sigint_after_the_rename_does_not_claim_nothing_changed(data: Path, tmp_path: Path) -> None:
    """Interrupted once the new file is in place: the message must not say "not changed"."""
    new = _expected(data, tmp_path / "scratch.yaml", ["sign", "1", "--on", ON])
    result, after = _interrupted_mid_write(data, tmp_path, signal.SIGINT, fsync_call=2)
    assert after == new
    assert temp_files(data.parent) == []
    assert "not changed" not in result.stderr  # type: ignore[attr-defined]


def test_sigterm_after_the_rename_keeps_the_new_bytes(data: Path, tmp_path: Path) -> None:
    """Killed during the directory fsync: the new bytes are already complete."""
    new = _expected(data, tmp_path / "scratch.yaml", ["sign", "1", "--on", ON])
    _, after = _interrupted_mid_write(data, tmp_path, signal.SIGTERM, fsync_call=2)
    assert after == new
    assert temp_files(data.parent) == []


# ------------------------------------------- issue 21: the merge driver, undo and report

SMALL_RUNS = max(10, RUNS // 5)


def _killed_at_random(
    args: list[str], env: dict[str, str], rng: random.Random, window: float
) -> int | None:
    child = Forked(args, env)
    time.sleep(rng.uniform(0, window))
    child.signal(signal.SIGKILL)
    return child.wait().returncode


def _window(args: list[str], env: dict[str, str], reset: object) -> float:
    seconds = []
    for _ in range(3):
        reset()  # type: ignore[operator]
        seconds.append(Forked(args, env).wait().seconds)
    return min(WINDOW * 2, 1.2 * sorted(seconds)[1])


def test_the_merge_driver_killed_at_random_moments_leaves_ours_or_the_merge(
    data: Path, tmp_path: Path
) -> None:
    base, theirs, ours = data, tmp_path / "theirs.yaml", tmp_path / "ours.yaml"
    shutil.copyfile(base, theirs)
    assert CliRunner().invoke(app, ["--data", str(theirs), "agree", "customs"]).exit_code == 0
    shutil.copyfile(base, ours)
    assert CliRunner().invoke(app, ["--data", str(ours), "sign", SIGNABLE[0]]).exit_code == 0
    old = ours.read_bytes()
    args = ["merge", str(base), str(ours), str(theirs)]
    env = cli_env(None)
    merged = _expected_merge(args, ours, old, env)
    window = _window(args, env, lambda: ours.write_bytes(old))
    rng, tally = random.Random(SEED), Counter[str]()
    for i in range(SMALL_RUNS):
        ours.write_bytes(old)
        code = _killed_at_random(args, env, rng, window)
        after = ours.read_bytes()
        assert after in (old, merged), f"run {i}: exit {code}: neither ours nor the merge"
        tally["old" if after == old else "merged"] += 1
        assert _lock_is_free(ours), f"run {i}: a stale lock"
        assert Forked(args, env).wait().returncode in (0, 1), f"run {i}: the next run failed"
        assert ours.read_bytes() == merged
    print(f"merge driver SIGKILL x{SMALL_RUNS}: {dict(tally)}")


def _expected_merge(args: list[str], ours: Path, old: bytes, env: dict[str, str]) -> bytes:
    assert Forked(args, env).wait().returncode in (0, 1)
    merged = ours.read_bytes()
    ours.write_bytes(old)
    assert merged != old
    return merged


def test_undo_killed_at_random_moments_leaves_old_or_new_and_stays_undoable(
    data: Path, tmp_path: Path
) -> None:
    env = cli_env(data, UNIONSTATE_STATE_DIR=str(tmp_path / "state"))
    assert Forked(["agree", "customs", "--on", ON], env).wait().returncode == 0
    changed = data.read_bytes()
    assert Forked(["undo", "--yes"], env).wait().returncode == 0
    original = data.read_bytes()
    assert Forked(["redo", "--yes"], env).wait().returncode == 0  # changed again
    assert data.read_bytes() == changed

    def redo() -> None:  # back to the change, so that each undo has one to revert
        if data.read_bytes() != changed:
            assert Forked(["redo", "--yes"], env).wait().returncode == 0

    window = _window(["undo", "--yes"], env, redo)
    redo()
    rng, tally = random.Random(SEED), Counter[str]()
    for i in range(SMALL_RUNS):
        assert data.read_bytes() == changed
        code = _killed_at_random(["undo", "--yes"], env, rng, window)
        after = data.read_bytes()
        assert after in (changed, original), f"run {i}: exit {code}: torn"
        reverted = after == original
        tally["reverted" if reverted else "unchanged"] += 1
        # Always undoable (or, once reverted, redoable), killed or not.
        again = Forked(["redo" if reverted else "undo", "--yes"], env).wait()
        assert again.returncode == 0, f"run {i}: {again} {code} {_journal(tmp_path)}"
        assert data.read_bytes() != after, f"run {i}: the next step changed nothing"
        redo()
    print(f"undo SIGKILL x{SMALL_RUNS}: {dict(tally)}")


def test_report_killed_at_random_moments_never_tears_a_page(data: Path, tmp_path: Path) -> None:
    from unionstate import report

    site = tmp_path / "site"
    env = cli_env(data)
    assert Forked(["report", str(site)], env).wait().returncode == 0
    old = {p: (site / p).read_bytes() for p in report.build(store.load(data))}
    assert CliRunner().invoke(app, ["--data", str(data), "agree", "customs"]).exit_code == 0
    new = {p: text.encode() for p, text in report.build(store.load(data)).items()}
    window = _window(["report", str(site)], env, lambda: None)
    rng, tally = random.Random(SEED), Counter[str]()
    for i in range(SMALL_RUNS):
        for page, raw in old.items():
            (site / page).write_bytes(raw)
        _killed_at_random(["report", str(site)], env, rng, window)
        states = {"old" if (site / p).read_bytes() == old[p] else "new" for p in old}
        for page in old:
            assert (site / page).read_bytes() in (old[page], new[page]), f"run {i}: {page} torn"
        tally["/".join(sorted(states))] += 1
        assert Forked(["report", str(site)], env).wait().returncode == 0
        assert not list(site.rglob("*.tmp")), f"run {i}: temp files left by the next run"
    print(f"report SIGKILL x{SMALL_RUNS}: {dict(tally)}")


def _journal(tmp_path: Path) -> str:
    return "\n".join(p.read_text() for p in (tmp_path / "state").rglob("entries.json"))
