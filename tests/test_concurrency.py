"""Concurrent use: separate processes released together, a lock held too long, a killed holder,
readers beside writers, and a hand edit made while the tool is working.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from _proc import (
    ON,
    SIGNABLE,
    Child,
    assert_refused,
    cli_env,
    copy_shipped,
    pause_in_fsync,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    released_together,
    run,
    run_together,
    temp_files,
    wait_for,
    worker,
)
from typer.testing import CliRunner

from unionstate import files, store, updates
from unionstate.cli import app
from unionstate.errors import Busy
from unionstate.models import Dataset, RoadmapStatus
from unionstate.updates import Outcome


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped dataset."""
    return copy_shipped(tmp_path / "data")


def histories(dataset: Dataset) -> dict[str, int]:
    """Each roadmap's number of history events."""
    return {r.id: len(r.history) for r in dataset.roadmaps}


def test_twenty_processes_signing_different_roadmaps_all_land(data: Path, tmp_path: Path) -> None:
    """20 processes released at once, one roadmap each: 20 signatures, one event apiece."""
    before = store.load(data)
    chosen = SIGNABLE[:20]
    started = time.perf_counter()
    results = released_together(
        [(["sign", rid, "--on", ON], data) for rid in chosen], tmp_path / "ready"
    )
    seconds = time.perf_counter() - started
    for result in results:
        assert result.returncode == 0, result
        assert "signed on" in result.stderr, result
    after = store.load(data)
    grown = {rid: n - histories(before)[rid] for rid, n in histories(after).items()}
    assert grown == {rid: int(rid in chosen) for rid in grown}
    for rid in chosen:
        roadmap = after.roadmap_by_id(rid)
        assert roadmap.status is RoadmapStatus.SIGNED
        assert roadmap.last_event.status is RoadmapStatus.SIGNED
    assert store.dumps(after) == data.read_bytes()
    assert temp_files(data.parent) == []
    print(f"20 signers released together: all recorded in {seconds:.2f}s wall")


@pytest.mark.parametrize("rid", SIGNABLE[:3])
def test_two_processes_signing_the_same_roadmap_record_one_event(
    rid: str, data: Path, tmp_path: Path
) -> None:
    """Two processes released at once on one roadmap: one signs, the other finds it signed."""
    before = histories(store.load(data))[rid]
    results = released_together([(["sign", rid, "--on", ON], data)] * 2, tmp_path / "ready")
    assert [r.returncode for r in results] == [0, 0], results
    messages = sorted(r.stderr.strip().split(": ", 1)[-1] for r in results)
    assert sum("signed on" in r.stderr for r in results) == 1, results
    assert sum("already signed; nothing changed" in r.stderr for r in results) == 1, messages
    after = store.load(data)
    assert histories(after)[rid] == before + 1
    assert after.roadmap_by_id(rid).status is RoadmapStatus.SIGNED


