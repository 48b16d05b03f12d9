"""Help that reads: commands grouped in panels, whole summaries, plain metavars; and the
small things around it (`help CMD`, `--no-pager` anywhere, `completion SHELL`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import invoke

NARROW = {"COLUMNS": "80"}


def test_help_groups_the_commands_in_panels_with_whole_summaries() -> None:
    result = invoke("--help", env=NARROW)
    assert result.exit_code == 0
    panels = re.findall(r"^(\S[^:\n]*):$", result.stdout, re.M)
    assert panels[1:6] == [
        "Daily reading",
        "Recording",
        "Publishing",
        "Git and undo",
        "Setup and help",
    ]
    reading = result.stdout.split("Daily reading:\n")[1].split("\n\n")[0]
    assert reading.split()[0] == "list" and " merge " not in reading
    git = result.stdout.split("Git and undo:\n")[1].split("\n\n")[0]
    assert {line.split()[0] for line in git.splitlines()} >= {"merge", "diff", "git-setup"}
    commands = result.stdout.split("Daily reading:\n")[1]
    assert "..." not in commands  # nothing cut mid-phrase
    for line in commands.splitlines():
        assert len(line) <= 80
        if line.strip() and not line.endswith(":"):
            assert re.match(r"  [a-z-]+ +\S", line), line  # one line each at 80 columns


@pytest.mark.parametrize("command", ["list", "history", "show", "export", "summary", "report"])
def test_metavars_are_plain_words(command: str) -> None:
    result = invoke(command, "--help", env=NARROW)
    assert result.exit_code == 0
    assert not re.search(r"<[a-z ]+>", result.stdout), result.stdout
    assert "<str>" not in result.stdout and "<int" not in result.stdout


def test_list_help_says_text_and_n() -> None:
    out = invoke("list", "--help", env=NARROW).stdout
    assert "--sphere TEXT" in out and "--limit N" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_no_pager_is_taken_before_or_after_the_command(data: Path, where: str) -> None:
    args = ["--no-pager", "list"] if where == "before" else ["list", "--no-pager"]
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("number\tid\t")


def test_no_pager_as_the_value_of_an_option_stays_a_value(data: Path) -> None:
    result = invoke("list", "--search", "--no-pager")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1  # the header: no title holds "--no-pager"


def test_help_command_shows_a_commands_help_as_help_does() -> None:
    assert invoke("help", "list").stdout.rstrip() == invoke("list", "--help").stdout.rstrip()
    nested = invoke("help", "target", "move").stdout
    assert nested.startswith("Usage: unionstate target move")
    assert invoke("help").stdout.startswith("Usage: unionstate [OPTIONS] COMMAND")


def test_help_for_a_command_that_is_not_there_suggests_one() -> None:
    result = invoke("help", "lsit")
    assert result.exit_code == 2
    assert "no command 'lsit' (did you mean 'list'" in result.stderr
