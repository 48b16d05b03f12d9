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
    assert "roadmap 8 (customs): agreed on 2021-06-10" in result.stderr
    assert data.read_bytes() == before
    assert store.load(data).roadmap_by_id("customs").status is RoadmapStatus.PENDING
    # An undo of an undo is a redo: it puts the update back.
    assert run(data, "redo", "--yes").exit_code == 0
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
    assert rows[0] == "id\ttime\tstate\tchange"
    changes = [row.split("\t")[2:] for row in rows[1:]]
    assert changes == [
        ["applied", "roadmap 8 (customs): agreed on 2021-06-10"],
        ["undone", "condition gas-price: resolved on 2021-06-11"],
        ["undo", "undo: condition gas-price: resolved on 2021-06-11"],
    ]
    entries = json.loads(run(data, "undo", "--list", "--json").stdout)
    assert [e["undoes"] for e in entries] == [None, None, 2]
    assert [e["state"] for e in entries] == ["applied", "undone", "undo"]


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


# ------------------------------------------------------- undo that goes back, redo

SOURCE = "https://example.org/news/1"


def _three_changes(data: Path) -> list[bytes]:
    """The file's bytes before each of three changes, then after the last."""
    states = [data.read_bytes()]
    for args in (
        ["agree", "customs", "--on", "2021-06-10", "--source", SOURCE],
        ["resolve", "gas-price", "--on", "2021-06-11"],
        ["block", "transport", "--condition", "sovereignty", "--on", "2021-06-12"],
    ):
        assert run(data, *args).exit_code == 0
        states.append(data.read_bytes())
    return states


def test_each_undo_goes_one_change_further_back(data: Path) -> None:
    """Two undo steps restore the bytes from before the last two changes."""
    states = _three_changes(data)
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == states[2]
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == states[1]
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == states[0]
    result = run(data, "undo", "--yes")
    assert result.exit_code == 1
    assert "nothing to undo: every recorded change" in result.stderr
    assert data.read_bytes() == states[0]


def test_redo_puts_back_in_order_and_a_new_change_forgets_the_undone(data: Path) -> None:
    states = _three_changes(data)
    run(data, "undo", "--yes")
    run(data, "undo", "--yes")
    assert run(data, "redo", "--yes").exit_code == 0
    assert data.read_bytes() == states[2]
    assert run(data, "redo", "--yes").exit_code == 0
    assert data.read_bytes() == states[3]
    assert run(data, "redo", "--yes").exit_code == 1  # nothing left to put back
    run(data, "undo", "--yes")
    assert run(data, "note", "customs", "--on", "2021-06-13", "--note", "N", "--source", SOURCE)
    after_note = data.read_bytes()
    result = run(data, "redo", "--yes")
    assert result.exit_code == 1
    assert "nothing to redo" in result.stderr
    assert data.read_bytes() == after_note


def test_undo_to_returns_to_the_state_before_that_change(data: Path) -> None:
    states = _three_changes(data)
    result = run(data, "undo", "--to", "2", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "will revert #3" in result.stderr and "will revert #2" in result.stderr
    assert data.read_bytes() == states[1]
    assert run(data, "redo", "--yes").exit_code == 0  # #2 first
    assert data.read_bytes() == states[2]
    refused = run(data, "undo", "--to", "3", "--yes")  # #3 is undone: not applied now
    assert refused.exit_code == 1
    assert "#3 is not a change that can be undone now (those are #1, #2)" in refused.stderr
    assert data.read_bytes() == states[2]


def test_undo_list_names_the_main_effect_first(data: Path) -> None:
    _three_changes(data)
    rows = [row.split("\t") for row in run(data, "undo", "--list").stdout.splitlines()[1:]]
    assert rows[0][3] == "roadmap 8 (customs): agreed on 2021-06-10; 1 source added"
    assert rows[2][3] == (
        "roadmap 21 (transport): blocked on 2021-06-12; "
        "roadmap 21 (transport): linked_conditions: [] → [sovereignty]"
    )


def test_diff_last_shows_the_last_change_without_git(data: Path) -> None:
    _three_changes(data)
    result = run(data, "diff", "--last")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("roadmap 21 (transport): blocked on 2021-06-12")
    assert "#3 (" in result.stderr
    run(data, "undo", "--yes")
    undone = run(data, "diff", "--last")  # the undo, as any change
    assert "event removed: blocked on 2021-06-12" in undone.stdout


def test_toggling_undo_and_redo_keeps_the_change_and_a_short_journal(data: Path) -> None:
    """Each undo and redo is journaled, but a pair that cancels out is forgotten: the change
    they toggle is never pruned away, and the journal stays short."""
    before = data.read_bytes()
    assert run(data, *AGREE).exit_code == 0
    for _ in range(journal.MAX_ENTRIES + 5):
        assert run(data, "undo", "--yes").exit_code == 0
        assert run(data, "redo", "--yes").exit_code == 0
    assert len(journal.entries(data)) <= 3
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == before
