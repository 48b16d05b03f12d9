"""Honest time: date windows, "undetermined" in past views, set-aside, one schema.

Each test builds the small dataset from conftest (or a frozen copy of the 2021 record) and
looks at what a user would see: the JSON of `list`, `show` and `summary`, piped rows, the
exports, and the file on disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from unionstate import checks, models, plain, queries, store, updates
from unionstate.cli import app
from unionstate.models import Line


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def save(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "roadmaps.yaml"
    store.save(checks.validate(data), path)
    return path


def agreed_by_window(minimal_data: dict[str, Any], window: str) -> dict[str, Any]:
    """tax-policy (pending since "2019") agreed at some point in `window`."""
    tax = minimal_data["roadmaps"][2]
    tax["history"].append({"date": window, "status": "agreed", "note": "Agreed.", "sources": []})
    tax["status"] = "agreed"
    return minimal_data


# ---------------------------------------------------------------- undetermined


@pytest.mark.parametrize(
    ("as_of", "expected", "possible"),
    [
        ("2020-02-29", "pending", None),  # before the window opens
        ("2020-03-01", "undetermined", ["pending", "agreed"]),  # its first day
        ("2020-03-15", "undetermined", ["pending", "agreed"]),
        ("2020-03-31", "agreed", None),  # its last day: it has happened by then
        ("2021-01-01", "agreed", None),
    ],
)
def test_a_status_inside_its_window_is_undetermined(
    tmp_path: Path, minimal_data: dict[str, Any], as_of: str, expected: str, possible: Any
) -> None:
    path = save(tmp_path, agreed_by_window(minimal_data, "2020-03"))
    result = run("--data", str(path), "list", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.stdout) if r["id"] == "tax-policy")
    assert row["status"] == expected
    assert row.get("possible_statuses") == possible


def test_no_later_than_opens_the_day_after_the_previous_event(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    """customs pending on 6 Sep 2019, agreed "..2020-06-30": undetermined from 7 Sep."""
    customs = minimal_data["roadmaps"][1]
    customs["history"][0]["date"] = "2019-09-06"
    customs["history"][-1]["date"] = "..2020-06-30"
    path = save(tmp_path, minimal_data)
    statuses = {}
    for day in ("2019-09-06", "2019-09-07", "2020-06-29", "2020-06-30"):
        rows = json.loads(run("--data", str(path), "list", "--as-of", day, "--json").stdout)
        statuses[day] = next(r["status"] for r in rows if r["id"] == "customs")
    assert statuses == {
        "2019-09-06": "pending",
        "2019-09-07": "undetermined",
        "2020-06-29": "undetermined",
        "2020-06-30": "agreed",
    }


def test_a_month_as_of_means_its_last_day(tmp_path: Path, minimal_data: dict[str, Any]) -> None:
    path = save(tmp_path, agreed_by_window(minimal_data, "2020-03-20"))
    by_month = run("--data", str(path), "summary", "--as-of", "2020-03", "--json")
    by_day = run("--data", str(path), "summary", "--as-of", "2020-03-31", "--json")
    assert json.loads(by_month.stdout) == json.loads(by_day.stdout)
    assert json.loads(by_month.stdout)["by_status"]["agreed"] == 1


def test_summary_by_status_has_every_status(tmp_path: Path, minimal_data: dict[str, Any]) -> None:
    path = save(tmp_path, agreed_by_window(minimal_data, "2020-03"))
    summary = json.loads(
        run("--data", str(path), "summary", "--as-of", "2020-03-10", "--json").stdout
    )
    assert summary["by_status"] == {
        "pending": 1,
        "agreed": 0,
        "blocked": 1,
        "signed": 0,
        "set-aside": 0,
        "undetermined": 1,
    }


def test_the_chart_counts_undetermined_months_on_their_own(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    path = save(tmp_path, agreed_by_window(minimal_data, "2020-03-10..2020-05-20"))
    months = json.loads(run("--data", str(path), "history", "--chart", "--json").stdout)
    by_month = {m["month"]: m for m in months}
    assert by_month["2020-02"]["undetermined"] == 0
    assert by_month["2020-03"]["undetermined"] == 1
    assert by_month["2020-04"]["undetermined"] == 1
    assert by_month["2020-05"]["undetermined"] == 0 and by_month["2020-05"]["agreed"] == 1


# ------------------------------------------------------- counts officials reported


def milestone(date: str, agreed: int | None, open_: int | None, total: int) -> dict[str, Any]:
    return {
        "date": date,
        "reported": f"{agreed} of {total} agreed",
        "agreed": agreed,
        "open": open_,
        "total": total,
        "unit": "roadmaps",
    }


@pytest.mark.parametrize(
    ("agreed", "open_", "consistent"),
    [
        (0, 3, True),  # tax-policy not yet agreed
        (1, 2, True),  # tax-policy already agreed: also possible inside its window
        (2, 1, False),  # customs was not agreed before 2021
        (1, 0, False),  # gas-market and customs were open
    ],
)
def test_a_reported_count_is_checked_against_the_range_the_record_allows(
    tmp_path: Path, minimal_data: dict[str, Any], agreed: int, open_: int, consistent: bool
) -> None:
    data = agreed_by_window(minimal_data, "2020-03")
    data["milestones"].append(milestone("2020-03-15", agreed, open_, 3))
    path = save(tmp_path, data)
    summary = json.loads(run("--data", str(path), "summary", "--json").stdout)
    check = next(m for m in summary["milestones"] if m["date"] == "2020-03-15")
    assert (check["dataset_agreed"], check["dataset_open"]) == (0, 2)
    assert check["dataset_undetermined"] == 1
    assert check["consistent"] is consistent


def test_a_contradiction_is_visible_in_every_summary(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    minimal_data["milestones"].append(milestone("2020-03-15", 3, 0, 3))
    path = save(tmp_path, minimal_data)
    piped = run("--data", str(path), "summary", "--section", "counts").stdout
    row = next(line for line in piped.splitlines() if line.startswith("2020-03-15\t"))
    assert row.endswith("\tfalse")
    terminal = CliRunner().invoke(
        app,
        ["--data", str(path), "summary", "--full"],
        env={"TTY_COMPATIBLE": "1", "COLUMNS": "120"},
    )
    assert "CONTRADICTS the record" in terminal.stdout


def test_a_figure_that_is_not_a_count_of_documents_is_not_compared(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    minimal_data["milestones"].append(
        {
            "date": "2021-01",
            "reported": "~70%; 671 of 989 activities",
            "unit": "percent",
            "percent": 70,
            "done": 671,
            "total": 989,
        }
    )
    path = save(tmp_path, minimal_data)
    summary = json.loads(run("--data", str(path), "summary", "--json").stdout)
    figure = next(m for m in summary["milestones"] if m["date"] == "2021-01")
    assert figure["consistent"] is None and "dataset_agreed" not in figure
    assert figure["percent"] == 70
    assert summary["implementation"]["reported"] == "~70%; 671 of 989 activities"


# --------------------------------------------------------------- holds up


def test_a_condition_holds_up_only_the_roadmaps_it_blocks_on_that_date(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    """gas-market is linked to gas-price from the start: pending, then blocked from
    2019-12-20; an open demand holds up every linked record it keeps unresolved."""
    path = save(tmp_path, minimal_data)
    early = json.loads(run("--data", str(path), "summary", "--as-of", "2019-10", "--json").stdout)
    late = json.loads(run("--data", str(path), "summary", "--json").stdout)
    gas_early = next(c for c in early["conditions"] if c["id"] == "gas-price")
    gas_late = next(c for c in late["conditions"] if c["id"] == "gas-price")
    assert (gas_early["roadmaps"], gas_early["blocks"]) == (["gas-market"], ["gas-market"])
    assert gas_early["blocks_because"] == {"gas-market": ["not-adopted", "open-condition"]}
    assert (gas_late["roadmaps"], gas_late["blocks"]) == (["gas-market"], ["gas-market"])


# ------------------------------------------------------------------- set aside


def test_set_aside_then_reopen(tmp_path: Path, minimal_data: dict[str, Any]) -> None:
    path = save(tmp_path, minimal_data)
    done = run("--data", str(path), "set-aside", "tax-policy", "--on", "2021-05", "--note", "Off.")
    assert done.exit_code == 0, done.output
    assert "roadmap 3 (tax-policy): set-aside on 2021-05" in done.stderr
    unresolved = json.loads(run("--data", str(path), "list", "--unresolved", "--json").stdout)
    assert "tax-policy" not in [r["id"] for r in unresolved]
    summary = json.loads(run("--data", str(path), "summary", "--json").stdout)
    assert summary["by_status"]["set-aside"] == 1

    refused = run("--data", str(path), "agree", "tax-policy", "--on", "2021-05-28")
    assert refused.exit_code == 1
    assert "set aside: run `unionstate reopen tax-policy` first" in refused.stderr

    assert run("--data", str(path), "reopen", "tax-policy", "--on", "2021-05-28").exit_code == 0
    assert store.load(path).roadmap_by_id("tax-policy").status.value == "pending"


# ---------------------------------------------------------- precision on the way out


def test_every_output_keeps_the_date_as_the_record_has_it(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    minimal_data["roadmaps"][1]["history"][-1]["date"] = "..2021-05-28"
    minimal_data["roadmaps"][0]["history"][-1]["date"] = "~2019-12-20"
    path = save(tmp_path, minimal_data)
    listed = run("--data", str(path), "list").stdout
    assert "\t..2021-05-28\n" in listed and "\t~2019-12-20\n" in listed  # the last column
    shown = run("--data", str(path), "show", "customs", "--section", "history").stdout
    assert "\n..2021-05-28\troadmap\tagreed\t" in shown
    events = json.loads(run("--data", str(path), "show", "customs", "--json").stdout)["history"]
    assert events[-1] | {"note": "", "sources": []} == {
        "date": "..2021-05-28",
        "date_precision": "range",
        "earliest": "2019-09-02",  # the day after customs' "2019-09" event could begin
        "latest": "2021-05-28",
        "status": "agreed",
        "note": "",
        "override": None,
        "sources": [],
    }
    rows = list(csv.DictReader(io.StringIO(run("--data", str(path), "export", "-f", "csv").stdout)))
    assert {r["id"]: r["last_event_date"] for r in rows}["gas-market"] == "~2019-12-20"
    markdown = run("--data", str(path), "export", "-f", "markdown").stdout
    assert "- ≤2021-05-28 — agreed" in markdown and "- ~2019-12-20 — blocked" in markdown
    history = run("--data", str(path), "history", "customs").stdout
    assert "..2021-05-28\troadmap\tcustoms" in history


@pytest.mark.parametrize(
    "spelling", ["2021-05-26", "~2021-05-26", "2021-05", "2021", "..2021-05-20", "2021-01..2021-05"]
)
def test_on_takes_every_date_spelling(
    tmp_path: Path, minimal_data: dict[str, Any], spelling: str
) -> None:
    path = save(tmp_path, minimal_data)
    result = run("--data", str(path), "agree", "tax-policy", "--on", spelling)
    assert result.exit_code == 0, result.output
    assert store.load(path).roadmap_by_id("tax-policy").last_event.date.text == spelling


@pytest.mark.parametrize("bad", ["2021-5-26", "26.05.2021", "~2021-05", "2021-05-28..2021-01-01"])
def test_a_malformed_on_is_a_usage_error_naming_the_forms(
    tmp_path: Path, minimal_data: dict[str, Any], bad: str
) -> None:
    path = save(tmp_path, minimal_data)
    before = path.read_bytes()
    result = run("--data", str(path), "agree", "tax-policy", "--on", bad)
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr or "ends before" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("on", "expected_as_of"),
    [
        ("2021", "2021-05-28"),  # a year does not claim its whole period: as_of stays
        ("2021-06", "2021-06-01"),  # nor does a month: only its first day is reached
        ("2021-06-15", "2021-06-15"),
        ("~2021-06-15", "2021-06-15"),
        ("..2021-06-20", "2021-06-20"),  # no later than: a source speaks on that day
        ("2021-06-10..", "2021-06-10"),
        ("2021-06-10..2021-06-20", "2021-06-20"),
        ("2021-06-10..2021-12-31", "2021-07-01"),  # never past today
    ],
)
def test_an_update_moves_as_of_only_as_far_as_is_known(
    tmp_path: Path, minimal_data: dict[str, Any], on: str, expected_as_of: str
) -> None:
    """The record's as_of (2021-05-28) moves to the last day the new event is known by."""
    path = save(tmp_path, minimal_data)
    today = dt.date(2021, 7, 1)
    entry = updates.Entry(on=models.When.parse(on))
    store.update(path, lambda d: updates.transition(d, "agree", ["tax-policy"], entry, today))
    assert store.load(path).as_of == dt.date.fromisoformat(expected_as_of)


