"""Saving: canonical bytes, atomic replacement, locking, and read-modify-write under the lock."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from unionstate import checks, files, models, plain, store
from unionstate.errors import Busy, Refused, WriteFailed
from unionstate.models import Dataset
from unionstate.updates import Outcome


def retitled(dataset: Dataset, title: str) -> Dataset:
    """A re-validated copy of `dataset` with a new title."""
    return checks.validate({**plain.fields_of(dataset), "title": title})


def leftovers(directory: Path) -> list[str]:
    """Temporary files that a write left behind."""
    return sorted(p.name for p in directory.glob(".*.tmp"))


# ----------------------------------------------------------------------- canonical bytes


def test_the_shipped_file_is_in_canonical_form(shipped: Path) -> None:
    """Loading and saving the shipped dataset changes no byte, so `git diff` stays quiet."""
    raw = shipped.read_bytes()
    assert store.dumps(store.load(shipped)).decode() == raw.decode()


def test_dumps_is_deterministic(minimal_data: dict[str, Any]) -> None:
    first = store.dumps(checks.validate(minimal_data))
    second = store.dumps(checks.validate(minimal_data))
    assert first == second
    assert store.dumps(store.loads(first, "x")) == first


def test_save_then_load_round_trips(minimal_data: dict[str, Any], tmp_path: Path) -> None:
    dataset = checks.validate(minimal_data)
    path = tmp_path / "roadmaps.yaml"
    store.save(dataset, path)
    assert store.load(path) == dataset


def test_the_written_file_starts_with_the_header(data_file: Path) -> None:
    raw = data_file.read_bytes()
    assert raw.startswith(models.HEADER.encode())
    assert raw[len(models.HEADER.encode()) :].startswith(b"schema_version: 4\n")


def test_a_long_value_stays_on_one_line(minimal_data: dict[str, Any], data_file: Path) -> None:
    short_lines = data_file.read_bytes().count(b"\n")
    notes = " ".join(f"word{i}" for i in range(600))
    minimal_data["roadmaps"][1]["notes"] = notes
    minimal_data["roadmaps"][1]["title"] = "A long title " * 40
    text = store.dumps(checks.validate(minimal_data)).decode()
    assert f"  notes: {notes}\n" in text
    assert text.count("\n") == short_lines


@pytest.mark.parametrize(
    ("spelling", "written"),
    [
        ("2020-03-06", "date: 2020-03-06"),
        ("~2020-03-06", "date: ~2020-03-06"),
        ("2020-03", "date: 2020-03"),
        ("2020", "date: '2020'"),
        ("..2020-03-06", "date: ..2020-03-06"),
        ("2020-03-01..2020-03-06", "date: 2020-03-01..2020-03-06"),
        ("2020-03..", "date: 2020-03.."),
    ],
)
def test_every_date_spelling_is_written_as_given_and_reads_back(
    minimal_data: dict[str, Any], spelling: str, written: str
) -> None:
    for record in (
        minimal_data["conditions"][0]["history"][0],
        minimal_data["milestones"][0],
        minimal_data["roadmaps"][2]["history"][0],
    ):
        record["date"] = spelling
    dataset = checks.validate(minimal_data)
    raw = store.dumps(dataset)
    found = [line.strip().removeprefix("- ") for line in raw.decode().splitlines()]
    assert found.count(written) == 3
    back = store.loads(raw, "x")
    assert back.milestones[0].date.text == spelling
    assert back == dataset
    assert store.dumps(back) == raw


ROUND_TRIP_TEXT = [
    *["yes", "No", "on", "OFF", "y", "null", "Null", "~", "true", "False", ""],
    *["1", "-1", "+1", "007", "0o17", "0x1F", "1_000", "1.5", ".5", "1.", "12:30", ".inf"],
    *["2021-05-28", "2021-05-28T10:00:00", "- a", "a: b", "#x", " lead", "trail ", "x\ny"],
    *["tab\there", "'", '"', "&x", "*x", "!x", "%x", "@x", "`x", "|", ">", "? x", "<<"],
    *["Russia–Belarus", "Лукашенко", "$127 per 1000 m³", "a\\b", "{a: 1}", "[1]"],
]


@pytest.mark.parametrize("text", ROUND_TRIP_TEXT)
def test_any_text_round_trips(minimal_data: dict[str, Any], text: str) -> None:
    """Text that looks like another YAML type is still text after save and load."""
    minimal_data["roadmaps"][2]["notes"] = text
    dataset = checks.validate(minimal_data)
    assert store.loads(store.dumps(dataset), "x").roadmaps[2].notes == text


@pytest.mark.parametrize("text", ["08", "09", "1e5", "1E10", "1e+5", "1.0e5", "+.5"])
def test_text_that_yaml_12_reads_as_a_number_round_trips(
    minimal_data: dict[str, Any], text: str
) -> None:
    minimal_data["roadmaps"][2]["notes"] = text
    dataset = checks.validate(minimal_data)
    assert store.loads(store.dumps(dataset), "x").roadmaps[2].notes == text


def test_a_numeric_looking_source_id_round_trips(
    minimal_data: dict[str, Any], tmp_path: Path
) -> None:
    minimal_data["sources"][1]["id"] = "08"
    minimal_data["milestones"][0]["sources"] = ["08"]
    minimal_data["conditions"][0]["history"][0]["sources"] = ["08"]
    minimal_data["roadmaps"][0]["history"][0]["sources"] = ["08"]
    dataset = checks.validate(minimal_data)
    path = tmp_path / "roadmaps.yaml"
    store.save(dataset, path)
    assert store.load(path) == dataset


# ------------------------------------------------------------------------ atomic writes


def test_saving_keeps_the_file_mode(minimal_data: dict[str, Any], data_file: Path) -> None:
    data_file.chmod(0o640)
    store.save(retitled(checks.validate(minimal_data), "Changed"), data_file)
    assert stat.S_IMODE(data_file.stat().st_mode) == 0o640
    assert store.load(data_file).title == "Changed"


def test_saving_through_a_symlink_changes_the_target_and_keeps_the_link(
    minimal_data: dict[str, Any], data_file: Path, tmp_path: Path
) -> None:
    link = tmp_path / "elsewhere" / "roadmaps.yaml"
    link.parent.mkdir()
    link.symlink_to(data_file)
    store.save(retitled(checks.validate(minimal_data), "Through the link"), link)
    assert link.is_symlink()
    assert link.resolve() == data_file.resolve()
    assert store.load(data_file).title == "Through the link"
    assert leftovers(link.parent) == [] and leftovers(data_file.parent) == []


def test_a_read_only_file_is_refused_and_unchanged(
    minimal_data: dict[str, Any], data_file: Path
) -> None:
    """Root could write anyway; the mode bits say the user does not want it changed."""
    before = data_file.read_bytes()
    data_file.chmod(0o444)
    with pytest.raises(WriteFailed) as caught:
        store.save(retitled(checks.validate(minimal_data), "Changed"), data_file)
    assert "read-only" in caught.value.message
    assert data_file.read_bytes() == before
    assert leftovers(data_file.parent) == []


def _fail(code: int, name: str) -> Any:
    def failing(*args: object, **kwargs: object) -> Any:
        raise OSError(code, name)

    return failing


@pytest.mark.parametrize(
    ("target", "attribute", "code", "expected"),
    [
        (os, "fsync", errno.EIO, "EIO"),
        (os, "replace", errno.EXDEV, "EXDEV"),
        (os, "chmod", errno.EPERM, "EPERM"),
        (tempfile, "mkstemp", errno.ENOSPC, "ENOSPC"),
    ],
    ids=["fsync-EIO", "replace-EXDEV", "chmod-EPERM", "mkstemp-ENOSPC"],
)
def test_a_failed_write_leaves_the_old_bytes_and_no_temp_file(
    minimal_data: dict[str, Any],
    data_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: Any,
    attribute: str,
    code: int,
    expected: str,
) -> None:
    before = data_file.read_bytes()
    changed = retitled(checks.validate(minimal_data), "Changed")
    monkeypatch.setattr(target, attribute, _fail(code, expected))
    with pytest.raises(WriteFailed) as caught:
        store.save(changed, data_file)
    assert expected in caught.value.message
    assert "not changed" in caught.value.message
    monkeypatch.undo()
    assert data_file.read_bytes() == before
    assert leftovers(data_file.parent) == []


def test_a_write_failure_is_reported_only_when_the_old_bytes_remain(
    minimal_data: dict[str, Any], data_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = data_file.read_bytes()
    changed = retitled(checks.validate(minimal_data), "Changed")
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "EIO")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        store.save(changed, data_file)
    except WriteFailed as exc:
        assert data_file.read_bytes() == before, f"{exc.message!r}, yet the file was changed"
    else:
        assert data_file.read_bytes() == store.dumps(changed)


# ----------------------------------------------------------------------------- update


def test_update_writes_the_changed_dataset(minimal_data: dict[str, Any], data_file: Path) -> None:
    outcome = store.update(data_file, lambda dataset: Outcome(retitled(dataset, "Updated")))
    after = outcome.dataset
    assert after.title == "Updated"
    assert data_file.read_bytes() == store.dumps(after)
    assert leftovers(data_file.parent) == []


def test_update_without_a_change_does_not_rewrite_the_file(data_file: Path) -> None:
    inode = data_file.stat().st_ino
    before = store.load(data_file)
    after = store.update(data_file, lambda dataset: Outcome(dataset)).dataset
    assert before == after
    assert data_file.stat().st_ino == inode


def test_update_whose_change_refuses_leaves_the_file_untouched(data_file: Path) -> None:
    before = data_file.read_bytes()

    def refuse(dataset: Dataset) -> Outcome:
        raise Refused("not allowed")

    with pytest.raises(Refused):
        store.update(data_file, refuse)
    assert data_file.read_bytes() == before
    assert leftovers(data_file.parent) == []


def test_update_detects_a_hand_edit_made_during_the_update(data_file: Path) -> None:
    """An editor does not take our lock; its change must survive and ours must not land."""

    def change(dataset: Dataset) -> Outcome:
        raw = data_file.read_bytes()
        data_file.write_bytes(raw.replace(b"title: Test roadmaps", b"title: Hand edit"))
        return Outcome(retitled(dataset, "Tool edit"))

    with pytest.raises(Busy) as caught:
        store.update(data_file, change)
    assert "changed on disk" in caught.value.message
    assert store.load(data_file).title == "Hand edit"


# ----------------------------------------------------------------------------- locking

HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
"""


