"""The implementation axis: assessments, targets, observations, "unresolved", checked counts.

On small constructed records (the conftest's minimal dataset with one program added) and
through the CLI on copies of them; nothing here depends on the shipped record's contents.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

from unionstate import checks, merge, queries, store
from unionstate.models import Amount, Dataset

DAY = dt.date(2021, 12, 31)


def _program(**extra: Any) -> dict[str, Any]:
    program = {
        "number": 1,
        "id": "program-gas",
        "title": "Gas program",
        "title_confirmed": False,
        "sphere": "energy",
        "status": "signed",
        "linked_conditions": [],
        "history": [
            {"date": "2021-05", "status": "pending", "note": "Drafted.", "sources": ["tass-1"]},
            {"date": "2021-09-09", "status": "agreed", "note": "Agreed.", "sources": ["tass-1"]},
            {"date": "2021-11-04", "status": "signed", "note": "Signed.", "sources": ["tass-1"]},
        ],
        "notes": "",
        "succeeds": ["gas-market"],
        "succession": "hypothesis",
    }
    program.update(extra)
    return program


def _assessment(date: str, state: str, assessor: str, side: str, **extra: Any) -> dict[str, Any]:
    return {"date": date, "state": state, "assessor": assessor, "side": side,
            "sources": ["tass-1"], **extra}  # fmt: skip


@pytest.fixture
def with_program(minimal_data: dict[str, Any]) -> dict[str, Any]:
    minimal_data["as_of"] = "2026-02-27"
    minimal_data["programs"] = [_program()]
    return minimal_data


def _row(data: dict[str, Any], day: dt.date | None = None) -> queries.RoadmapState:
    dataset = checks.validate(data)
    return queries.states(dataset, day, dataset.programs)[0]


def _save(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "roadmaps.yaml"
    store.save(checks.validate(data), path)
    return path


# ------------------------------------------------------------------ the axis


def test_no_assessment_is_undetermined_not_started(with_program: dict[str, Any]) -> None:
    row = _row(with_program)
    assert row.implementation is not None
    assert row.implementation.state == "undetermined"
    assert row.unresolved_because == ("implementation-undetermined",)


def test_the_latest_assessment_holds_and_completed_resolves(with_program: dict[str, Any]) -> None:
    with_program["programs"][0]["implementation"] = [
        _assessment("2023-01", "under-way", "Ministry", "belarus", percent=70),
        _assessment("2024-03", "completed", "Ministry", "belarus"),
    ]
    assert _row(with_program, dt.date(2023, 6, 1)).unresolved_because == ("not-implemented",)
    assert _row(with_program, dt.date(2022, 6, 1)).implementation.state == "undetermined"  # type: ignore[union-attr]
    assert _row(with_program).unresolved_because == ()


def test_overlapping_assessors_who_disagree_are_disputed(with_program: dict[str, Any]) -> None:
    with_program["programs"][0]["implementation"] = [
        _assessment("2023-11", "completed", "Belarusian side", "belarus"),
        _assessment("2023-11-30", "under-way", "Russian minister", "russia"),
    ]
    row = _row(with_program)
    assert row.implementation is not None
    assert row.implementation.state == "disputed"
    assert {a.assessor for a in row.implementation.assessments} == {
        "Belarusian side",
        "Russian minister",
    }
    assert "implementation-disputed" in row.unresolved_because


def test_completed_before_adoption_is_refused(with_program: dict[str, Any]) -> None:
    with_program["programs"][0]["implementation"] = [
        _assessment("2021-06-01", "completed", "X", "joint")
    ]
    with pytest.raises(checks.Invalid) as caught:
        checks.validate(with_program)
    assert "before program P1 (program-gas) was adopted" in str(caught.value.errors)


def test_an_assessment_needs_a_source(with_program: dict[str, Any]) -> None:
    bad = _assessment("2023-01", "under-way", "X", "joint")
    bad["sources"] = []
    with_program["programs"][0]["implementation"] = [bad]
    with pytest.raises(checks.Invalid):
        checks.validate(with_program)


# ------------------------------------------------------------------- targets


def _target(**extra: Any) -> dict[str, Any]:
    return {
        "id": "addendum",
        "title": "Addendum",
        "due": [{"date": "2023-12-01", "set": "2021-09-09", "sources": ["tass-1"]}],
        **extra,
    }


def test_a_target_is_open_then_overdue_then_met(with_program: dict[str, Any]) -> None:
    program = with_program["programs"][0]
    program["targets"] = [_target()]
    program["implementation"] = [_assessment("2025", "completed", "X", "joint")]
    assert _row(with_program, dt.date(2021, 9, 1)).targets == ()  # not set yet
    assert _row(with_program, dt.date(2022, 1, 1)).unresolved_because == (
        "implementation-undetermined",
        "target-open",
    )
    late = _row(with_program, dt.date(2024, 1, 1))
    assert [t.state for t in late.targets] == ["overdue"]
    program["targets"] = [
        _target(outcome={"state": "met", "date": "2024-06", "sources": ["tass-1"]})
    ]
    assert _row(with_program).unresolved_because == ()
    assert [t.state for t in _row(with_program, dt.date(2024, 3, 1)).targets] == ["overdue"]


def test_a_moved_target_is_due_on_its_latest_date(with_program: dict[str, Any]) -> None:
    target = _target()
    target["due"].append({"date": "2027-01-01", "set": "2024-12-06", "sources": ["tass-1"]})
    with_program["programs"][0]["targets"] = [target]
    (before,) = _row(with_program, dt.date(2024, 6, 1)).targets
    (after,) = _row(with_program).targets
    assert (before.state, before.due.date.text) == ("overdue", "2023-12-01")
    assert (after.state, after.due.date.text, after.moved) == ("open", "2027-01-01", True)


def test_a_target_met_before_it_was_set_is_refused(with_program: dict[str, Any]) -> None:
    outcome = {"state": "met", "date": "2020-01-01", "sources": ["tass-1"]}
    with_program["programs"][0]["targets"] = [_target(outcome=outcome)]
    with pytest.raises(checks.Invalid) as caught:
        checks.validate(with_program)
    assert "before the target was set" in str(caught.value.errors)


# ------------------------------------------------------------ unresolved codes


def test_roadmap_reasons_and_their_successor(with_program: dict[str, Any]) -> None:
    dataset = checks.validate(with_program)
    rows = {r.roadmap.id: r for r in queries.states(dataset)}
    assert rows["gas-market"].unresolved_because == ("not-adopted", "open-condition")
    assert rows["gas-market"].successors == ("P1",)
    assert rows["tax-policy"].unresolved_because == ("not-adopted",)
    assert rows["customs"].unresolved_because == ()


def test_a_red_line_keeps_nothing_unresolved(with_program: dict[str, Any]) -> None:
    with_program["conditions"][0]["kind"] = "red-line"
    dataset = checks.validate(with_program)
    gas = next(r for r in queries.states(dataset) if r.roadmap.id == "gas-market")
    assert "open-condition" not in gas.unresolved_because
    assert queries.summarise(dataset).open_demands == []


def test_list_unresolved_programs_names_the_reasons(
    tmp_path: Path, with_program: dict[str, Any]
) -> None:
    path = _save(tmp_path, with_program)
    result = invoke("--data", str(path), "list", "--programs", "--unresolved", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["unresolved_because"] == ["implementation-undetermined"]
    assert row["implementation"] == "undetermined"
    piped = invoke("--data", str(path), "list", "--programs", "--unresolved")
    assert piped.stdout.splitlines()[1].endswith("\timplementation-undetermined")


def test_history_chart_shows_the_programs_implementation_month_by_month(
    tmp_path: Path, with_program: dict[str, Any]
) -> None:
    with_program["programs"][0]["implementation"] = [
        _assessment("2022-06-15", "under-way", "Overchuk", "russia", percent=40),
        _assessment("2023-01-12", "completed", "Lukashenko", "belarus"),
    ]
    path = _save(tmp_path, with_program)
    result = invoke("--data", str(path), "history", "--chart", "--implementation", "--json")
    assert result.exit_code == 0, result.stderr
    months = {m["month"]: m for m in json.loads(result.stdout)}
    assert months["2022-05"]["undetermined"] == 1  # no assessment yet: never "not started"
    assert months["2022-06"]["under-way"] == 1
    assert months["2022-12"]["under-way"] == 1 and months["2023-01"]["completed"] == 1
    piped = invoke("--data", str(path), "history", "--chart", "--implementation").stdout
    assert piped.splitlines()[0].split("\t") == [
        "month", "not-started", "under-way", "completed", "undetermined", "disputed"
    ]  # fmt: skip
    on_terminal = invoke(
        "--data", str(path), "--no-pager", "history", "--chart", "--implementation",
        env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"},
    ).stdout  # fmt: skip
    assert "Programs by implementation at the end of each month" in on_terminal
    assert "█ completed" in on_terminal and "▓ under way" in on_terminal.replace("-", " ")
    adoption = json.loads(
        invoke("--data", str(path), "history", "--chart", "--programs", "--json").stdout
    )
    assert {m["month"]: m["signed"] for m in adoption}["2021-11"] == 1
    refused = invoke("--data", str(path), "history", "--implementation")
    assert refused.exit_code == 2 and "go with --chart" in refused.stderr


# ---------------------------------------------------------------------- counts


def _count(**fields: Any) -> dict[str, Any]:
    return {"date": "2023-01-12", "reported": "as reported", "sources": ["tass-1"], **fields}


def _compare(data: dict[str, Any], milestone: dict[str, Any]) -> queries.MilestoneComparison:
    data["milestones"] = [milestone]
    dataset = checks.validate(data)
    return queries.compare_milestone(dataset, dataset.milestones[0])


def test_a_done_count_is_checked_against_implementation(with_program: dict[str, Any]) -> None:
    count = _count(done=1, total=1, unit="programs")
    assert _compare(with_program, count).consistent is True  # undetermined: could be done
    with_program["programs"][0]["implementation"] = [
        _assessment("2022-12", "under-way", "X", "joint")
    ]
    checked = _compare(with_program, count)
    assert (checked.axis, checked.consistent) == ("implementation", False)


def test_agreed_and_open_are_checked_jointly(with_program: dict[str, Any]) -> None:
    # On 2019-10-01 gas-market and customs are pending, tax-policy is undetermined (2019):
    # 1 agreed is impossible, 0 agreed and 3 open is possible.
    day = {"date": "2019-10-01", "unit": "roadmaps"}
    assert _compare(with_program, _count(**day, agreed=1)).consistent is False
    assert _compare(with_program, _count(**day, agreed=0, open=3)).consistent is True
    assert _compare(with_program, _count(**day, agreed=0, open=4)).consistent is False


def test_a_range_count_over_named_members(with_program: dict[str, Any]) -> None:
    members = {"members": ["gas-market", "customs"], "date": "2021-05-28", "unit": "roadmaps"}
    one_open = _compare(with_program, _count(**members, open=1, reported="one of the two open"))
    assert (one_open.listed, one_open.consistent) == (2, True)
    assert _compare(with_program, _count(**members, open="2..")).consistent is False
    assert _compare(with_program, _count(**members, agreed="..1")).consistent is True


def test_a_count_dated_by_a_window_fits_if_one_day_of_it_fits(
    with_program: dict[str, Any],
) -> None:
    """ "Earlier, 0 of 3 agreed": customs was agreed on 2021-05-28, so on that day the count
    contradicts the record, but on any day before it fits; undated within the window, it
    fits, and the comparison says on which day."""
    count = _count(unit="roadmaps", agreed=0, open=3)
    on_the_day = _compare(with_program, {**count, "date": "2021-05-28"})
    assert on_the_day.consistent is False
    earlier = _compare(with_program, {**count, "date": "2020-01-01..2021-05-28"})
    assert (earlier.consistent, earlier.on) == (True, dt.date(2021, 5, 27))
    never = _compare(with_program, {**count, "date": "2020-01-01..2021-05-28", "open": 4})
    assert (never.consistent, never.on) == (False, dt.date(2021, 5, 28))
    path = _save_count(with_program, {**count, "date": "..2021-05-28"})
    shown = json.loads(invoke("--data", str(path), "summary", "--json").stdout)
    (checked,) = [m for m in shown["milestones"] if m["date"] == "..2021-05-28"]
    assert (checked["consistent"], checked["dataset_on"]) == (True, "2021-05-27")


def _save_count(data: dict[str, Any], milestone: dict[str, Any]) -> Path:
    import tempfile

    data["milestones"] = [milestone]
    path = Path(tempfile.mkdtemp()) / "roadmaps.yaml"
    store.save(checks.validate(data), path)
    return path


def test_amounts_read_as_written() -> None:
    assert (Amount.parse("6..7").lo, Amount.parse("6..7").hi) == (6, 7)
    assert str(Amount.parse("20..")) == "≥20"
    assert Amount.parse(7).exact
    with pytest.raises(ValueError, match="whole number"):
        Amount.parse("seven")


# -------------------------------------------------------------------- commands


def test_assess_note_and_targets_from_the_command_line(
    tmp_path: Path, with_program: dict[str, Any]
) -> None:
    path = _save(tmp_path, with_program)
    base = ("--data", str(path))
    steps = [
        ("assess", "P1", "under-way", "--on", "2023-06", "--by", "Minister", "--side",
         "russia", "--done", "5", "--total", "9", "--unit", "tasks", "--source", "tass-1"),
        ("note", "P1", "--on", "2025", "--note", "Still not created.", "--source", "tass-1"),
        ("note", "gas-price", "--on", "2025-11", "--note", "Talks go on.", "--source", "tass-1"),
        ("target", "add", "P1", "addendum", "--title", "Addendum", "--due", "2023-12-01",
         "--on", "2021-09-09", "--source", "tass-1", "--note", "Named at the summit.",
         "--notes", "No later date is known."),
        ("target", "move", "P1", "addendum", "--due", "2027", "--on", "2024-12-06",
         "--source", "tass-1"),
        ("target", "set", "P1", "addendum", "missed", "--on", "2026-01", "--source", "tass-1"),
    ]  # fmt: skip
    for step in steps:
        result = invoke(*base, *step)
        assert result.exit_code == 0, (step, result.output)
    dataset: Dataset = store.load(path)
    program = dataset.programs[0]
    assert [a.state.value for a in program.implementation] == ["under-way"]
    assert [o.note for o in program.observations] == ["Still not created."]
    assert dataset.conditions[0].observations[-1].note == "Talks go on."
    (target,) = program.targets
    assert [d.date.text for d in target.due] == ["2023-12-01", "2027"]
    assert (target.note, target.due[0].note) == ("No later date is known.", "Named at the summit.")
    assert target.outcome is not None and target.outcome.state == "missed"
    history = json.loads(invoke(*base, "history", "P1", "--json").stdout)
    assert [e["status"] for e in history][-2:] == ["under-way", None]  # observation: no status
    assert store.dumps(store.load(path)) == path.read_bytes()  # round trip, byte for byte


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        (["assess", "P1", "finished", "--by", "X", "--side", "joint", "--source", "tass-1"], 2,
         "'finished' is not one of"),
        (["assess", "P1", "under-way", "--by", "X", "--side", "moscow", "--source", "tass-1"], 2,
         "'moscow' is not one of"),
        (["assess", "P1", "completed", "--on", "2021-06", "--by", "X", "--side", "joint",
          "--source", "tass-1"], 1, "before program P1 (program-gas) was adopted"),
        (["assess", "P1", "under-way", "--by", "X", "--side", "joint"], 2, "needs --source"),
        (["assess", "gas-market", "under-way", "--by", "X", "--side", "joint", "--source",
          "tass-1"], 1, "has no implementation of its own"),
        (["target", "set", "P1", "nothing", "met", "--source", "tass-1"], 2, "unknown target"),
        (["agree", "customs", "--note", "Again."], 1, "unionstate note customs"),
    ],
)  # fmt: skip
def test_bad_recording_input_is_refused_and_changes_nothing(
    tmp_path: Path, with_program: dict[str, Any], args: list[str], code: int, phrase: str
) -> None:
    path = _save(tmp_path, with_program)
    before = path.read_bytes()
    result = invoke("--data", str(path), *args)
    assert result.exit_code == code, result.output
    assert phrase in result.stderr
    assert path.read_bytes() == before


# ----------------------------------------------------------------------- merge


def test_two_branches_that_each_assess_the_same_program_merge(
    with_program: dict[str, Any],
) -> None:
    base = checks.validate(with_program)
    ours_data = json.loads(json.dumps(with_program))
    theirs_data = json.loads(json.dumps(with_program))
    ours_data["programs"][0]["implementation"] = [
        _assessment("2023-01", "under-way", "Ours", "russia")
    ]
    theirs_data["programs"][0]["implementation"] = [
        _assessment("2024-01", "completed", "Theirs", "belarus")
    ]
    theirs_data["programs"][0]["targets"] = [_target()]
    merged = merge.merge(base, checks.validate(ours_data), checks.validate(theirs_data))
    assert merged.conflicts == []
    program = merged.dataset.programs[0]
    assert [a.assessor for a in program.implementation] == ["Ours", "Theirs"]
    assert [t.id for t in program.targets] == ["addendum"]


def test_diff_names_a_target_added_or_changed_by_its_id(with_program: dict[str, Any]) -> None:
    from unionstate import diff

    base = checks.validate(with_program)
    changed = json.loads(json.dumps(with_program))
    changed["programs"][0]["targets"] = [_target(note="Not met.")]
    texts = [c.text for c in diff.changes(base, checks.validate(changed))]
    assert texts == [f"{base.programs[0].label}: target addendum (note: Not met.)"]
