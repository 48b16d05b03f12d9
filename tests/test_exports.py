"""Complete exports: a CSV table per kind of record, events and counts; a Markdown report of
every record type on both axes; --as-of on export and report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import invoke


def raw(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def table(path: Path, name: str, *more: str) -> list[dict[str, str]]:
    result = invoke("--data", str(path), "export", "-f", "csv", "--table", name, *more)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_the_events_table_has_one_row_per_event(shipped: Path) -> None:
    document = raw(shipped)
    records = [
        *document["roadmaps"],
        *document.get("programs", []),
        *document.get("directions", []),
    ]
    expected = sum(
        len(r["history"]) + len(r.get("observations", [])) + len(r.get("implementation", []))
        for r in records
    )
    expected += sum(
        len(c["history"]) + len(c.get("observations", [])) for c in document["conditions"]
    )
    expected += len(document["milestones"])
    rows = table(shipped, "events")
    assert len(rows) == expected
    assert set(rows[0]) >= {"date", "earliest", "latest", "kind", "subject", "status", "note"}
    subjects = {r["id"] for r in records} | {c["id"] for c in document["conditions"]}
    reported = {m["reported"] for m in document["milestones"]}
    assert {row["subject"] for row in rows} <= subjects | reported


@pytest.mark.parametrize(
    ("name", "key", "column"),
    [
        ("roadmaps", "roadmaps", "id"),
        ("programs", "programs", "id"),
        ("conditions", "conditions", "id"),
        ("counts", "milestones", "reported"),
        ("sources", "sources", "id"),
    ],
)
def test_each_table_has_a_row_per_record_of_its_kind(
    shipped: Path, name: str, key: str, column: str
) -> None:
    records = raw(shipped)[key]
    rows = table(shipped, name)
    assert [row[column] for row in rows] == [r[column] for r in records] or (
        name == "conditions" and {row["id"] for row in rows} == {r["id"] for r in records}
    )


def test_program_rows_carry_both_axes_and_a_number_show_takes_back(shipped: Path) -> None:
    rows = table(shipped, "programs")
    assert rows[0]["number"] == "P1"
    assert rows[0]["status"] and rows[0]["implementation"]
    gas = next(row for row in rows if row["id"] == "program-gas-market")
    assert "open-condition" in gas["unresolved_because"].split(",")
    shown = invoke("--data", str(shipped), "show", rows[0]["number"], "--json")
    assert json.loads(shown.stdout)["id"] == rows[0]["id"]


def test_sources_are_split_into_their_own_columns(shipped: Path) -> None:
    rows = table(shipped, "sources")
    assert list(rows[0])[:3] == ["id", "publisher", "url"]
    assert all(row["url"].startswith(("http://", "https://")) for row in rows)


def test_table_without_csv_is_a_usage_error(shipped: Path) -> None:
    result = invoke("--data", str(shipped), "export", "--table", "events")
    assert result.exit_code == 2
    assert "--table goes with --format csv" in result.stderr


def test_markdown_has_every_record_type_both_axes_counts_and_open_questions(
    shipped: Path,
) -> None:
    text = invoke("--data", str(shipped), "export", "-f", "markdown").stdout
    document = raw(shipped)
    for heading in (
        "## What is still open",
        "## Union programs",
        "## Roadmaps",
        "## Belarus's linked conditions",
        "## Counts officials reported",
        "## What the record does not know",
        "## Sources",
    ):
        assert f"\n{heading}\n" in text, heading
    assert "Union programs, implemented:" in text
    for program in document["programs"]:
        assert f"### P{program['number']}. " in text
    assert "implemented: **" in text  # the second axis, per program
    for condition in document["conditions"]:
        assert f"(`{condition['id']}`)" in text
    assert text.count("\n| ") > len(document["milestones"])
    for question in document.get("open_questions", []):
        assert question["id"] and question["question"].split()[0] in text


def test_export_as_of_is_the_record_as_it_stood(shipped: Path) -> None:
    result = invoke("--data", str(shipped), "export", "--as-of", "2019-12-31")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["as_of"] == "2019-12-31"
    assert document["programs"] == []  # not drawn up yet
    events = table(shipped, "events", "--as-of", "2019-12-31")
    assert events and all(row["latest"] <= "2019-12-31" for row in events)
    markdown = invoke("--data", str(shipped), "export", "-f", "markdown", "--as-of", "2019-12")
    assert "State as of 2019-12-31." in markdown.stdout


def test_as_of_past_the_end_of_the_record_says_where_it_ends(shipped: Path) -> None:
    as_of = raw(shipped)["as_of"]
    for args in (["list"], ["summary"], ["show", "1"], ["export"]):
        result = invoke("--data", str(shipped), *args, "--as-of", "2099")
        assert result.exit_code == 0, result.stderr
        assert f"the record ends on {as_of}" in result.stderr, args
    exported = json.loads(invoke("--data", str(shipped), "export", "--as-of", "2099").stdout)
    assert exported["as_of"] == str(as_of)  # never a record that claims to know 2099
    quiet = invoke("--data", str(shipped), "list", "--as-of", "2020")
    assert "record ends" not in quiet.stderr


def test_report_as_of_writes_the_site_of_that_date(shipped: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = invoke("--data", str(shipped), "report", str(site), "--as-of", "2019-12-31")
    assert result.exit_code == 0, result.stderr
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "2019-12-31" in index
    assert json.loads((site / "data" / "record.json").read_text())["as_of"] == "2019-12-31"
    assert not (site / "data" / "programs.csv").exists()
    text = (site / "data" / "events.csv").read_text(encoding="utf-8")
    events = list(csv.DictReader(io.StringIO(text)))
    assert events and all(row["latest"] <= "2019-12-31" for row in events)