# ------------------------------------------------------------------ old files


def test_a_schema_1_file_loads_and_is_written_as_schema_2(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    old = json.loads(json.dumps(minimal_data))
    old["schema_version"] = 1
    old["roadmaps"][1]["history"][0].update(date="2019-09-01", date_precision="month")
    old["roadmaps"][0]["history"][1].update(date_precision="approximate")
    path = tmp_path / "old.yaml"
    path.write_text(json.dumps(old), encoding="utf-8")
    dataset = store.load(path)
    assert dataset.roadmaps[1].history[0].date.text == "2019-09"
    assert dataset.roadmaps[0].history[1].date.text == "~2019-12-20"
    store.save(dataset, path)
    assert b"schema_version: 4\n" in path.read_bytes()
    assert store.load(path) == dataset


# ------------------------------------------------------------------- one schema


@dataclass(kw_only=True, slots=True)
class TaggedRoadmap(models.Roadmap):
    """A roadmap with one more field, as a later version of the model might add."""

    tag: Line | None = None


@dataclass(kw_only=True, slots=True)
class TaggedDataset(models.Dataset):
    """A dataset of tagged roadmaps."""

    roadmaps: list[TaggedRoadmap]


def test_a_new_field_survives_load_update_save_and_the_cache(
    tmp_path: Path, minimal_data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a field is one declaration: writing, the cache and the schema follow it."""
    for module in (models, checks, plain):
        monkeypatch.setattr(module, "Dataset", TaggedDataset)
    monkeypatch.setattr(checks, "_VALIDATOR", [])
    monkeypatch.setattr(plain, "_BUILDERS", {})
    minimal_data["roadmaps"][1]["tag"] = "kept"
    path = save(tmp_path, minimal_data)
    assert "  tag: kept\n" in path.read_text(encoding="utf-8")

    entry = updates.Entry(on=dt.date(2021, 5, 28))
    outcome = store.update(
        path, lambda d: updates.transition(d, "sign", ["customs"], entry, dt.date(2021, 6, 1))
    )
    assert outcome.changed == ["customs"]
    text = path.read_text(encoding="utf-8")
    assert "  tag: kept\n" in text and "status: signed" in text
    for _ in range(2):  # parsed, then rebuilt from the cache
        customs = store.load(path).roadmaps[1]
        assert isinstance(customs, TaggedRoadmap) and customs.tag == "kept"
    assert "tag" in checks.json_schema()["$defs"]["TaggedRoadmap"]["properties"]


def test_the_queries_see_a_set_aside_roadmap_as_resolved(minimal_data: dict[str, Any]) -> None:
    minimal_data["roadmaps"][2]["history"].append(
        {"date": "2020", "status": "set-aside", "note": "Off the table.", "sources": []}
    )
    minimal_data["roadmaps"][2]["status"] = "set-aside"
    dataset = checks.validate(minimal_data)
    rows = queries.select(queries.states(dataset), unresolved=True)
    assert [r.roadmap.id for r in rows] == ["gas-market"]
