"""`unionstate edit` with no field: the data file in $EDITOR, checked on save (visudo-style).

The editor is a script that edits the file it is given as a person would; TTY_COMPATIBLE=1
stands in for a terminal, and CliRunner's input answers the "edit again?" question.
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from unionstate import store
from unionstate.cli import app

RENAME = "title: Customs regulation\n"
RENAMED = "title: Customs regulation and administration\n"


def editor(tmp_path: Path, body: str) -> str:
    """An executable editor script: `path` is the file to edit; `log` its own notes."""
    script = tmp_path / "editor.py"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        "path = pathlib.Path(sys.argv[1])\n"
        f"log = pathlib.Path({str(tmp_path / 'editor.log')!r})\n"
        "runs = log.read_text().count('\\n') + 1 if log.exists() else 1\n"
        "log.write_text((log.read_text() if log.exists() else '') + str(path) + '\\n')\n"
        "text = path.read_text(encoding='utf-8')\n" + body,
        encoding="utf-8",
    )
    script.chmod(0o755)
    return str(script)


RETITLE = f"path.write_text(text.replace({RENAME!r}, {RENAMED!r}, 1), encoding='utf-8')\n"
BREAK = "path.write_text(text + 'roadmaps: [\\n', encoding='utf-8')\n"


def edit(data: Path, script: str, *, terminal: bool = True, answers: str = "") -> Result:
    env = {"EDITOR": script, "VISUAL": None, "TTY_COMPATIBLE": "1" if terminal else "0"}
    env.update({"NO_COLOR": None, "FORCE_COLOR": None, "COLUMNS": None})
    result = CliRunner().invoke(app, ["--data", str(data), "edit"], env=env, input=answers)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def runs(tmp_path: Path) -> list[str]:
    log = tmp_path / "editor.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_changed_title_is_saved_and_undo_restores_the_bytes(data: Path, tmp_path: Path) -> None:
    before = data.read_bytes()
    result = edit(data, editor(tmp_path, RETITLE))
    assert result.exit_code == 0, result.stderr
    assert f"saved {data}" in " ".join(result.stderr.split())  # a terminal wraps it at words
    assert store.load(data).roadmap_by_id("customs").title == RENAMED.split(": ")[1].strip()
    (copy,) = runs(tmp_path)
    assert copy != str(data) and Path(copy).name == data.name  # a copy, never the file itself
    assert not Path(copy).exists() and not Path(copy).parent.exists()  # and cleaned up
    undo = CliRunner().invoke(app, ["--data", str(data), "undo", "--yes"])
    assert undo.exit_code == 0, undo.stderr
    assert data.read_bytes() == before


def test_broken_yaml_is_shown_as_file_line_col_and_never_saved(data: Path, tmp_path: Path) -> None:
    before = data.read_bytes()
    result = edit(data, editor(tmp_path, BREAK), answers="n\n")
    assert result.exit_code == 1
    (copy,) = runs(tmp_path)
    problem = next(line for line in result.stderr.splitlines() if line.startswith(copy))
    line, column = problem[len(copy) + 1 :].split(":")[:2]
    assert line.isdigit() and column.isdigit()
    assert "Edit it again?" in result.stderr
    assert "was not changed" in result.stderr
    assert data.read_bytes() == before
    assert not Path(copy).exists()


def test_editing_again_after_a_mistake_saves_the_fixed_version(data: Path, tmp_path: Path) -> None:
    fix = "text = text.replace('roadmaps: [\\n', '')\n"
    body = f"if runs == 1:\n    {BREAK}else:\n    {fix}    {RETITLE}"
    result = edit(data, editor(tmp_path, body), answers="y\n")
    assert result.exit_code == 0, result.stderr
    assert len(runs(tmp_path)) == 2
    assert store.load(data).roadmap_by_id("customs").title.endswith("and administration")


def test_an_invalid_record_is_refused_like_broken_yaml(data: Path, tmp_path: Path) -> None:
    before = data.read_bytes()
    body = "path.write_text(text.replace('status: pending', 'status: done', 1))\n"
    result = edit(data, editor(tmp_path, body), answers="n\n")
    assert result.exit_code == 1
    (copy,) = runs(tmp_path)
    problem = next(line for line in result.stderr.splitlines() if line.startswith(copy + ":"))
    assert "status: expected one of pending, agreed" in problem, problem
    assert data.read_bytes() == before


def test_not_on_a_terminal_it_refuses_without_running_the_editor(
    data: Path, tmp_path: Path
) -> None:
    before = data.read_bytes()
    result = edit(data, editor(tmp_path, RETITLE), terminal=False)
    assert result.exit_code == 2
    assert "not on a terminal" in result.stderr
    assert runs(tmp_path) == []
    assert data.read_bytes() == before


def test_an_unchanged_file_and_a_failing_editor_change_nothing(data: Path, tmp_path: Path) -> None:
    before = data.read_bytes()
    same = edit(data, editor(tmp_path, "pass\n"))
    assert same.exit_code == 0
    assert "no change" in same.stderr
    failing = edit(data, editor(tmp_path, RETITLE + "sys.exit(3)\n"))
    assert failing.exit_code == 1
    assert "the editor exited with status 3; nothing was changed" in failing.stderr
    missing = edit(data, str(tmp_path / "no-such-editor"))
    assert missing.exit_code == 1
    assert "cannot run the editor" in missing.stderr
    assert data.read_bytes() == before


def test_a_change_made_meanwhile_is_never_overwritten(data: Path, tmp_path: Path) -> None:
    """Someone else writes the data file while the editor is open: their change stays."""
    meanwhile = (
        f"real = pathlib.Path({str(data)!r})\n"
        "real.write_bytes(real.read_bytes() + b'# theirs\\n')\n"
    )
    result = edit(data, editor(tmp_path, meanwhile + RETITLE))
    assert result.exit_code == 4, result.stderr
    assert "changed by something else while you edited it" in result.stderr
    assert data.read_bytes().endswith(b"# theirs\n")
    (copy,) = runs(tmp_path)
    assert f"your version is kept in {copy}" in result.stderr
    assert RENAMED in Path(copy).read_text(encoding="utf-8")


def test_a_comment_alone_is_no_change_and_says_it_is_not_kept(data: Path, tmp_path: Path) -> None:
    canonical = CliRunner().invoke(app, ["--data", str(data), "source", "edit", "tass-1295507",
                                         "--language", "en"])  # fmt: skip
    assert canonical.exit_code == 0  # the file is now in its canonical form
    before = data.read_bytes()
    result = edit(data, editor(tmp_path, "path.write_text(text + '# a thought\\n')\n"))
    assert result.exit_code == 0, result.stderr
    assert "no change to the data (comments and layout are not kept)" in result.stderr
    assert data.read_bytes() == before
