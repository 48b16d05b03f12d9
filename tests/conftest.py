"""Shared fixtures: an isolated data path, a small valid dataset, and the shipped file."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from unionstate import checks, store

REPO_ROOT = Path(__file__).resolve().parent.parent


_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """One private cache for the whole session, set before any fixture of any scope runs.

    Module-scoped fixtures load data before the per-test fixture below can point the cache
    anywhere, and child processes inherit the environment: without this they would write
    into the user's real cache directory.
    """
    directory = tempfile.mkdtemp(prefix="unionstate-session-cache-")
    _SESSION_CACHE.append(directory)
    os.environ["UNIONSTATE_CACHE_DIR"] = directory
    os.environ["XDG_CACHE_HOME"] = os.path.join(directory, "xdg")


# Modules whose tests start many processes, kill them, build wheels or render every page:
# the `slow` tier. `pytest -m "not slow" -n 2` is the loop to run while iterating; CI and
# `.ci/run` run everything.
SLOW_MODULES = {
    "test_crashes.py",
    "test_faults.py",
    "test_concurrency.py",
    "test_fuzz.py",
    "test_git.py",
    "test_install.py",
    "test_readme.py",
    "test_report.py",
    "test_hostile_input.py",
    "test_round_three.py",
    "test_ecosystem.py",
    "test_cache.py",
    "test_round_two.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of SLOW_MODULES `slow`."""
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's private cache."""
    for directory in _SESSION_CACHE:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the data path, the parse cache and the state (locks, journal) into tmp_path."""
    path = tmp_path / "isolated" / "roadmaps.yaml"
    monkeypatch.setenv("UNIONSTATE_DATA", str(path))
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(tmp_path / "isolated-cache"))
    monkeypatch.setenv("UNIONSTATE_STATE_DIR", str(tmp_path / "isolated-state"))
    monkeypatch.setenv("UNIONSTATE_LOCK_TIMEOUT", "2")
    return path


@pytest.fixture
def minimal_data() -> dict[str, Any]:
    """A small dataset that obeys every rule, as the plain dict the loader would produce."""
    return {
        "schema_version": 2,
        "title": "Test roadmaps",
        "as_of": "2021-05-28",
        "description": "A small dataset for the tests.",
        "numbering": "Numbers are the test's own.",
        "sources": [
            {
                "id": "tass-1",
                "publisher": "TASS",
                "url": "https://tass.com/politics/1",
                "title": "Talks in Sochi",
                "date": "2021-05-28",
                "reprint_of": None,
            },
            {
                "id": "belta-2",
                "publisher": "BelTA",
                "url": "https://eng.belta.by/2",
                "title": None,
                "date": None,
                "reprint_of": None,
            },
        ],
        "conditions": [
            {
                "id": "gas-price",
                "title": "Lower gas price",
                "description": "Belarus wants Russian gas at the Smolensk price.",
                "status": "open",
                "history": [
                    {
                        "date": "2019-09-06",
                        "status": "open",
                        "note": "Raised at the initialling.",
                        "sources": ["belta-2"],
                    }
                ],
                "sources": ["tass-1"],
            }
        ],
        "milestones": [
            {
                "date": "2019-09-06",
                "reported": "31 roadmaps approved",
                "speaker": "Rumas",
                "agreed": None,
                "open": None,
                "total": 31,
                "unit": "roadmaps",
                "note": "",
                "sources": ["belta-2"],
            }
        ],
        "roadmaps": [
            {
                "number": 1,
                "id": "gas-market",
                "title": "Single gas market",
                "title_confirmed": True,
                "sphere": "energy",
                "status": "blocked",
                "linked_conditions": ["gas-price"],
                "history": [
                    {
                        "date": "2019-09-06",
                        "status": "pending",
                        "note": "Listed.",
                        "sources": ["belta-2"],
                    },
                    {
                        "date": "2019-12-20",
                        "status": "blocked",
                        "note": "Held up by the gas price.",
                        "sources": ["tass-1"],
                    },
                ],
                "notes": "",
            },
            {
                "number": 2,
                "id": "customs",
                "title": "Customs",
                "title_confirmed": False,
                "sphere": "customs",
                "status": "agreed",
                "linked_conditions": [],
                "history": [
                    {
                        "date": "2019-09",
                        "status": "pending",
                        "note": "Drafted.",
                        "sources": [],
                    },
                    {
                        "date": "2021-05-28",
                        "status": "agreed",
                        "note": "Agreed at Sochi.",
                        "sources": ["tass-1"],
                    },
                ],
                "notes": "Title reconstructed.",
            },
            {
                "number": 3,
                "id": "tax-policy",
                "title": "Tax policy",
                "title_confirmed": False,
                "sphere": "tax",
                "status": "pending",
                "linked_conditions": [],
                "history": [
                    {
                        "date": "2019",
                        "status": "pending",
                        "note": "Planned.",
                        "sources": [],
                    }
                ],
                "notes": "",
            },
        ],
    }


@pytest.fixture
def data_file(tmp_path: Path, minimal_data: dict[str, Any]) -> Path:
    """The minimal dataset saved in canonical form to a file in tmp_path."""
    path = tmp_path / "data" / "roadmaps.yaml"
    path.parent.mkdir()
    store.save(checks.validate(minimal_data), path)
    return path


@pytest.fixture
def shipped() -> Path:
    """The dataset shipped in the repository (a missing file fails the test, never skips it)."""
    path = REPO_ROOT / "data" / "roadmaps.yaml"
    assert path.is_file(), f"{path} is missing: the shipped dataset is part of the package"
    return path


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped dataset in tmp_path, also set as UNIONSTATE_DATA."""
    path = tmp_path / "work" / "roadmaps.yaml"
    path.parent.mkdir()
    shutil.copyfile(REPO_ROOT / "tests" / "data" / "record-2021-05-28.yaml", path)
    monkeypatch.setenv("UNIONSTATE_DATA", str(path))
    return path


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run `unionstate ARGS` in this process; it may fail, but never with a traceback."""
    from typer.testing import CliRunner

    from unionstate.cli import app

    clean = {name: None for name in ("TTY_COMPATIBLE", "NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    result = CliRunner().invoke(app, list(args), env={**clean, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 70, result.stderr
    return result
