"""Tables keep their meaning at every width: at 80 columns each table shows what a row is
(its title or subject), where it stands (status) and when (a date); at 60, 80, 120 and 200
columns no word, id, date or header is broken, only wrapped at a space or shortened with "…"."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, invoke

from unionstate import checks, store

COMMANDS = [
    ["list"],
    ["list", "--unresolved"],
    ["list", "--programs"],
    ["list", "--programs", "--unresolved"],
    ["conditions"],
    ["history"],
    ["summary", "--full"],
    ["show", "gas-market"],
    ["summary", "--section", "open"],
    ["summary", "--section", "counts"],
    ["summary", "--section", "spheres"],
    ["show", "gas-market", "--section", "history"],
    ["show", "gas-market", "--section", "sources"],
    ["history", "--kind", "roadmap", "--limit", "5"],
]
WIDTHS = [60, 80, 120, 200]
BOX = re.compile(r"[─-╿]")  # box drawing: borders and rules, not words
LONG = "Interparliamentaryharmonisationofeverythingimaginable"  # 53 letters, one word


def _on_terminal(data: Path, args: list[str], width: int) -> str:
    result = invoke(
        "--data",
        str(data),
        "--no-pager",
        *args,
        env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": str(width)},
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _tokens(screen: str) -> list[str]:
    return BOX.sub(" ", screen).split()


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


@pytest.fixture(params=["frozen-2021", "shipped", "long-word"])
def record(request: pytest.FixtureRequest, tmp_path: Path, minimal_data: dict[str, Any]) -> Path:
    """The frozen 2021 record, the shipped one, and a small one with a 53-letter word in a
    title, a note and a sphere."""
    path = tmp_path / "record.yaml"
    if request.param == "frozen-2021":
        shutil.copyfile(REPO_ROOT / "tests" / "data" / "record-2021-05-28.yaml", path)
    elif request.param == "shipped":
        shutil.copyfile(REPO_ROOT / "data" / "roadmaps.yaml", path)
    else:
        roadmap = minimal_data["roadmaps"][0]
        roadmap["title"] = f"Single {LONG} gas market"
        roadmap["sphere"] = LONG
        roadmap["history"][1]["note"] = f"Held up by the {LONG} gas price."
        store.save(checks.validate(minimal_data), path)
    return path


def _vocabulary(data: Path, args: list[str]) -> set[str]:
    """Every word the command could print: those of the record and of the command's JSON,
    and those it prints where it has all the room there is (headers, derived words)."""
    words = set(_tokens(_on_terminal(data, args, 500)))
    record = yaml.safe_load(data.read_text(encoding="utf-8"))
    for text in _strings(record):
        words.update(text.split())
    shown = invoke("--data", str(data), *args, "--json").stdout
    for text in _strings(json.loads(shown)):
        words.update(text.split())
    return words | {w + ":" for w in words}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_word_is_broken_at_any_width(record: Path, args: list[str]) -> None:
    """Each word on screen is one the table holds, whole, or its start shortened with "…"."""
    if "--programs" in args and not yaml.safe_load(record.read_text()).get("programs"):
        pytest.skip("this record holds no programs")
    vocabulary = _vocabulary(record, args)
    for width in WIDTHS:
        screen = _on_terminal(record, args, width)
        for line in screen.splitlines():
            if line.startswith("    http"):
                continue  # `show` prints a source's URL whole, on a line of its own
            assert len(line) <= width, f"{args} at {width}: a line of {len(line)}"
        for token in _tokens(screen):
            if token in vocabulary:
                continue
            assert token.endswith("…"), f"{args} at {width}: {token!r} is a broken word"
            start = token[:-1]
            assert any(word.startswith(start) for word in vocabulary), (
                f"{args} at {width}: {token!r} shortens no word"
            )


def _headers(screen: str) -> set[str]:
    """The words of every table header line on screen (between ┏ and ┡)."""
    words: set[str] = set()
    inside = False
    for line in screen.splitlines():
        if "┏" in line:
            inside = True
        elif "┡" in line:
            inside = False
        elif inside:
            words.update(_tokens(line))
    return words


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["list"], "title"),
        (["list", "--programs"], "title"),
        (["conditions"], "title"),
        (["history"], "subject"),
        (["summary", "--full"], "subject"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_at_80_columns_each_table_shows_status_date_and_what_it_is(
    args: list[str], what: str
) -> None:
    shipped = REPO_ROOT / "data" / "roadmaps.yaml"
    headers = _headers(_on_terminal(shipped, args, 80))
    assert "status" in headers
    assert {"date", "event"} & headers  # "date", or "last event"
    assert what in headers


def test_a_word_too_long_for_its_column_is_shortened_with_an_ellipsis(
    minimal_data: dict[str, Any], tmp_path: Path
) -> None:
    minimal_data["roadmaps"][0]["title"] = f"Single {LONG} gas market"
    path = tmp_path / "long.yaml"
    store.save(checks.validate(minimal_data), path)
    screen = _on_terminal(path, ["list"], 60)
    assert LONG not in screen
    assert any(t.endswith("…") and LONG.startswith(t[:-1]) for t in _tokens(screen))
    assert "Single" in screen and "market" in screen


def test_conditions_name_the_linked_programs() -> None:
    """Issue 18: a condition's linked programs, as `show` has them."""
    shipped = REPO_ROOT / "data" / "roadmaps.yaml"
    record = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    linked = {
        f"P{p['number']}"
        for p in record.get("programs", [])
        if "gas-price" in p.get("linked_conditions", [])
    }
    assert linked, "the shipped record links a program to gas-price"
    screen = _on_terminal(shipped, ["conditions"], 160)
    row = next(line for line in screen.splitlines() if "gas-price" in line)
    assert linked <= set(t.rstrip(",") for t in _tokens(row))
