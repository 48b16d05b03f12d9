"""Conditions are records: shown, given a history, reopened and viewed as of a date; an id
of the wrong kind is named for what it is, not "did you mean" one of the other kind.

On a copy of the frozen record of 28 May 2021 (the `data` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke
from typer.testing import Result

from unionstate import store
from unionstate.models import ConditionStatus


def run(data: Path, *args: str) -> Result:
    return invoke("--data", str(data), *args)


def test_show_a_condition_gives_its_facts_links_and_history(data: Path) -> None:
    result = run(data, "show", "gas-price")
    assert result.exit_code == 0, result.stderr
    facts = dict(line.split("\t", 1) for line in result.stdout.split("\n\n")[0].splitlines())
    assert facts["status"] == "open"
    assert facts["roadmaps"] == "gas-market"
    assert facts["holds_up"] == "gas-market"
    assert "2019-09-06\topen" not in result.stdout  # through a pipe: one table, the facts
    history = run(data, "show", "gas-price", "--section", "history")
    assert history.stdout.startswith("date\tstatus\tnote\tsources\n")
    assert "2019-09-06\topen\tOreshkin" in history.stdout


def test_show_a_condition_as_of_a_date_and_before_it_was_raised(data: Path) -> None:
    shown = run(data, "show", "goods-restrictions", "--as-of", "2021-05-28", "--json")
    assert json.loads(shown.stdout)["status"] == "open"
    before = run(data, "show", "gas-price", "--as-of", "2019-01-01")
    assert before.exit_code == 1
    assert before.stderr == "unionstate: condition gas-price was not yet raised on 2019-01-01\n"


def test_history_of_a_condition_is_only_its_own_events(data: Path) -> None:
    result = run(data, "history", "tax-manoeuvre-compensation")
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert rows and {(r[1], r[2]) for r in rows} == {("condition", "tax-manoeuvre-compensation")}


def test_conditions_as_of_leaves_out_those_not_yet_raised(data: Path) -> None:
    today = run(data, "conditions")
    then = run(data, "conditions", "--as-of", "2019-10-01")
    assert "goods-restrictions" in today.stdout
    assert "goods-restrictions" not in then.stdout
    assert "tax-manoeuvre-compensation" in then.stdout


def test_reopen_a_resolved_condition_and_undo_it(data: Path) -> None:
    assert run(data, "resolve", "gas-price", "--on", "2021-06-01").exit_code == 0
    resolved = data.read_bytes()
    result = run(data, "reopen", "gas-price", "--on", "2021-06-03", "--note", "Talks resumed.")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("condition gas-price: open on 2021-06-03\n")
    condition = next(c for c in store.load(data).conditions if c.id == "gas-price")
    assert condition.status is ConditionStatus.OPEN
    assert (condition.history[-1].date.text, condition.history[-1].note) == (
        "2021-06-03",
        "Talks resumed.",
    )
    assert run(data, "undo", "--yes").exit_code == 0
    assert data.read_bytes() == resolved


@pytest.mark.parametrize(
    ("args", "expected_code", "expected_error"),
    [
        (["reopen", "gas-price"], 1, "condition gas-price is already open: nothing to reopen"),
        (["reopen", "gas-price", "customs"], 2, "reopen a condition on its own"),
        (["sign", "gas-price"], 1, "'gas-price' is a condition, not a roadmap, program or"),
        (["show", "gas-prise"], 1, "did you mean 'gas-price'"),
        (["resolve", "gas-market"], 1, "'gas-market' is roadmap 14 (gas-market), not a condition"),
        (["resolve", "14"], 1, "'14' is roadmap 14 (gas-market), not a condition"),
    ],
)
def test_wrong_kind_or_state_is_one_line_and_the_file_unchanged(
    data: Path, args: list[str], expected_code: int, expected_error: str
) -> None:
    before = data.read_bytes()
    result = run(data, *args)
    assert result.exit_code == expected_code
    assert expected_error in result.stderr
    assert "did you mean 'gas-market'" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert data.read_bytes() == before


def test_show_a_condition_on_a_terminal_is_a_panel_with_its_history(data: Path) -> None:
    result = invoke(
        "--data",
        str(data),
        "--no-pager",
        "show",
        "sovereignty",
        env={"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.stderr
    assert "Condition: Nothing against Belarus's constitution or sovereignty" in result.stdout
    assert "roadmap 31 (supranational-bodies)" in result.stdout
    table = [line for line in result.stdout.splitlines() if not line.startswith("    http")]
    assert all(len(line) <= 80 for line in table)  # a source's URL is never broken
