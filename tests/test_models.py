"""The model without any file: which data file is used, dates as known, and every record rule."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from unionstate import checks, store
from unionstate.checks import CrossRecordError
from unionstate.models import DatePrecision, Loc, RoadmapStatus, When
from unionstate.queries import open_conditions_of
from unionstate.text import unsafe_characters

# ------------------------------------------------------------------ which data file is used


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("schema_version: 1\n")
    return path


@pytest.mark.parametrize(
    ("flag", "env", "tree", "user", "expected"),
    [
        (True, True, True, True, "--data"),
        (False, True, True, True, "UNIONSTATE_DATA"),
        (False, False, True, True, "tree"),
        (False, False, False, True, "user"),
        (False, False, False, False, "bundled"),
        (True, False, False, False, "--data"),
        (False, True, False, False, "UNIONSTATE_DATA"),
    ],
)
def test_find_data_file_order(
    tmp_path: Path, flag: bool, env: bool, tree: bool, user: bool, expected: str
) -> None:
    """--data beats $UNIONSTATE_DATA beats ./data up the tree beats the user dir beats bundled."""
    cwd = tmp_path / "project" / "docs" / "deep"
    cwd.mkdir(parents=True)
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    candidates = {
        "--data": tmp_path / "flag" / "roadmaps.yaml",  # need not exist: the user asked for it
        "UNIONSTATE_DATA": tmp_path / "env" / "roadmaps.yaml",
        "tree": tmp_path / "project" / "data" / "roadmaps.yaml",
        "user": user_dir / "roadmaps.yaml",
        "bundled": store.bundled_path(),
    }
    if tree:
        _touch(candidates["tree"])
    if user:
        _touch(candidates["user"])
    found = store.find_data_file(
        str(candidates["--data"]) if flag else None,
        {"UNIONSTATE_DATA": str(candidates["UNIONSTATE_DATA"])} if env else {},
        cwd,
        user_dir,
    )
    assert found.origin == expected
    assert found.path == candidates[expected]
    assert found.writable is (expected != "bundled")


def test_an_empty_environment_variable_is_ignored(tmp_path: Path) -> None:
    user = _touch(tmp_path / "user" / "roadmaps.yaml")
    found = store.find_data_file(None, {"UNIONSTATE_DATA": ""}, tmp_path, user.parent)
    assert found.origin == "user"


def test_the_nearest_data_directory_up_the_tree_wins(tmp_path: Path) -> None:
    outer = _touch(tmp_path / "data" / "roadmaps.yaml")
    inner = _touch(tmp_path / "project" / "data" / "roadmaps.yaml")
    cwd = tmp_path / "project" / "src"
    cwd.mkdir()
    assert store.find_data_file(None, {}, cwd, tmp_path / "nouser").path == inner
    assert store.find_data_file(None, {}, tmp_path, tmp_path / "nouser").path == outer


def test_a_directory_named_like_the_data_file_is_not_picked(tmp_path: Path) -> None:
    (tmp_path / "data" / "roadmaps.yaml").mkdir(parents=True)
    found = store.find_data_file(None, {}, tmp_path, tmp_path / "nouser")
    assert found.origin == "bundled"


# ------------------------------------------------------------------------- date windows


@pytest.mark.parametrize(
    ("spelling", "precision", "earliest", "latest", "shown"),
    [
        ("2021-05-28", DatePrecision.DAY, "2021-05-28", "2021-05-28", "2021-05-28"),
        ("~2020-09-29", DatePrecision.APPROXIMATE, "2020-09-29", "2020-09-29", "~2020-09-29"),
        ("2021-05", DatePrecision.MONTH, "2021-05-01", "2021-05-31", "2021-05"),
        ("2020-02", DatePrecision.MONTH, "2020-02-01", "2020-02-29", "2020-02"),
        ("2018", DatePrecision.YEAR, "2018-01-01", "2018-12-31", "2018"),
        ("..2021-08-09", DatePrecision.RANGE, None, "2021-08-09", "≤2021-08-09"),
        ("2019-11-13..2019-12-20", DatePrecision.RANGE, "2019-11-13", "2019-12-20", None),
        ("2021-06..2021", DatePrecision.RANGE, "2021-06-01", "2021-12-31", None),
        ("2019-11-13..", DatePrecision.RANGE, "2019-11-13", None, "≥2019-11-13"),
    ],
)
def test_a_date_spelling_is_a_window_of_days(
    spelling: str, precision: DatePrecision, earliest: str | None, latest: str | None, shown: str
) -> None:
    when = When.parse(spelling)
    assert when.precision is precision
    assert when.earliest == (dt.date.fromisoformat(earliest) if earliest else None)
    assert when.latest == (dt.date.fromisoformat(latest) if latest else None)
    assert when.display == (shown or spelling)
    assert When.parse(when.text) == when


@pytest.mark.parametrize(
    "bad", ["2021-13", "2021-02-30", "21-05-28", "~2021-05", "2021-05-28..2021-05-01", "..", "x"]
)
def test_a_malformed_date_is_refused_naming_the_forms(bad: str) -> None:
    with pytest.raises(ValueError, match=r"YYYY|real date|ends before"):
        When.parse(bad)


def test_an_open_start_begins_after_the_previous_event_and_an_open_end_at_as_of() -> None:
    after, as_of = dt.date(2021, 5, 28), dt.date(2021, 12, 31)
    no_later = When.parse("..2021-08-09").resolved(after, as_of)
    assert (no_later.earliest, no_later.latest) == (dt.date(2021, 5, 29), dt.date(2021, 8, 9))
    not_before = When.parse("2021-06..").resolved(after, as_of)
    assert (not_before.earliest, not_before.latest) == (dt.date(2021, 6, 1), as_of)


def test_enums_print_as_their_value() -> None:
    assert str(DatePrecision.MONTH) == "month"
    assert str(RoadmapStatus.SET_ASIDE) == "set-aside"
    assert f"{DatePrecision.YEAR}" == "year"


# ------------------------------------------------------------------------ field values


@pytest.mark.parametrize(
    ("path", "value", "expected_loc", "expected_error"),
    [
        (("roadmaps", 1, "title"), "Two\nlines", ("roadmaps", 1, "title"), "single line"),
        (("roadmaps", 1, "title"), "tab\there", ("roadmaps", 1, "title"), "single line"),
        (("roadmaps", 1, "title"), "   ", ("roadmaps", 1, "title"), "must not be empty"),
        (("roadmaps", 1, "title"), "bell\x07", ("roadmaps", 1, "title"), "U+0007"),
        (("roadmaps", 1, "title"), "cr\r", ("roadmaps", 1, "title"), "U+000D"),
        (("roadmaps", 1, "title"), "c1\x9b31m", ("roadmaps", 1, "title"), "U+009B"),
        (("roadmaps", 1, "notes"), "del\x7f", ("roadmaps", 1, "notes"), "U+007F"),
        (("roadmaps", 1, "notes"), "iso\u2066late", ("roadmaps", 1, "notes"), "U+2066"),
        (("roadmaps", 1, "id"), "Gas_Market", ("roadmaps", 1, "id"), "lowercase slug"),
        (("roadmaps", 1, "id"), "gas--market", ("roadmaps", 1, "id"), "lowercase slug"),
        (("sources", 0, "url"), "ftp://tass.com/1", ("sources", 0, "url"), "http:// or https://"),
        (("roadmaps", 1, "number"), 0, ("roadmaps", 1, "number"), "greater than or equal"),
        (("roadmaps", 1, "number"), True, ("roadmaps", 1, "number"), "integer"),
        (("roadmaps", 1, "number"), "2", ("roadmaps", 1, "number"), "integer"),
        # a version 2 flag that is no boolean reaches the grade that replaced it
        (("roadmaps", 1, "title_confirmed"), "true", ("roadmaps", 1, "title_basis"), "'named'"),
        (("roadmaps", 1, "status"), "Agreed", ("roadmaps", 1, "status"), "'agreed'"),
        (("roadmaps", 1, "history"), [], ("roadmaps", 1, "history"), "at least 1"),
        (("roadmaps", 1, "title"), 5, ("roadmaps", 1, "title"), "string"),
        (("milestones", 0, "agreed"), -1, ("milestones", 0, "agreed"), "expected a whole number"),
        (("milestones", 0, "unit"), "maps", ("milestones", 0, "unit"), "'roadmaps'"),
        (("schema_version",), 5, ("schema_version",), "4"),
        (("as_of",), "2023-02-30", ("as_of",), "date"),
    ],
)
def test_a_bad_field_value_is_refused_at_its_location(
    minimal_data: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    expected_loc: tuple[str | int, ...],
    expected_error: str,
) -> None:
    target: Any = minimal_data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(checks.Invalid) as caught:
        checks.validate(minimal_data)
    errors = caught.value.errors
    assert [tuple(error["loc"]) for error in errors] == [expected_loc]
    assert expected_error in errors[0]["msg"]


def test_an_unknown_field_is_refused(minimal_data: dict[str, Any]) -> None:
    minimal_data["roadmaps"][1]["titel"] = "Customs"
    with pytest.raises(checks.Invalid) as caught:
        checks.validate(minimal_data)
    assert [(e["type"], tuple(e["loc"])) for e in caught.value.errors] == [
        ("unexpected_keyword_argument", ("roadmaps", 1, "titel"))
    ]


def test_multi_line_text_with_tabs_is_allowed_in_notes(minimal_data: dict[str, Any]) -> None:
    minimal_data["roadmaps"][1]["notes"] = "First line.\n\tIndented second line."
    assert checks.validate(minimal_data).roadmaps[1].notes.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text – with an en dash, Лукашенко", []),
        ("\x1b[31mred\x1b[0m", ["U+001B"]),
        ("\u202eevil\u202c and \x00", ["U+0000", "U+202C", "U+202E"]),
        ("keep\ttab and\nnewline", []),
    ],
)
def test_unsafe_characters_are_named(text: str, expected: list[str]) -> None:
    assert unsafe_characters(text) == expected


# ------------------------------------------------------------------- records disagree

Change = Callable[[dict[str, Any]], None]


def _event(date: str, status: str, sources: list[str] | None = None) -> dict[str, Any]:
    return {"date": date, "status": status, "note": "x", "sources": sources or []}


def _resolve_condition(data: dict[str, Any]) -> None:
    data["conditions"][0]["status"] = "resolved"
    data["conditions"][0]["history"].append(_event("2020-01-01", "resolved"))


CROSS_RECORD_CASES: list[tuple[str, Change, list[tuple[Loc, str]]]] = [
    (
        "duplicate-source-id",
        lambda d: d["sources"].append(copy.deepcopy(d["sources"][0])),
        [(("sources", 0, "id"), "duplicate id 'tass-1'"), (("sources", 2, "id"), "duplicate id")],
    ),
    (
        "duplicate-condition-id",
        lambda d: d["conditions"].append(copy.deepcopy(d["conditions"][0])),
        [
            (("conditions", 0, "id"), "duplicate id 'gas-price'"),
            (("conditions", 1, "id"), "duplicate id 'gas-price'"),
        ],
    ),
    (
        "duplicate-roadmap-number",
        lambda d: d["roadmaps"][2].update(number=2),
        [
            (("roadmaps", 1, "number"), "duplicate number 2"),
            (("roadmaps", 2, "number"), "duplicate number 2"),
        ],
    ),
    (
        "duplicate-roadmap-id",
        lambda d: d["roadmaps"][2].update(id="customs"),
        [
            (("roadmaps", 1, "id"), "duplicate id 'customs'"),
            (("roadmaps", 2, "id"), "duplicate id 'customs'"),
        ],
    ),
    (
        "unknown-source-of-a-condition",
        lambda d: d["conditions"][0].update(sources=["tass-1", "nope"]),
        [(("conditions", 0, "sources", 1), "unknown source 'nope'")],
    ),
    (
        "unknown-source-in-a-condition-event",
        lambda d: d["conditions"][0]["history"][0].update(sources=["nope"]),
        [(("conditions", 0, "history", 0, "sources", 0), "unknown source 'nope'")],
    ),
    (
        "condition-history-out-of-order",
        lambda d: d["conditions"][0]["history"].append(_event("2019-01-01", "open")),
        [
            (
                ("conditions", 0, "history", 1, "date"),
                "history out of order: 2019-01-01 comes after 2019-09-06",
            )
        ],
    ),
    (
        "condition-event-after-as-of",
        lambda d: d["conditions"][0]["history"].append(_event("2021-05-29", "open")),
        [
            (
                ("conditions", 0, "history", 1, "date"),
                "2021-05-29 is after the dataset's as_of (2021-05-28)",
            )
        ],
    ),
    (
        "condition-status-disagrees-with-last-event",
        lambda d: d["conditions"][0]["history"].append(_event("2020-01-01", "resolved")),
        [(("conditions", 0, "status"), "is open but the last history event leaves it resolved")],
    ),
    (
        "unknown-source-of-a-milestone",
        lambda d: d["milestones"][0].update(sources=["nope"]),
        [(("milestones", 0, "sources", 0), "unknown source 'nope'")],
    ),
    (
        "milestone-after-as-of",
        lambda d: d["milestones"][0].update(date="2022-01-01"),
        [(("milestones", 0, "date"), "2022-01-01 is after the dataset's as_of (2021-05-28)")],
    ),
    (
        "unknown-linked-condition",
        lambda d: d["roadmaps"][1].update(linked_conditions=["oil-duty"]),
        [(("roadmaps", 1, "linked_conditions", 0), "unknown condition 'oil-duty'")],
    ),
    (
        "condition-linked-twice",
        lambda d: d["roadmaps"][0].update(linked_conditions=["gas-price", "gas-price"]),
        [(("roadmaps", 0, "linked_conditions", 1), "condition 'gas-price' listed twice")],
    ),
    (
        "unknown-source-in-a-roadmap-event",
        lambda d: d["roadmaps"][1]["history"][1].update(sources=["tass-1", "nope"]),
        [(("roadmaps", 1, "history", 1, "sources", 1), "unknown source 'nope'")],
    ),
    (
        "roadmap-history-out-of-order",
        lambda d: d["roadmaps"][0]["history"][1].update(date="2019-09-05"),
        [
            (
                ("roadmaps", 0, "history", 1, "date"),
                "history out of order: 2019-09-05 comes after 2019-09-06",
            )
        ],
    ),
    (
        "roadmap-event-after-as-of",
        lambda d: d["roadmaps"][1]["history"][1].update(date="2021-06-01"),
        [
            (
                ("roadmaps", 1, "history", 1, "date"),
                "2021-06-01 is after the dataset's as_of (2021-05-28)",
            )
        ],
    ),
    (
        "roadmap-status-disagrees-with-last-event",
        lambda d: d["roadmaps"][1].update(status="signed"),
        [(("roadmaps", 1, "status"), "is signed but the last history event leaves it agreed")],
    ),
    (
        "blocked-but-the-linked-condition-is-resolved",
        _resolve_condition,
        [(("roadmaps", 0, "status"), "is blocked but none of its linked conditions is open")],
    ),
    (
        "blocked-with-no-linked-condition",
        lambda d: d["roadmaps"][0].update(linked_conditions=[]),
        [(("roadmaps", 0, "status"), "is blocked but none of its linked conditions is open")],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [pytest.param(change, expected, id=name) for name, change, expected in CROSS_RECORD_CASES],
)
def test_records_that_disagree_are_refused(
    minimal_data: dict[str, Any], change: Change, expected: list[tuple[Loc, str]]
) -> None:
    change(minimal_data)
    with pytest.raises(checks.Invalid) as caught:
        checks.validate(minimal_data)
    errors = caught.value.errors
    assert len(errors) == 1 and errors[0]["type"] == "value_error"
    cross = errors[0]["ctx"]["error"]
    assert isinstance(cross, CrossRecordError)
    assert [problem.loc for problem in cross.problems] == [loc for loc, _ in expected]
    for problem, (_, message) in zip(cross.problems, expected, strict=True):
        assert message in problem.message


VALID_VARIATIONS: list[tuple[str, Change]] = [
    (
        "two-events-on-one-day",
        lambda d: d["roadmaps"][0]["history"][1].update(date="2019-09-06"),
    ),
    ("event-on-the-as-of-day", lambda d: d["roadmaps"][2]["history"][0].update(date="2021-05-28")),
    (
        "blocked-by-one-open-condition-among-resolved",
        lambda d: (
            d["conditions"].append(
                {
                    "id": "oil-duty",
                    "title": "Oil duty",
                    "description": "Compensation for the tax manoeuvre.",
                    "status": "resolved",
                    "history": [_event("2020-02-01", "resolved")],
                }
            ),
            d["roadmaps"][0].update(linked_conditions=["oil-duty", "gas-price"]),
        ),
    ),
    ("no-records-at-all", lambda d: d.update(conditions=[], milestones=[], roadmaps=[])),
]


@pytest.mark.parametrize(
    "change", [pytest.param(change, id=name) for name, change in VALID_VARIATIONS]
)
def test_records_that_agree_are_accepted(minimal_data: dict[str, Any], change: Change) -> None:
    change(minimal_data)
    checks.validate(minimal_data)


def test_open_conditions_of_keeps_link_order(minimal_data: dict[str, Any]) -> None:
    minimal_data["conditions"].append(
        {
            "id": "oil-duty",
            "title": "Oil duty",
            "description": "Compensation for the tax manoeuvre.",
            "status": "open",
            "history": [_event("2020-02-01", "open")],
        }
    )
    minimal_data["roadmaps"][0]["linked_conditions"] = ["oil-duty", "gas-price"]
    dataset = checks.validate(minimal_data)
    assert open_conditions_of(dataset, dataset.roadmaps[0]) == ["oil-duty", "gas-price"]
    assert open_conditions_of(dataset, dataset.roadmaps[1]) == []


def test_lookups_by_id(minimal_data: dict[str, Any]) -> None:
    dataset = checks.validate(minimal_data)
    assert dataset.roadmap_by_id("customs").number == 2
    assert dataset.condition_by_id("gas-price").status == "open"
    with pytest.raises(KeyError):
        dataset.roadmap_by_id("gaz")
    with pytest.raises(KeyError):
        dataset.condition_by_id("gaz")