def _hold_lock(data: Path) -> int:
    fd = os.open(files.lock_path(data), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_lock_held_past_the_timeout_gives_busy(data: Path) -> None:
    """Another holder keeps the lock: exit 4 after UNIONSTATE_LOCK_TIMEOUT, file unchanged."""
    before = data.read_bytes()
    fd = _hold_lock(data)
    try:
        result = run(["sign", "1", "--on", ON], data, UNIONSTATE_LOCK_TIMEOUT="0.5")
        readers = run_together([(["validate"], data), (["list"], data)])
    finally:
        os.close(fd)
    assert_refused(
        result,
        4,
        data,
        before,
        phrases=(str(files.lock_path(data)), "another unionstate process holds the lock"),
    )
    assert result.seconds >= 0.5
    for reader in readers:  # reading never waits for the lock
        assert reader.returncode == 0, reader
    assert run(["sign", "1", "--on", ON], data).returncode == 0


def test_killed_lock_holder_leaves_no_stale_lock(data: Path, tmp_path: Path) -> None:
    """SIGKILL a process holding the lock: the next command gets the lock at once."""
    marker = tmp_path / "locked"
    holder = worker("hold", data, marker)
    wait_for(marker, holder)
    holder.signal(signal.SIGKILL)
    assert holder.wait().returncode == -signal.SIGKILL
    assert files.lock_path(data).exists()  # the file stays; the lock died with its holder
    result = run(["sign", "1", "--on", ON], data, UNIONSTATE_LOCK_TIMEOUT="0.5")
    assert result.returncode == 0, result


def test_writer_killed_mid_write_leaves_no_stale_lock(data: Path, tmp_path: Path) -> None:
    """SIGKILL a `sign` paused inside its write: old bytes, and the next command succeeds."""
    before = data.read_bytes()
    marker = tmp_path / "in-fsync"
    child = Child(["sign", "1", "--on", ON], cli_env(data), hook=pause_in_fsync(marker))
    wait_for(marker, child)
    assert len(temp_files(data.parent)) == 1  # caught with its temp file written
    child.signal(signal.SIGKILL)
    child.wait()
    assert data.read_bytes() == before
    result = run(["sign", "1", "--on", ON], data, UNIONSTATE_LOCK_TIMEOUT="0.5")
    assert result.returncode == 0, result
    assert store.load(data).roadmap_by_id(SIGNABLE[0]).status is RoadmapStatus.SIGNED


def test_readers_never_see_a_broken_file_while_writers_run(data: Path, tmp_path: Path) -> None:
    """Two reader processes load and validate in a loop while three writers make 45 changes."""
    stop = tmp_path / "stop"
    count = 15
    roadmaps = SIGNABLE[:3]
    before = histories(store.load(data))
    readers = [worker("read", data, stop) for _ in range(2)]
    writers = [worker("cycle", data, rid, count) for rid in roadmaps]
    written = [w.wait(timeout=120) for w in writers]
    stop.touch()
    read = [r.wait(timeout=60) for r in readers]
    for result in written:
        assert result.returncode == 0, result
    for result in read:
        assert result.returncode == 0, result  # a failed load raises in the reader
    stats = [__import__("json").loads(r.stdout) for r in read]
    assert all(s["reads"] > 0 for s in stats), stats
    after = store.load(data)
    for rid in roadmaps:
        assert histories(after)[rid] == before[rid] + count
        assert after.roadmap_by_id(rid).status.value == "agreed"  # 15 steps of 3: back to start
    print(f"readers during {len(roadmaps) * count} writes: {stats}")


# ---------------------------------------------------- a hand edit during the update


def _hand_edit(data: Path) -> bytes:
    """What an editor would do: change a roadmap's notes and save over the file."""
    text = data.read_text("utf-8")
    edited = text.replace("  sphere: finance\n", "  sphere: finance and banking\n", 1)
    assert edited != text
    data.write_text(edited, "utf-8")
    return edited.encode("utf-8")


def test_hand_edit_between_read_and_write_is_detected(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changes while the transition is computed: exit 4, the hand edit survives."""
    real = updates.transition
    edits: list[bytes] = []

    def transition_with_an_edit(*args: Any, **kwargs: Any) -> Any:
        edits.append(_hand_edit(data))
        return real(*args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(updates, "transition", transition_with_an_edit)
        result = CliRunner().invoke(app, ["--data", str(data), "sign", "1", "--on", ON])
    assert result.exit_code == 4, result.stderr
    assert result.stdout == ""
    assert "changed on disk during the update; nothing was written" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert data.read_bytes() == edits[0]
    assert temp_files(data.parent) == []
    again = CliRunner().invoke(app, ["--data", str(data), "sign", "1", "--on", ON])
    assert again.exit_code == 0
    assert store.load(data).roadmap_by_id(SIGNABLE[0]).sphere == "finance and banking"


def test_hand_edit_through_the_library_is_detected(data: Path) -> None:
    """store.update itself refuses to overwrite a file that changed after it was read."""
    edits: list[bytes] = []

    def change(dataset: Dataset) -> Dataset:
        edits.append(_hand_edit(data))
        outcome = updates.transition(
            dataset, "sign", ["1"], updates.Entry(on=dataset.as_of), dataset.as_of
        )
        return outcome.dataset

    with pytest.raises(Busy):
        store.update(data, lambda d: Outcome(change(d)))
    assert data.read_bytes() == edits[0]


def test_hand_edit_during_the_temp_file_write_is_not_overwritten(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor saves while the tool fsyncs its temp file: the edit must not be lost."""
    real_fsync = os.fsync
    edits: list[bytes] = []

    def fsync_with_an_edit(fd: int) -> None:
        if not edits:
            edits.append(_hand_edit(data))
        real_fsync(fd)

    with monkeypatch.context() as mp:
        mp.setattr(os, "fsync", fsync_with_an_edit)
        result = CliRunner().invoke(app, ["--data", str(data), "sign", "1", "--on", ON])
    assert edits, "the write never fsynced"
    assert data.read_bytes() == edits[0], "the hand edit was overwritten"
    assert result.exit_code == 4


def test_a_merge_run_on_a_live_file_never_loses_an_acknowledged_update(tmp_path: Path) -> None:
    """Issue 21: `unionstate merge BASE LIVE THEIRS` while updates run on LIVE: every update
    that exited 0 is in the final file, and so is theirs' change whenever the merge ran."""
    import shutil

    from _proc import SIGNABLE, Forked, cli_env, copy_shipped

    live = copy_shipped(tmp_path / "live")
    base, theirs = tmp_path / "base.yaml", tmp_path / "theirs.yaml"
    shutil.copyfile(live, base)
    shutil.copyfile(live, theirs)
    assert CliRunner().invoke(app, ["--data", str(theirs), "agree", "customs"]).exit_code == 0
    env = cli_env(live)
    for i, rid in enumerate(SIGNABLE[:5]):
        shutil.copyfile(base, live)
        jobs = [Forked(["sign", rid, "--on", "2021-06-10"], env)]
        if i % 2:
            time.sleep(0.02 * i)
        jobs.append(Forked(["merge", str(base), str(live), str(theirs)], env))
        signed, merged = (job.wait() for job in jobs)
        final = store.load(live)
        assert signed.returncode in (0, 4), signed
        assert merged.returncode in (0, 1, 4), merged
        if signed.returncode == 0:
            assert final.roadmap_by_id(rid).status is RoadmapStatus.SIGNED, f"round {i}: lost"
        if merged.returncode in (0, 1):
            assert final.roadmap_by_id("customs").status is RoadmapStatus.AGREED, f"round {i}"
