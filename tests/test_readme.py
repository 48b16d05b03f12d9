"""The README stays true: every command documented, examples current, CI runs its command."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from unionstate.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")

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
def test_every_command_has_a_reference_section_with_an_example(name: str) -> None:
    assert f"### unionstate {name}\n" in COMMANDS
    assert re.search(rf"<!-- run(\[tty\])?: unionstate [^>]*\b{name}\b", COMMANDS), name
    assert f"`{name}" in README, f"the README's table of commands lacks {name}"


@pytest.mark.parametrize("page", readme.PAGES, ids=lambda p: p.name)
def test_examples_are_the_real_current_output(page: Path) -> None:
    """Fails when a command's output changed and `python tests/readme.py --write` was not run."""
    text = page.read_text(encoding="utf-8")
    assert readme.render(text) == text


def test_the_readme_reads_in_five_minutes_and_every_example_succeeds() -> None:
    assert len(README.splitlines()) <= 250
    outputs = re.findall(r"```console\n(.*?)```", README, re.S)
    failures = [out for out in outputs if "[exit " in out]
    assert len(failures) <= 1, failures  # the one refusal is the point of its example


def test_ci_runs_the_readme_test_command() -> None:
    quickstart = re.findall(r"```sh\n(python3 -m venv .venv && .+?)\n```", README)
    assert len(quickstart) == 2, "the quickstart is two copy-paste commands"
    test_command = quickstart[1].replace(".venv", '"$VENV"')
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci
