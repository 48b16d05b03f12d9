"""A write that drops hand comments says so, in one line: how many, and where notes go."""

from __future__ import annotations

from pathlib import Path

from conftest import invoke

from unionstate import yamlfile


def test_a_write_that_drops_hand_comments_says_how_many(data: Path) -> None:
    text = data.read_text(encoding="utf-8")
    text = text.replace("\nroadmaps:\n", "\n# checked against the TASS report\nroadmaps:\n", 1)
    text = text.replace("  id: customs\n", "  id: customs  # ask Olga\n", 1)
    data.write_text(text, encoding="utf-8")
    result = invoke("--data", str(data), "agree", "customs", "--on", "2021-06-10")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "dropped 2 comment lines written by hand (the file keeps none): notes belong in "
        "`note:` fields (`unionstate note`) or a record's `notes:`"
    )
    assert yamlfile.comment_lines(data.read_bytes()) == 0


def test_a_write_of_a_file_without_hand_comments_says_nothing_of_them(data: Path) -> None:
    result = invoke("--data", str(data), "agree", "customs", "--on", "2021-06-10")
    assert result.exit_code == 0, result.stderr
    assert "comment" not in result.stderr


def test_a_hash_inside_text_is_not_a_comment() -> None:
    raw = b'a: "x #1"\nb: |\n  # a line of text\nc: d#e\n'
    assert yamlfile.comment_lines(raw) == 0


def test_a_merges_conflict_lines_are_not_counted_as_hand_comments() -> None:
    from unionstate.merge import conflict_lines
    from unionstate.models import HEADER

    lines = "".join(line + "\n" for line in conflict_lines([]))
    assert yamlfile.comment_lines(f"{HEADER}{lines}a: 1  # mine\n".encode()) == 1
