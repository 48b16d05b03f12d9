"""One pipe contract: one table per command, one list separator, values the tool takes back,
the same numbers on a terminal, through a pipe and in JSON, and --fields that mean it."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.conftest import invoke

TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "200"}


@pytest.mark.parametrize(
    "args",
    [
        ["summary"],
        ["show", "gas-market"],
        ["list"],
        ["conditions"],
        ["history"],
        *(["summary", "--section", name] for name in ("status", "spheres", "counts", "open")),
        *(["show", "P25", "--section", name] for name in ("history", "sources", "targets")),
    ],
)
def test_a_piped_command_prints_one_table(shipped: Path, args: list[str]) -> None:
    result = invoke("--data", str(shipped), *args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "" not in lines  # no blank line: not several tables
    width = len(lines[0].split("\t"))
    assert all(len(line.split("\t")) == width for line in lines)


def test_spheres_count_the_same_on_a_terminal_through_a_pipe_and_in_json(
    shipped: Path,
) -> None:
    """A set-aside roadmap is not unresolved (political: 1 roadmap, 0 unresolved) in all three."""
    piped = invoke("--data", str(shipped), "summary", "--section", "spheres").stdout
    rows = {line.split("\t")[0]: line.split("\t") for line in piped.splitlines()[1:]}
    document = json.loads(invoke("--data", str(shipped), "summary", "--json").stdout)
    table = invoke("--data", str(shipped), "--color", "never", "summary", "--full", env=TERMINAL)
    for sphere in document["by_sphere"]:
        name = sphere["sphere"]
        assert rows[name][1:4] == [
            str(sphere["total"]),
            str(sphere["agreed_or_signed"]),
            str(sphere["unresolved"]),
        ]
        line = next(
            line for line in table.stdout.splitlines() if re.match(rf"│ │ {re.escape(name)} ", line)
        )
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        assert cells[1:4] == rows[name][1:4], line
    political = next(s for s in document["by_sphere"] if s["sphere"] == "political")
    assert (political["total"], political["unresolved"], political["set_aside"]) == (1, 0, 1)


def test_lists_in_a_cell_use_one_separator_everywhere(shipped: Path) -> None:
    conditions = invoke("--data", str(shipped), "conditions").stdout.splitlines()
    held = next(line for line in conditions if line.startswith("goods-restrictions\t"))
    assert "agriculture,veterinary" in held
    exported = invoke("--data", str(shipped), "export", "--format", "csv").stdout
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert rows["gas-market"]["linked_conditions"] == "gas-price,tax-manoeuvre-compensation"


def test_a_field_is_present_in_every_object_even_where_it_has_no_value(data: Path) -> None:
    result = invoke("list", "--fields", "id,possible_statuses")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document and all(list(row) == ["id", "possible_statuses"] for row in document)


@pytest.mark.parametrize(
    ("args", "expected_error"),
    [
        (["list", "--fields", "stauts"], "unknown field 'stauts' for --fields (did you mean"),
        (["list", "--fields", "succeeds"], "unknown field 'succeeds'"),  # programs only
        (["list", "--programs", "--fields", "succeeds,tilte"], "did you mean 'title'"),
        (["conditions", "--fields", "sucession"], "unknown field 'sucession'"),
    ],
)
def test_fields_valid_means_present_on_that_record_type(
    data: Path, args: list[str], expected_error: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected_error in result.stderr
    assert result.stdout == ""
