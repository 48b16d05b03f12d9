"""`unionstate undo`: the journal of changes made through unionstate, without git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from unionstate import files, journal, store
from unionstate.cli import app
from unionstate.models import RoadmapStatus

AGREE = ["agree", "customs", "--on", "2021-06-10", "--note", "A"]


def run(data: Path, *args: str, stdin: str | None = None) -> Result:
    """`unionstate --data DATA ARGS`, never a traceback."""
    result = CliRunner().invoke(app, ["--data", str(data), *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 70, result.stderr
    return result


def test_undo_reverts_the_last_update_byte_for_byte(data: Path) -> None:
    before = data.read_bytes()
    assert run(data, *AGREE).exit_code == 0
    after = data.read_bytes()
    result = run(data, "undo", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "will revert #1" in result.stderr
    assert "roadmap 8 (customs): agreed on 2021-06-10 (note: A)" in result.stderr
    assert data.read_bytes() == before
    assert store.load(data).roadmap_by_id("customs").status is RoadmapStatus.PENDING
    # An undo is a change too: undoing it puts the update back.
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == after


def test_undo_after_an_outside_edit_is_refused_and_changes_nothing(data: Path) -> None:
    assert run(data, *AGREE).exit_code == 0
    edited = data.read_bytes().replace(b"title: Customs", b"title: Customs union", 1)
    data.write_bytes(edited)
    result = run(data, "undo", "--yes")
    assert result.exit_code == 1
    assert "was changed by something else since the last change made through unionstate" in (
        result.stderr
    )
    assert data.read_bytes() == edited


def test_undo_off_a_terminal_needs_yes(data: Path) -> None:
    assert run(data, *AGREE).exit_code == 0
    after = data.read_bytes()
    result = run(data, "undo")
    assert result.exit_code == 2
    assert "unionstate undo --yes" in result.stderr
    assert data.read_bytes() == after


def test_undo_asks_on_a_terminal(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    before = data.read_bytes()
    assert run(data, *AGREE).exit_code == 0
    after = data.read_bytes()
    assert run(data, "undo", stdin="n\n").exit_code == 1
    assert data.read_bytes() == after
    assert run(data, "undo", stdin="y\n").exit_code == 0
    assert data.read_bytes() == before


def test_nothing_to_undo(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "undo", "--yes")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr
    assert data.read_bytes() == before


def test_refused_and_empty_updates_are_not_journaled(data: Path) -> None:
    assert run(data, "sign", "gas-market", "--on", "2021-06-10").exit_code == 1
    assert run(data, "agree", "transport", "--on", "2021-06-10").exit_code == 0  # already
    assert journal.entries(data) == []


def test_undo_list_shows_recent_changes_newest_last(data: Path) -> None:
    run(data, *AGREE)
    run(data, "resolve", "gas-price", "--on", "2021-06-11")
    run(data, "undo", "--yes")
    rows = run(data, "undo", "--list").stdout.splitlines()
    assert rows[0] == "id\ttime\tchange"
    changes = [row.split("\t")[2] for row in rows[1:]]
    assert changes == [
        "roadmap 8 (customs): agreed on 2021-06-10 (note: A) (and 1 more)",
        "condition gas-price: resolved on 2021-06-11 (note: Resolved.) (and 1 more)",
        "undo: condition gas-price: resolved on 2021-06-11 (note: Resolved.) (and 1 more)",
    ]
    entries = json.loads(run(data, "undo", "--list", "--json").stdout)
    assert [e["undoes"] for e in entries] == [None, None, 2]


def test_the_journal_is_pruned(data: Path) -> None:
    days = [f"2021-06-{day:02d}" for day in range(1, 29)]
    for i, day in enumerate(days):
        action = "agree" if i % 2 == 0 else "reopen"
        assert run(data, action, "customs", "--on", day).exit_code == 0
    entries = journal.entries(data)
    assert len(entries) == journal.MAX_ENTRIES
    assert entries[-1].id == len(days)
    kept = list((files.state_dir() / "journal").glob("*/*.z"))
    assert len(kept) <= journal.MAX_ENTRIES


def test_updates_leave_nothing_beside_the_data_file(data: Path) -> None:
    """The lock and the journal live in the state directory, not in the user's tree."""
    run(data, *AGREE)
    run(data, "undo", "--yes")
    assert sorted(p.name for p in data.parent.iterdir()) == [data.name]
    assert files.lock_path(data).is_relative_to(files.state_dir())


def test_without_a_usable_state_directory_updates_still_work(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A home that cannot hold the state directory: the lock goes beside the file, no undo."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("UNIONSTATE_STATE_DIR", str(blocker / "state"))
    assert run(data, *AGREE).exit_code == 0
    assert store.load(data).roadmap_by_id("customs").status is RoadmapStatus.AGREED
    assert files.lock_path(data) == data.with_name(data.name + ".lock")
    result = run(data, "undo", "--yes")
    assert result.exit_code == 1
    assert "nothing to undo" in result.stderr
