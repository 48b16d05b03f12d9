"""Issue 21 (hardening, round three): the merge driver's write, the journal and the report
inside their own walls, git integration, exit codes, exports and dates."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

from unionstate import checks, files, merge, store


def _sides(tmp_path: Path, minimal_data: dict[str, Any]) -> tuple[Path, Path, Path]:
    paths = tuple(tmp_path / f"{side}.yaml" for side in ("base", "ours", "theirs"))
    for path in paths:
        store.save(checks.validate(minimal_data), path)
    theirs = minimal_data | {"title": "Their title, much longer than ours"}
    store.save(checks.validate(theirs), paths[2])
    return paths  # type: ignore[return-value]


# ----------------------------------------------------------------- the merge driver


def test_the_merge_driver_waits_for_the_lock_and_leaves_ours_alone_when_busy(
    tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ours, theirs = _sides(tmp_path, minimal_data)
    before = ours.read_bytes()
    monkeypatch.setenv("UNIONSTATE_LOCK_TIMEOUT", "0.2")
    with files.locked(ours):
        done = invoke("merge", str(base), str(ours), str(theirs))
    assert done.exit_code == 4, done.stderr
    assert "another unionstate process holds the lock" in done.stderr
    assert ours.read_bytes() == before


def test_the_merge_driver_never_overwrites_an_update_made_while_it_merged(
    tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ours, theirs = _sides(tmp_path, minimal_data)
    real = merge.merge

    def racing(*versions: Any) -> merge.Merged:
        edited = ours.read_bytes().replace(b"Tax policy", b"Tax policy (hand edit)")
        ours.write_bytes(edited)  # someone's editor, not a unionstate process
        return real(*versions)

    monkeypatch.setattr(merge, "merge", racing)
    done = invoke("merge", str(base), str(ours), str(theirs))
    assert done.exit_code == 4, done.stderr
    assert "changed on disk" in done.stderr
    assert b"(hand edit)" in ours.read_bytes()


def test_a_merge_result_over_the_size_cap_is_refused_and_ours_untouched(
    tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ours, theirs = _sides(tmp_path, minimal_data)
    for path, index in ((ours, 0), (theirs, 2)):  # each side well under the cap, not both
        data = copy.deepcopy(minimal_data)
        data["roadmaps"][index]["notes"] = "x" * 500
        store.save(checks.validate(data), path)
    before = ours.read_bytes()
    monkeypatch.setattr(store, "MAX_BYTES", max(len(before), theirs.stat().st_size) + 100)
    done = invoke("merge", str(base), str(ours), str(theirs))
    assert done.exit_code == 1, done.stderr
    assert "over the" in done.stderr and "nothing was merged" in done.stderr
    assert ours.read_bytes() == before


@pytest.mark.parametrize("ancestor", [b"", b"\n"])
def test_a_file_added_on_both_sides_merges_without_an_ancestor(
    tmp_path: Path, minimal_data: dict[str, Any], ancestor: bytes
) -> None:
    base, ours, theirs = _sides(tmp_path, minimal_data)
    base.write_bytes(ancestor)  # git's %O for an add/add conflict
    done = invoke("merge", str(base), str(ours), str(theirs))
    assert done.exit_code == 1, done.stderr  # both added every record: the title differs
    assert "title: ours 'Test roadmaps', theirs 'Their title, much longer than ours'" in done.stderr
    assert store.load(ours).title == "Test roadmaps"
    assert invoke("--data", str(ours), "validate").exit_code == 0