@pytest.fixture
def held_lock(data_file: Path) -> Iterator[Path]:
    """Another process holds the lock on data_file for as long as the test runs."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(files.lock_path(data_file))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        yield data_file
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_locked_times_out_with_busy_while_another_process_holds_the_lock(
    held_lock: Path,
) -> None:
    before = held_lock.read_bytes()
    started = time.monotonic()
    with pytest.raises(Busy) as caught, files.locked(held_lock, timeout=0.3):
        pytest.fail("got a lock that another process holds")
    waited = time.monotonic() - started
    assert 0.3 <= waited < 1.5
    assert "another unionstate process holds the lock" in caught.value.message
    assert held_lock.read_bytes() == before
    assert files.lock_path(held_lock).exists()


def test_the_lock_timeout_comes_from_the_environment(
    held_lock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIONSTATE_LOCK_TIMEOUT", "0.2")
    started = time.monotonic()
    with pytest.raises(Busy), files.locked(held_lock):
        pytest.fail("got a lock that another process holds")
    assert time.monotonic() - started < 1.5


def test_update_while_locked_elsewhere_is_busy_and_writes_nothing(
    held_lock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = held_lock.read_bytes()
    monkeypatch.setenv("UNIONSTATE_LOCK_TIMEOUT", "0.2")
    with pytest.raises(Busy):
        store.update(held_lock, lambda dataset: Outcome(retitled(dataset, "Changed")))
    assert held_lock.read_bytes() == before


def test_the_lock_is_released_and_its_file_kept(data_file: Path) -> None:
    before = data_file.read_bytes()
    with files.locked(data_file, timeout=0.3):
        assert files.lock_path(data_file).exists()
    with files.locked(data_file, timeout=0.3):  # released: a second holder gets it at once
        pass
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; fcntl.flock(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)",
            str(files.lock_path(data_file)),
        ],
        check=False,
        timeout=10,
    )
    assert probe.returncode == 0
    assert files.lock_path(data_file).exists()
    assert data_file.read_bytes() == before


def test_the_lock_file_is_outside_the_data_files_tree(data_file: Path, tmp_path: Path) -> None:
    """The lock lives in the state directory, one per real path: never in the user's tree."""
    link = tmp_path / "link.yaml"
    link.symlink_to(data_file)
    for path in (data_file, link):
        assert files.lock_path(path) != path.resolve()
        assert not files.lock_path(path).is_relative_to(data_file.resolve().parent)
        assert files.lock_path(path).is_relative_to(files.state_dir())
    assert files.lock_path(link) == files.lock_path(data_file)
    other = tmp_path / "other" / data_file.name
    other.parent.mkdir()
    other.write_bytes(data_file.read_bytes())
    assert files.lock_path(other) != files.lock_path(data_file)
