"""One way out: --fields, the pager, and URLs printed whole."""

from __future__ import annotations

import json
import os
import pty
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from unionstate.cli import app


def run(data: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, ["--data", str(data), *args], env=env)


@pytest.mark.parametrize(
    ("command", "fields"),
    [
        (["list"], ["id", "status"]),
        (["list", "--programs"], ["id", "succession"]),
        (["history"], ["date", "subject"]),
        (["conditions"], ["id", "blocks"]),
        (["show", "gas-market"], ["id", "successors"]),
        (["summary"], ["as_of", "by_status"]),
    ],
)
def test_fields_select_json_fields_in_the_order_given(
    data: Path, command: list[str], fields: list[str]
) -> None:
    result = run(data, *command, "--fields", ",".join(fields))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for item in document if isinstance(document, list) else [document]:
        assert list(item) == fields


def test_an_unknown_field_is_a_usage_error_listing_the_fields(data: Path) -> None:
    result = run(data, "list", "--fields", "id,colour")
    assert result.exit_code == 2
    assert "unknown field 'colour'" in result.stderr
    assert "choose from: number, id, title" in result.stderr
    assert result.stdout == ""


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run unionstate with stdout on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "unionstate", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "80", "LINES": "10", "NO_COLOR": "1", **env},
        timeout=60,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode("utf-8", "replace")


def test_long_output_on_a_terminal_goes_through_the_pager(data: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    script = f"import sys; open({str(paged)!r}, 'w').write(sys.stdin.read())"
    pager = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    shown = _on_a_terminal(["--data", str(data), "list"], {"UNIONSTATE_PAGER": pager})
    assert "supranational-bodies" in paged.read_text(encoding="utf-8")
    assert "supranational-bodies" not in shown  # the pager had it, not the terminal


def test_no_pager_and_a_missing_pager_print_straight_to_the_terminal(
    data: Path, tmp_path: Path
) -> None:
    shown = _on_a_terminal(["--data", str(data), "--no-pager", "list"], {"PAGER": "false"})
    assert "supranational-bodies" in shown
    missing = {"UNIONSTATE_PAGER": str(tmp_path / "no-such-pager")}
    assert "supranational-bodies" in _on_a_terminal(["--data", str(data), "list"], missing)


def test_a_pipe_is_never_paged(data: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = {**os.environ, "UNIONSTATE_PAGER": f"touch {paged}"}
    done = subprocess.run(
        [sys.executable, "-m", "unionstate", "--data", str(data), "list"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0 and b"supranational-bodies" in done.stdout
    assert not paged.exists()


def test_a_url_in_show_is_never_split_across_lines(data: Path) -> None:
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": "60"}
    result = run(data, "--color", "never", "show", "gas-market", env=env)
    urls = [line.strip() for line in result.stdout.splitlines() if "://" in line]
    assert urls and all(" " not in url for url in urls)
    assert any(len(url) > 60 for url in urls)  # longer than the terminal, still one line
