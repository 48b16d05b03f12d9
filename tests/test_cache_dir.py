"""The cache directory is not ours alone (issue 14, class 2).

`UNIONSTATE_CACHE_DIR=.` is a natural mistake: the cache must only ever touch names it
created, skip anything at its names that is not a regular file of ours without opening it,
and never create a directory inside somebody else's (root with a user's HOME).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from _proc import copy_shipped, run
from typer.testing import CliRunner

from unionstate import cache, files, store
from unionstate.cli import app

USERS_FILES = {
    "package.json": '{"name": "mine"}\n',
    "tsconfig.json": "{}\n",
    "0123456789abcdef0123456789abcdef.json": "looks like an old entry, but is mine\n",
    ".entry.abcdefgh.tmp": "an old-style temp name: not ours any more\n",
    ".mine.tmp": "x\n",
    "notes.txt": "hello\n",
}


def _list(data: Path) -> str:
    result = CliRunner().invoke(app, ["--data", str(data), "list"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _entries(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if cache.NAME.fullmatch(p.name)]


def test_a_shared_cache_directory_keeps_every_file_of_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More data files than MAX_ENTRIES force pruning; only the cache's own entries go."""
    shared = tmp_path / "project"
    shared.mkdir(mode=0o700)
    old = time.time() - 10 * 24 * 3600  # older than any staleness rule
    for name, text in USERS_FILES.items():
        (shared / name).write_text(text)
        os.utime(shared / name, (old, old))
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(shared))
    monkeypatch.chdir(shared)
    for i in range(cache.MAX_ENTRIES + 4):
        _list(copy_shipped(tmp_path / f"d{i}"))
    for name, text in USERS_FILES.items():
        assert (shared / name).read_text() == text, f"{name} was touched"
    assert len(_entries(shared)) == cache.MAX_ENTRIES


def test_a_fifo_at_the_entry_name_is_skipped_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = copy_shipped(tmp_path / "work")
    directory = tmp_path / "cache"
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    expected = _list(data)
    (entry,) = _entries(directory)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    result = run(["list"], data, timeout=20, UNIONSTATE_CACHE_DIR=str(directory))
    assert result.returncode == 0, result
    assert result.seconds < 10
    assert result.stdout == expected
    # Never opened: the miss wrote a genuine entry by renaming over the name.
    assert stat.S_ISREG(entry.lstat().st_mode)


def test_a_symlink_at_the_entry_name_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a copy of a genuine entry is not read through a link someone planted."""
    data = copy_shipped(tmp_path / "work")
    directory = tmp_path / "cache"
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    _list(data)
    (entry,) = _entries(directory)
    elsewhere = tmp_path / "elsewhere.json"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert cache.lookup(data, data.stat(), files.digest(data.read_bytes()), store._code()) is None
    elsewhere.rename(entry.with_name("moved"))
    entry.unlink()
    entry.with_name("moved").rename(entry)
    hit = cache.lookup(data, data.stat(), files.digest(data.read_bytes()), store._code())
    assert hit is not None  # the same bytes as a regular file of ours: a hit


@pytest.mark.parametrize("why", ["other-owner", "group-writable", "directory-not-ours"])
def test_the_ownership_check_comes_before_any_open(
    why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = copy_shipped(tmp_path / "work")
    directory = tmp_path / "cache"
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    _list(data)
    (entry,) = _entries(directory)
    me = os.geteuid()
    if why == "group-writable":
        entry.chmod(0o660)
    else:
        # Simulated: this process is someone else now (no root needed).
        monkeypatch.setattr(files, "_uid", lambda: me + 1)
        if why == "directory-not-ours":
            entry.chmod(0o600)
    opened: list[str] = []
    real_open = os.open

    def spy(path: object, *args: object, **kwargs: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    found = cache.lookup(data, data.stat(), files.digest(data.read_bytes()), store._code())
    assert found is None
    assert str(entry) not in opened


def test_the_cache_never_creates_a_directory_inside_someone_elses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root with a user's HOME (simulated for any user: the cache is told it runs as
    root, and the home belongs to an ordinary uid)."""
    home = tmp_path / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, 54321, 54321)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("UNIONSTATE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(files, "_uid", lambda: 0)
    data = copy_shipped(tmp_path / "work")
    _list(data)
    assert list(home.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as root with a user's HOME")
def test_root_with_a_users_home_leaves_nothing_root_owned_there(tmp_path: Path) -> None:
    """The real thing: a root process, a home owned by an ordinary uid."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 54321, 54321)
    (home / ".cache").mkdir()
    os.chown(home / ".cache", 54321, 54321)
    data = copy_shipped(tmp_path / "work")
    env_extra = {"HOME": str(home), "XDG_CACHE_HOME": ""}
    for args in (["list"], ["agree", "customs", "--on", "2021-05-28"], ["list"]):
        result = run(args, data, UNIONSTATE_CACHE_DIR="", **env_extra)
        assert result.returncode == 0, result
    owned = [p for p in home.rglob("*") if p.lstat().st_uid == 0]
    assert owned == []


def test_stale_cache_temp_files_of_ours_are_cleaned_and_only_those(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    old = time.time() - 2 * (files.STALE_TEMP_SECONDS * 10**9) / 1e9
    names = {
        ".unionstate-entry-abcd1234.tmp": False,  # ours and old: removed
        ".unionstate-entry-young123.tmp": True,  # ours but young: a live writer's
        ".unionstate-entry-toolongname.tmp": True,  # not mkstemp's pattern
        ".other-abcd1234.tmp": True,
    }
    for name, _ in names.items():
        (directory / name).write_text("x")
        if "young" not in name:
            os.utime(directory / name, (old, old))
    _list(copy_shipped(tmp_path / "work"))
    for name, kept in names.items():
        assert (directory / name).exists() == kept, name
