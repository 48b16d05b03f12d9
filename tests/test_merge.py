"""The three-way merge and the semantic diff as a library, on the small test dataset."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from unionstate import checks, diff, merge, models

Edit = Callable[[dict[str, Any]], None]
FROZEN = Path(__file__).resolve().parent / "data" / "record-2021-05-28.yaml"  # see tests/data


def version(plain: dict[str, Any], *edits: Edit) -> models.Dataset:
    """The dataset `plain` describes after `edits`, validated."""
    data = copy.deepcopy(plain)
    for edit in edits:
        edit(data)
    return checks.validate(data)


def roadmap(data: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in data["roadmaps"] if r["id"] == rid)


def event(rid: str, day: str, status: str, note: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        record = roadmap(data, rid)
        record["history"].append({"date": day, "status": status, "note": note, "sources": []})
        record["status"] = status
        data["as_of"] = max(data["as_of"], day)

    return edit


def setter(rid: str, field: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        roadmap(data, rid)[field] = value

    return edit


def milestone(day: str, reported: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["milestones"].append({"date": day, "reported": reported, "total": 31, "sources": []})

    return edit


def drop(rid: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["roadmaps"] = [r for r in data["roadmaps"] if r["id"] != rid]

    return edit


def test_changes_to_different_fields_and_records_merge(minimal_data: dict[str, Any]) -> None:
    base = version(minimal_data)
    ours = version(minimal_data, setter("customs", "notes", "Ours."), milestone("2021-05-01", "a"))
    theirs = version(
        minimal_data,
        setter("customs", "title", "Customs union"),
        event("tax-policy", "2021-06-01", "agreed", "Theirs."),
        milestone("2021-05-02", "b"),
    )
    result = merge.merge(base, ours, theirs)
    assert result.conflicts == []
    merged = result.dataset
    customs = merged.roadmap_by_id("customs")
    assert (customs.title, customs.notes) == ("Customs union", "Ours.")
    assert merged.roadmap_by_id("tax-policy").status is models.RoadmapStatus.AGREED
    assert [m.reported for m in merged.milestones][-2:] == ["a", "b"]
    assert str(merged.as_of) == "2021-06-01"


@pytest.mark.parametrize(
    ("ours_edits", "theirs_edits", "expected_error"),
    [
        (
            [setter("customs", "title", "A")],
            [setter("customs", "title", "B")],
            "roadmap 2 (customs): title: ours A, theirs B",
        ),
        (
            [event("tax-policy", "2021-06-01", "agreed", "x")],
            [
                setter("tax-policy", "linked_conditions", ["gas-price"]),
                event("tax-policy", "2021-06-02", "blocked", "y"),
            ],
            "roadmap 3 (tax-policy): status: ours agreed on 2021-06-01, "
            "theirs blocked on 2021-06-02",
        ),
        (
            [event("tax-policy", "2021-06-05", "agreed", "x")],
            [event("tax-policy", "2021-06-06", "pending", "still")],
            "roadmap 3 (tax-policy): status: ours agreed on 2021-06-05, "
            "theirs pending on 2021-06-06",
        ),
        (
            [drop("tax-policy")],
            [setter("tax-policy", "notes", "Kept.")],
            "roadmap 3 (tax-policy): ours removed it, theirs changed it",
        ),
    ],
)
def test_conflicts_keep_our_side_and_say_why(
    minimal_data: dict[str, Any],
    ours_edits: list[Edit],
    theirs_edits: list[Edit],
    expected_error: str,
) -> None:
    base = version(minimal_data)
    ours = version(minimal_data, *ours_edits)
    theirs = version(minimal_data, *theirs_edits)
    result = merge.merge(base, ours, theirs)
    assert [c.text for c in result.conflicts if c.kind != "lost"] == [expected_error]
    assert [r.id for r in result.dataset.roadmaps] == [r.id for r in ours.roadmaps]
    for r in ours.roadmaps:
        merged = result.dataset.roadmap_by_id(r.id)
        assert (merged.history, merged.status) == (r.history, r.status)


def test_a_record_added_on_both_sides_with_one_id_and_two_numbers_is_a_conflict(
    minimal_data: dict[str, Any],
) -> None:
    def add(number: int) -> Edit:
        def edit(data: dict[str, Any]) -> None:
            new = copy.deepcopy(roadmap(data, "tax-policy"))
            new.update(id="new-one", number=number)
            data["roadmaps"].append(new)

        return edit

    result = merge.merge(
        version(minimal_data), version(minimal_data, add(4)), version(minimal_data, add(5))
    )
    assert [c.text for c in result.conflicts] == ["roadmap 4 (new-one): number: ours 4, theirs 5"]


def test_annotated_bytes_still_load_and_record_the_conflicts(
    minimal_data: dict[str, Any],
) -> None:
    from unionstate import store

    base = version(minimal_data)
    result = merge.merge(
        base,
        version(minimal_data, setter("customs", "title", "A")),
        version(minimal_data, setter("customs", "title", "B")),
    )
    data = merge.annotate(store.dumps(result.dataset), result.conflicts)
    assert b'# conflict: {"record": "roadmap 2 (customs)", "field": "title"' in data
    assert store.loads(data, "merged") == result.dataset


def test_diff_names_records_events_and_fields(minimal_data: dict[str, Any]) -> None:
    old = version(minimal_data)
    new = version(
        minimal_data,
        event("tax-policy", "2021-06-01", "agreed", "Done."),
        setter("customs", "title", "Customs union"),
        milestone("2021-05-02", "30 of 31"),
        drop("gas-market"),
    )
    assert [c.text for c in diff.changes(old, new)] == [
        "milestone 2021-05-02 (30 of 31) added",
        "roadmap 2 (customs): title: Customs → 'Customs union'",
        "roadmap 3 (tax-policy): agreed on 2021-06-01 (note: Done.)",
        "roadmap 1 (gas-market) removed",
        "as_of: 2021-05-28 → 2021-06-01",
    ]
    assert diff.changes(old, old) == []


def test_loading_versions_together_gives_each_as_alone(
    minimal_data: dict[str, Any],
) -> None:
    """Same datasets as loading each alone."""
    from unionstate import store

    base = version(minimal_data)
    changed = version(minimal_data, event("tax-policy", "2021-06-01", "agreed", "Done."))
    raws = [store.dumps(base), store.dumps(changed)]
    hand_edited = raws[1].replace(b"\nroadmaps:\n", b"\n# a comment\nroadmaps:\n")
    loaded = store.loads_versions([(raws[0], "a"), (raws[1], "b"), (hand_edited, "c")])
    assert loaded == [base, changed, changed]


def test_loading_versions_reports_every_invalid_one_with_its_lines(
    minimal_data: dict[str, Any],
) -> None:
    from unionstate import store
    from unionstate.errors import DataError

    raw = store.dumps(version(minimal_data))
    bad = raw.replace(b"status: pending", b"status: done", 1)
    with pytest.raises(DataError) as caught:
        store.loads_versions([(raw, "base"), (bad, "ours"), (bad, "theirs")])
    assert [p.split(":")[0] for p in caught.value.problems] == ["ours", "theirs"]
    assert "got 'done'" in caught.value.problems[0]


def _shipped_variants() -> list[tuple[str, Any]]:
    """Single updates of the shipped data, as the CLI would make them."""
    import datetime as dt

    from unionstate import updates

    today = dt.date(2022, 1, 1)
    entry = updates.Entry(on=dt.date(2021, 6, 10), note="N", source="https://tass.com/x")
    return [
        ("agree customs", lambda d: updates.transition(d, "agree", ["customs"], entry, today)),
        ("sign transport", lambda d: updates.transition(d, "sign", ["transport"], entry, today)),
        (
            "block customs",
            lambda d: updates.transition(
                d, "block", ["customs"], entry, today, condition="gas-price"
            ),
        ),
        ("resolve", lambda d: updates.resolve_condition(d, "gas-price", entry, today)),
    ]


@pytest.mark.parametrize(("name", "change"), _shipped_variants())
def test_a_merge_with_an_unchanged_side_is_the_changed_side(name: str, change: Any) -> None:
    from unionstate import store

    base = store.load(FROZEN)
    changed = change(base).dataset
    for ours, theirs in ((changed, base), (base, changed), (changed, changed)):
        result = merge.merge(base, ours, theirs)
        assert result.conflicts == [], name
        assert store.dumps(result.dataset) == store.dumps(changed), name
