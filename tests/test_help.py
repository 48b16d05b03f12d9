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


# ------------------------------------------------------------- and the rest


def test_an_empty_list_says_which_filter_matched_nothing(shipped: Path) -> None:
    result = invoke("--data", str(shipped), "list", "--programs", "--sphere", "qq")
    assert result.exit_code == 0
    assert "no program matches sphere 'qq' (spheres are: " in result.stderr
    assert "energy" in result.stderr
    assert result.stdout.count("\n") == 1  # the header: the pipe contract holds
    terminal = invoke(
        "--data", str(shipped), "list", "--search", "zzz", env={"TTY_COMPATIBLE": "1"}
    )
    assert "no roadmap's title or notes contain 'zzz'" in terminal.stderr
    assert terminal.stdout == ""  # no empty boxed table


def test_history_limit_keeps_the_latest_and_kind_keeps_one_kind(shipped: Path) -> None:
    every = invoke("--data", str(shipped), "history").stdout.splitlines()
    latest = invoke("--data", str(shipped), "history", "--limit", "5")
    assert latest.stdout.splitlines() == [every[0], *every[-5:]]
    assert f"showing the latest 5 of {len(every) - 1} events" in latest.stderr
    counts = invoke("--data", str(shipped), "history", "--kind", "count").stdout.splitlines()
    assert len(counts) > 1 and all(line.split("\t")[1] == "milestone" for line in counts[1:])
    both = invoke("--data", str(shipped), "history", "-k", "program", "-k", "condition")
    assert {line.split("\t")[1] for line in both.stdout.splitlines()[1:]} == {
        "program",
        "condition",
    }
    assert invoke("--data", str(shipped), "history", "--kind", "treaty").exit_code == 2


def test_info_and_validate_speak_json(shipped: Path, tmp_path: Path) -> None:
    import json

    info = json.loads(invoke("--data", str(shipped), "info", "--json").stdout)
    assert info["data_file"] == str(shipped) and info["schema_version"] >= 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: 1\n", encoding="utf-8")
    result = invoke("validate", "--json", str(shipped), str(bad))
    assert result.exit_code == 3
    checked = json.loads(result.stdout)
    assert [c["valid"] for c in checked] == [True, False]
    assert checked[0]["programs"] == 28 and checked[1]["problems"]


def test_the_default_report_folder_is_git_ignored() -> None:
    ignored = (Path(__file__).parent.parent / ".gitignore").read_text(encoding="utf-8")
    assert "site/" in ignored.split()


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["show"], "Usage: unionstate show [OPTIONS] RECORD"),
        (["sign"], "Usage: unionstate sign [OPTIONS] ROADMAP..."),
        (["history"], "Usage: unionstate history [OPTIONS] [RECORD]"),
        (["diff"], "Usage: unionstate diff [OPTIONS] [OLD] [NEW]"),
    ],
)
def test_usage_lines_name_arguments_plainly(command: list[str], usage: str) -> None:
    assert invoke(*command, "--help").stdout.splitlines()[0] == usage
