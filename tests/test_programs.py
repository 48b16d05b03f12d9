"""The union programs of 2021 beside the roadmaps of 2019, and rewinding the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from unionstate import checks, store
from unionstate.cli import app


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def with_programs(tmp_path: Path, minimal_data: dict[str, Any]) -> Path:
    """The minimal dataset plus two programs: one said to continue customs, one new."""
    event = {"date": "2021-05-28", "status": "agreed", "note": "Agreed.", "sources": ["tass-1"]}
    minimal_data["programs"] = [
        {
            "number": 1,
            "id": "customs-program",
            "title": "Customs program",
            "title_basis": "reconstructed",
            "sphere": "customs",
            "status": "agreed",
            "history": [event],
            "succeeds": ["customs"],
            "succession": "hypothesis",
        },
        {
            "number": 2,
            "id": "labelling",
            "title": "Labelling and traceability",
            "title_basis": "named",
            "sphere": "trade",
            "status": "agreed",
            "history": [event],
        },
    ]
    minimal_data["open_questions"] = [
        {"id": "which-programs", "question": "Which programs were fully implemented?"}
    ]
    path = tmp_path / "roadmaps.yaml"
    store.save(checks.validate(minimal_data), path)
    return path


def test_list_programs_json_marks_the_succession(with_programs: Path) -> None:
    result = run("--data", str(with_programs), "list", "--programs", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["customs-program"]["succeeds"] == ["customs"]
    assert rows["customs-program"]["succession"] == "hypothesis"
    assert (rows["labelling"]["succeeds"], rows["labelling"]["succession"]) == ([], None)
    assert rows["labelling"]["title_basis"] == "named"
    expected = {"number", "id", "title", "title_basis", "sphere", "status", "last_event_date"}
    assert all(expected <= set(row) for row in rows.values())


def test_show_takes_a_program_number_and_a_roadmap_shows_its_successors(
    with_programs: Path,
) -> None:
    program = json.loads(run("--data", str(with_programs), "show", "P1", "--json").stdout)
    assert program["id"] == "customs-program" and program["succeeds"] == ["customs"]
    roadmap = json.loads(run("--data", str(with_programs), "show", "customs", "--json").stdout)
    assert roadmap["successors"] == [
        {
            "number": 1,
            "id": "customs-program",
            "title": "Customs program",
            "succession": "hypothesis",
        }
    ]
    unknown = run("--data", str(with_programs), "show", "P9")
    assert unknown.exit_code == 1 and "program numbers run P1 to P2" in unknown.stderr


def test_updates_work_on_programs(with_programs: Path) -> None:
    result = run("--data", str(with_programs), "sign", "P2", "--on", "2021-05-28")
    assert result.exit_code == 0, result.output
    assert "program P2 (labelling): signed on 2021-05-28" in result.stderr
    assert store.load(with_programs).programs[1].status.value == "signed"


def test_summary_counts_programs_beside_roadmaps(with_programs: Path) -> None:
    summary = json.loads(run("--data", str(with_programs), "summary", "--json").stdout)
    assert summary["programs"]["total"] == 2
    assert summary["programs"]["by_status"]["agreed"] == 2
    assert summary["total"] == 3  # the roadmaps
    assert [q["id"] for q in summary["open_questions"]] == ["which-programs"]


def test_an_empty_unresolved_list_says_what_is_open_instead(
    tmp_path: Path, minimal_data: dict[str, Any]
) -> None:
    for roadmap in minimal_data["roadmaps"]:
        roadmap["history"].append(
            {"date": "2021-05-28", "status": "set-aside", "note": "Off.", "sources": []}
        )
        roadmap["status"] = "set-aside"
    path = tmp_path / "roadmaps.yaml"
    store.save(checks.validate(minimal_data), path)
    result = run("--data", str(path), "list", "--unresolved")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "number\tid\ttitle\tsphere\tstatus\topen_conditions\tlast_event\tunresolved_because"
    ]
    assert result.stderr == (
        "no roadmap is unresolved on 2021-05-28; still open: gas-price (`unionstate conditions`)\n"
    )


def test_init_as_of_writes_the_record_as_it_stood_then(
    tmp_path: Path, with_programs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "bundled_path", lambda: with_programs)
    target = tmp_path / "copy" / "then.yaml"
    result = run("init", "--as-of", "2019-12", str(target))
    assert result.exit_code == 0, result.output
    assert "as it stood on 2019-12-31" in result.stderr
    then = store.load(target)
    assert then.as_of.isoformat() == "2019-12-31"
    assert then.programs == [] and then.open_questions == []
    assert [r.status.value for r in then.roadmaps] == ["blocked", "pending", "pending"]
    assert [m.reported for m in then.milestones] == ["31 roadmaps approved"]
    assert [s.id for s in then.sources] == ["tass-1", "belta-2"]  # both still cited
    # The replay goes on with the update commands.
    assert run("--data", str(target), "agree", "customs", "--on", "2021-05-28").exit_code == 0


def test_init_as_of_before_anything_happened_is_refused(
    tmp_path: Path, with_programs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "bundled_path", lambda: with_programs)
    result = run("init", "--as-of", "2018", str(tmp_path / "none.yaml"))
    assert result.exit_code == 1
    assert "nothing in the record had happened by 2018-12-31" in result.stderr
    assert not (tmp_path / "none.yaml").exists()
