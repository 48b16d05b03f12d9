"""Issue 21 (hardening, round three): the merge driver's write, the journal and the report
inside their own walls, git integration, exit codes, exports and dates."""

from __future__ import annotations

import copy
import os
import sys
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


# ------------------------------------------------------------------------- the journal


def _agree(data: Path, day: str = "2021-06-10") -> Any:
    return invoke("--data", str(data), "agree", "tax-policy", "--on", day)


def test_journal_pruning_never_touches_directories_it_did_not_make(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state directory that already holds a `journal/` of 40 folders of the user's, some
    named like ours and holding files named like ours: the update removes none of them."""
    state = tmp_path / "state"
    monkeypatch.setenv("UNIONSTATE_STATE_DIR", str(state))
    planted = []
    for i in range(40):
        folder = state / "journal" / f"photos-{i:024x}"
        (folder / "sub").mkdir(parents=True)
        folder.chmod(0o700)
        (folder / "entries.json").write_text('{"path": "/elsewhere", "entries": []}')
        (folder / f"{'a' * 64}.z").write_bytes(b"mine")
        (folder / "sub" / "keep.txt").write_text("mine")
        os.utime(folder, (1, 1))
        planted.append(folder)
    for i in range(3):  # user folders without our pattern, and one that is a link
        (state / "journal" / f"notes{i}").mkdir()
    (state / "journal" / f"link-{0:024x}").symlink_to(tmp_path)
    assert _agree(data_file).exit_code == 0
    for folder in planted:
        assert sorted(p.name for p in folder.rglob("*")) == sorted(
            ["entries.json", "a" * 64 + ".z", "sub", "keep.txt"]
        )
    assert len(list((state / "journal").iterdir())) == 40 + 3 + 1 + 1  # and ours


def test_journal_pruning_still_removes_its_own_oldest_journals(
    tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from unionstate import journal

    monkeypatch.setattr(journal, "MAX_FILES", 2)
    paths = []
    for i in range(4):
        path = tmp_path / f"d{i}" / "roadmaps.yaml"
        path.parent.mkdir()
        store.save(checks.validate(minimal_data), path)
        assert _agree(path).exit_code == 0
        os.utime(journal._directory(path), (i + 1, i + 1))
        paths.append(path)
    assert _agree(paths[3], "2021-06-11").exit_code == 0
    kept = sorted(p.name for p in (files.state_dir() / "journal").iterdir())
    assert kept == sorted(files.file_key(p) for p in paths[2:])


@pytest.mark.parametrize(
    "index",
    [
        '{"path": "/x", "entries": [{"id": "one", "time": "t", "description": "d", '
        '"before": "b", "after": "a"}]}',
        '{"path": "/x", "entries": [[1, 2]]}',
        '{"path": 7, "entries": []}',
        '{"path": "/x", "entries": {"a": 1}}',
        "[" * 100_000,
        '{"path": "/x", "entries": [{"id": 1, "time": "t", "description": "d", '
        '"before": "b", "after": "a", "undoes": "x"}]}',
    ],
)
def test_a_damaged_journal_never_fails_an_update_that_was_written(
    data_file: Path, index: str
) -> None:
    from unionstate import journal

    directory = journal._directory(data_file)
    directory.mkdir(parents=True)
    (directory / "entries.json").write_text(index)
    done = _agree(data_file)
    assert done.exit_code == 0, done.stderr
    assert str(store.load(data_file).roadmap_by_id("tax-policy").status) == "agreed"


@pytest.mark.parametrize("epoch", ["99999999999999999999", "١٢٣", "-5", "1e9"])
def test_an_out_of_range_source_date_epoch_never_fails_an_update(
    data_file: Path, monkeypatch: pytest.MonkeyPatch, epoch: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    done = _agree(data_file)
    assert done.exit_code == 0, done.stderr
    assert invoke("--data", str(data_file), "undo", "--list").exit_code == 0


def test_a_fifo_as_the_journal_index_never_hangs_an_update(data_file: Path) -> None:
    """Run as a process with a deadline: a blocking open would hang with the lock held."""
    from _proc import run

    from unionstate import journal

    directory = journal._directory(data_file)
    directory.mkdir(parents=True)
    os.mkfifo(directory / "entries.json")
    done = run(["agree", "tax-policy", "--on", "2021-06-10"], data_file, timeout=20)
    assert done.returncode == 0, done.stderr
    assert stat_kind(directory / "entries.json") == "fifo"  # never replaced, never opened


def stat_kind(path: Path) -> str:
    import stat

    return "fifo" if stat.S_ISFIFO(path.lstat().st_mode) else "other"


def test_a_saved_copy_that_inflates_beyond_the_cap_is_refused_quickly(
    data_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time
    import zlib

    from unionstate import journal

    assert _agree(data_file).exit_code == 0
    entry = journal.entries(data_file)[-1]
    bomb = zlib.compress(b"\0" * (store.MAX_BYTES * 4), 9)
    (journal._directory(data_file) / f"{entry.before}.z").write_bytes(bomb)
    started = time.monotonic()
    done = invoke("--data", str(data_file), "undo", "--yes")
    assert done.exit_code == 1, done.stderr
    assert "no longer holds the bytes" in done.stderr
    assert time.monotonic() - started < 5


# -------------------------------------------------------------------------- the report


def _report(data: Path, site: Path, *more: str) -> Any:
    return invoke("--data", str(data), "report", str(site), *more)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    "link",
    [
        "index.html",  # a page
        "roadmaps",  # a folder of pages
        "roadmaps/gas-market.html",  # a page in a folder
        "style.css",  # a name the report writes, if it does
        ".unionstate-report",  # the marker itself
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_report_never_writes_through_a_symlink_in_the_site_folder(
    data_file: Path, tmp_path: Path, link: str, force: bool
) -> None:
    site, outside = tmp_path / "site", tmp_path / "elsewhere"
    assert _report(data_file, site).exit_code == 0  # a site of ours, then a link planted
    outside.mkdir()
    (outside / "precious").write_text("keep")
    planted = site / link
    if planted.is_dir():
        import shutil

        shutil.rmtree(planted)
        planted.symlink_to(outside, target_is_directory=True)
    else:
        planted.unlink(missing_ok=True)
        planted.symlink_to(outside / "precious")
    before = _tree(outside)
    done = _report(data_file, site, *(["--force"] if force else []))
    if link == "style.css" and done.exit_code == 0:
        pytest.skip("the report writes no style.css")  # a link the report never meets
    assert done.exit_code == 1, done.stderr
    assert done.stderr.count("\n") == 1
    assert f"{planted}: is a symbolic link" in done.stderr
    assert _tree(outside) == before


@pytest.mark.parametrize(
    "existing",
    [
        {"index.html": "my own page"},
        {"notes.txt": "mine"},
        {".git/config": "[core]"},
        {"roadmaps/gas-market.html": "mine"},
    ],
)
def test_report_writes_only_into_an_empty_folder_or_one_it_made(
    data_file: Path, tmp_path: Path, existing: dict[str, str]
) -> None:
    site = tmp_path / "home"
    for name, text in existing.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    before = _tree(site)
    done = _report(data_file, site)
    assert done.exit_code == 1
    assert "holds files the report did not write" in done.stderr and "--force" in done.stderr
    assert _tree(site) == before
    forced = _report(data_file, site, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (site / ".unionstate-report").is_file()
    for name, text in existing.items():
        if name not in report_pages(data_file):
            assert (site / name).read_text() == text
    assert _report(data_file, site).exit_code == 0  # marked: no --force needed again


def report_pages(data: Path) -> set[str]:
    from unionstate import report

    return set(report.build(store.load(data)))


def test_report_into_an_empty_folder_marks_it(data_file: Path, tmp_path: Path) -> None:
    site = tmp_path / "empty"
    site.mkdir()
    assert _report(data_file, site).exit_code == 0
    assert _report(data_file, site).exit_code == 0
    assert set(_tree(site)) >= {".unionstate-report", "index.html"}


# ------------------------------------------------------------------------ exit codes


def _child(args: list[str], data: Path, **kwargs: Any) -> Any:
    import subprocess

    from _proc import REPO, cli_command, cli_env

    env = cli_env(data, **kwargs.pop("env", {}))
    return subprocess.run(
        cli_command(args),
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output="stdout" not in kwargs,
        timeout=60,
        check=False,
        **kwargs,
    )


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "cp1251", "koi8-r"])
@pytest.mark.parametrize(
    "args", [["show", "customs"], ["summary"], ["export"], ["list", "--json"], ["conditions"]]
)
def test_a_stdout_that_is_not_utf8_escapes_what_it_cannot_show(
    data: Path, encoding: str, args: list[str]
) -> None:
    import json

    done = _child(args, data, env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode(encoding)
    if "--json" in args or args == ["export"]:
        json.loads(text)  # escapes that JSON reads back
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list", "--help"], ["-h"]])
@pytest.mark.parametrize("stdout", ["closed", "full"])
def test_help_and_version_with_stdout_closed_or_full_exit_5(
    data: Path, args: list[str], stdout: str
) -> None:
    if stdout == "closed":
        done = _child(args, data, stderr=-1, stdout=None, preexec_fn=lambda: os.close(1))
        expected = "unionstate: cannot write to stdout: it is closed\n"
    else:
        with open("/dev/full", "wb") as full:
            done = _child(args, data, stderr=-1, stdout=full)
        expected = "unionstate: cannot write to stdout: No space left on device\n"
    assert done.returncode == 5, done.stderr
    assert done.stderr.decode() == expected


# ------------------------------------------------------------------- exports and dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tax;=cmd|' /C calc'!A0;", "Tax;'=cmd|' /C calc'!A0;"),
        ("a; @SUM(1)", "a; '@SUM(1)"),
        ("a|+1", "a|'+1"),
        ("a,-2+3", "a,'-2+3"),
        ("line\n=1", "line\n'=1"),
        ("=1;=2", "'=1;'=2"),
        ("2019-09; 2021-05", "2019-09; 2021-05"),  # a date is not a formula
        ("gas-price;customs", "gas-price;customs"),
    ],
)
def test_csv_neutralises_a_formula_after_any_separator(text: str, expected: str) -> None:
    from unionstate import views

    assert views.csv_cell(text) == expected


def test_a_csv_export_split_at_semicolons_has_no_live_formula(
    data_file: Path, minimal_data: dict[str, Any]
) -> None:
    data = copy.deepcopy(minimal_data)
    data["roadmaps"][2]["notes"] = "Tax;=cmd|' /C calc'!A0;+1;\t-2"
    store.save(checks.validate(data), data_file)
    done = invoke("--data", str(data_file), "export", "-f", "csv")
    assert done.exit_code == 0
    for separator in (",", ";", "\t", "|"):
        for line in done.stdout.splitlines():
            for cell in line.split(separator):
                assert not cell.lstrip(' "').startswith(("=", "+", "@")), (separator, cell)


DIGITS = ["٢٠٢١-٠٦-١٠", "۲۰۲۱-۰۶-۱۰", "２０２１-０６-１０", "2021-0६-10", "२०२१"]


@pytest.mark.parametrize("day", DIGITS)
@pytest.mark.parametrize("option", ["--on", "--as-of", "--since"])
def test_dates_in_non_ascii_digits_are_refused_with_exit_2(
    data_file: Path, day: str, option: str
) -> None:
    before = data_file.read_bytes()
    args = {
        "--on": ["agree", "tax-policy", "--on", day],
        "--as-of": ["list", "--as-of", day],
        "--since": ["history", "--since", day],
    }[option]
    done = invoke("--data", str(data_file), *args)
    assert done.exit_code == 2, done.output
    assert data_file.read_bytes() == before


@pytest.mark.parametrize("day", DIGITS)
def test_a_data_file_with_dates_in_non_ascii_digits_is_invalid(
    data_file: Path, minimal_data: dict[str, Any], day: str
) -> None:
    text = data_file.read_text(encoding="utf-8").replace("date: 2019-12-20", f"date: '{day}'")
    assert day in text
    data_file.write_text(text, encoding="utf-8")
    done = invoke("--data", str(data_file), "validate")
    assert done.exit_code == 3, done.output
    as_of = data_file.read_text(encoding="utf-8").replace("as_of: 2021-05-28", f"as_of: '{day}'")
    data_file.write_text(as_of, encoding="utf-8")
    assert invoke("--data", str(data_file), "validate").exit_code == 3


# --------------------------------------------------------------------------- the lows


@pytest.mark.parametrize("fields", ["", " ", ",", " , ,"])
def test_an_empty_fields_list_is_a_usage_error(data_file: Path, fields: str) -> None:
    done = invoke("--data", str(data_file), "list", "--fields", fields)
    assert done.exit_code == 2
    assert "--fields names no field; choose from: " in done.stderr


@pytest.mark.parametrize("columns", ["10000000", "999999999999", "1"])
def test_a_huge_or_tiny_columns_keeps_tables_bounded(data: Path, columns: str) -> None:
    import subprocess

    from _proc import REPO, cli_command, cli_env

    script = (
        "import os, pty, sys\n"
        "pid, fd = pty.fork()\n"
        "if pid == 0:\n"
        f"    os.execvp(sys.executable, {cli_command(['list'])!r})\n"
        "out = b''\n"
        "while True:\n"
        "    try:\n"
        "        chunk = os.read(fd, 65536)\n"
        "    except OSError:\n"
        "        break\n"
        "    if not chunk:\n"
        "        break\n"
        "    out += chunk\n"
        "os.waitpid(pid, 0)\n"
        "sys.stdout.buffer.write(out)\n"
    )
    env = cli_env(data, COLUMNS=columns, UNIONSTATE_PAGER="cat", NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, timeout=60
    )
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    assert lines, done.stderr
    from unionstate import terminal

    assert max(len(line) for line in lines) <= terminal.MAX_WIDTH + 2


def test_the_json_schema_date_pattern_is_javascript(shipped: Path) -> None:
    """No Python-only syntax (named groups `(?P<...>`): editors check it as ECMA-262."""
    import json
    import re

    from unionstate import views

    text = views.schema_json()
    assert "(?P<" not in text
    patterns = re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', text)
    assert patterns
    for pattern in map(json.loads, patterns):
        compiled = re.compile(pattern, re.ASCII)
        if "~" in pattern:  # the date pattern (a count range has ".." too)
            for good in ("2021-05-28", "~2021-05-28", "2021-05", "2021", "..2021-08-09", "2019.."):
                assert compiled.fullmatch(good), (pattern, good)
            assert not compiled.fullmatch("٢٠٢١")
    assert (shipped.parent / "roadmaps.schema.json").read_text(encoding="utf-8") == text


def test_a_deleted_current_directory_is_not_an_internal_error(data: Path, tmp_path: Path) -> None:
    import subprocess

    from _proc import cli_command, cli_env

    gone = tmp_path / "gone"
    script = f"import os, sys, subprocess; os.mkdir({str(gone)!r}); os.chdir({str(gone)!r}); "
    script += f"os.rmdir({str(gone)!r}); "
    script += f"sys.exit(subprocess.run({cli_command(['list'])!r}).returncode)"
    for env in (cli_env(data), {**cli_env(None), "UNIONSTATE_DATA": ""}):
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, timeout=60
        )
        assert done.returncode in (0, 3), done.stderr
        assert b"internal error" not in done.stderr


def test_a_relative_state_directory_is_ignored(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UNIONSTATE_STATE_DIR", "state-here")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert files.state_dir() == tmp_path / "xdg" / "unionstate"
    assert _agree(data_file).exit_code == 0
    assert not (tmp_path / "state-here").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own nothing of the user's")
def test_root_with_a_users_home_leaves_nothing_root_owned_there(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".local" / "state" / "unionstate").mkdir(parents=True)
    for folder in [home, *home.rglob("*")]:
        os.chown(folder, 54321, 54321)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("UNIONSTATE_STATE_DIR")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert _agree(data_file).exit_code == 0
    assert [p for p in home.rglob("*") if p.stat().st_uid == 0] == []


def test_an_interrupted_report_leaves_the_old_site_and_no_temp_file(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    assert _report(data_file, site).exit_code == 0
    before = _tree(site)
    data = store.load(data_file)
    store.save(checks.validate({**store.to_plain(data), "title": "A new title"}), data_file)
    real, calls = files._temp, []

    def interrupted(*args: Any) -> str:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(files, "_temp", interrupted)
    done = invoke("--data", str(data_file), "report", str(site))
    assert done.exit_code == 130
    assert _tree(site) == before  # not one page new: the renames had not begun
    monkeypatch.setattr(files, "_temp", real)
    assert _report(data_file, site).exit_code == 0
    assert b"A new title" in (site / "index.html").read_bytes()


def test_a_killed_reports_temp_files_are_removed_by_the_next(data: Path, tmp_path: Path) -> None:
    from _proc import run

    site = tmp_path / "site"
    hook = (
        "import os, signal\n"
        "from unionstate import files\n"
        "real, calls = files._temp, []\n"
        "def dying(*args):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 6:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*args)\n"
        "files._temp = dying\n"
    )
    killed = run(["report", str(site)], data, hook=hook)
    assert killed.returncode == -9
    assert [p for p in site.rglob("*.tmp")]  # what a kill leaves
    assert not (site / "index.html").exists()  # and no page: no rename had happened
    done = run(["report", str(site)], data)
    assert done.returncode == 0, done.stderr
    assert not [p for p in site.rglob("*.tmp")]


# ------------------------------------------------------------------------------- undo

_KILL_AT_DATA_WRITE = (
    "import os, signal\n"
    "from pathlib import Path\n"
    "from unionstate import files\n"
    "real = files.write_atomic\n"
    "def dying(path, *args, **kwargs):\n"
    "    if Path(path).resolve() == Path(os.environ['UNIONSTATE_DATA']).resolve():\n"
    "        {before}\n"
    "        real(path, *args, **kwargs)\n"
    "        {after}\n"
    "        return\n"
    "    real(path, *args, **kwargs)\n"
    "files.write_atomic = dying\n"
)
_KILL = "os.kill(os.getpid(), signal.SIGKILL)"


@pytest.mark.parametrize("moment", ["before", "after"])
def test_an_undo_killed_around_its_write_can_be_undone_or_redone(data: Path, moment: str) -> None:
    from _proc import run

    assert run(["agree", "customs", "--on", "2021-06-10"], data).returncode == 0
    changed = data.read_bytes()
    hook = _KILL_AT_DATA_WRITE.format(
        before=_KILL if moment == "before" else "pass", after=_KILL if moment == "after" else "pass"
    )
    killed = run(["undo", "--yes"], data, hook=hook)
    assert killed.returncode == -9
    if moment == "before":  # nothing was written: the same undo is offered again
        assert data.read_bytes() == changed
        done = run(["undo", "--yes"], data)
        assert done.returncode == 0, done.stderr
        assert data.read_bytes() != changed
    else:  # written, and recorded: redo puts the change back
        assert data.read_bytes() != changed
        done = run(["redo", "--yes"], data)
        assert done.returncode == 0, done.stderr
        assert data.read_bytes() == changed


def test_ctrl_c_at_undos_prompt_changes_nothing(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    assert invoke("agree", "customs", "--on", "2021-06-10").exit_code == 0
    before = data.read_bytes()
    monkeypatch.setattr("unionstate.terminal.is_terminal", lambda stream: True)
    monkeypatch.setattr("unionstate.cli.is_terminal", lambda stream: True)

    def interrupted(*args: Any, **kwargs: Any) -> bool:
        raise typer.Abort()

    monkeypatch.setattr(typer, "confirm", interrupted)
    done = invoke("undo")
    assert done.exit_code == 130
    assert "interrupted; nothing was changed" in done.stderr
    assert data.read_bytes() == before
