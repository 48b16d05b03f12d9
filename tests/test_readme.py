"""The README stays true: every command documented, examples current, CI runs its command."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from unionstate.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

sys.path.insert(0, str(ROOT / "tests"))
import readme  # noqa: E402


def command_names() -> list[str]:
    """Every command the CLI offers, as a user types it."""
    names = []
    for command in app.registered_commands:
        assert command.callback is not None
        names.append(command.name or command.callback.__name__.replace("_", "-"))
    return names


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_a_readme_section_with_an_example(name: str) -> None:
    assert f"### unionstate {name}\n" in README
    assert re.search(rf"<!-- run(\[tty\])?: unionstate [^>]*\b{name}\b", README), name


def test_readme_examples_are_the_real_current_output() -> None:
    """Fails when a command's output changed and `python tests/readme.py --write` was not run."""
    assert readme.render(README) == README


def test_ci_runs_the_readme_test_command() -> None:
    quickstart = re.findall(r"```sh\n(python3 -m venv .venv && .+?)\n```", README)
    assert len(quickstart) == 2, "the quickstart is two copy-paste commands"
    test_command = quickstart[1].replace(".venv", '"$VENV"')
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
