"""Issue 21, high 1 and 2, medium (events): a merge keeps every change that merges cleanly,
names every change of theirs that is not in the file, and always writes a valid file."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_merge import Edit, event, milestone, roadmap, setter, version

from unionstate import checks, diff, merge, store
from unionstate.checks import Invalid


def condition(data: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in data["conditions"] if c["id"] == cid)


def resolve(day: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        record = condition(data, "gas-price")
        record["history"].append({"date": day, "status": "resolved", "note": "R.", "sources": []})
        record["status"] = "resolved"
        data["as_of"] = max(data["as_of"], day)

    return edit


def event_note(rid: str, index: int, note: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        roadmap(data, rid)["history"][index]["note"] = note

    return edit


def event_sources(rid: str, index: int, sources: list[str]) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        roadmap(data, rid)["history"][index]["sources"] = sources

    return edit


def drop_event(rid: str, index: int) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        history = roadmap(data, rid)["history"]
        del history[index]
        roadmap(data, rid)["status"] = history[-1]["status"]

    return edit


def milestone_note(index: int, note: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["milestones"][index]["note"] = note

    return edit


def drop_condition(data: dict[str, Any]) -> None:
    data["conditions"] = []
    for record in data["roadmaps"]:
        record["linked_conditions"] = []
    gas = roadmap(data, "gas-market")
    gas["history"].append({"date": "2021-05-20", "status": "pending", "note": "Un.", "sources": []})
    gas["status"] = "pending"


def held_or_named(base: Any, side: Any, result: merge.Merged) -> list[str]:
    """The changes of `side` that the merged file lacks and no conflict names.

    A change is held when the diff from base to the merge says it too, or, for an edited
    event, when a merged event of that record has every field the edit changed."""
    merged = diff.changes(base, result.dataset)
    merged_texts = {c.text for c in merged}
    named = {c.record for c in result.conflicts}
    lost = []
    for change in diff.changes(base, side):
        if change.text in merged_texts or change.record in named or change.field == "as_of":
            continue
        if change.kind == "event-removed" and not any(
            c.kind == "event-removed" and c.old == change.old for c in merged
        ):
            new_events = [c.new for c in merged if c.record == change.record and c.new]
            if any(sum(e[k] == change.old[k] for k in e) * 2 >= len(e) for e in new_events):
                continue  # edited: the edit is checked as an event below
        if change.kind == "event":
            olds = [c.old for c in diff.changes(base, side) if c.kind == "event-removed"]
            olds = [o for o in olds if sum(o[k] == change.new[k] for k in o) * 2 >= len(o)]
            edited = [k for k in change.new if olds and olds[0][k] != change.new[k]]
            events = [c.new for c in merged if c.kind == "event" and c.record == change.record]
            if edited and any(all(e[k] == change.new[k] for k in edited) for e in events):
                continue
        lost.append(change.text)
    return lost


# ------------------------------------------------------------ inside a conflicting record


@pytest.mark.parametrize(
    ("rid", "ours_edits", "theirs_edits", "kept"),
    [
        (  # the conflicting title keeps ours; theirs' notes and event in the record stay
            "customs",
            [setter("customs", "title", "A")],
            [
                setter("customs", "title", "B"),
                setter("customs", "notes", "Theirs."),
                event("customs", "2021-06-01", "pending", "Reopened."),
            ],
            {"title": "A", "notes": "Theirs.", "status": "pending"},
        ),
        (  # a conflicting sphere; theirs' title and title_confirmed stay
            "tax-policy",
            [setter("tax-policy", "sphere", "finance")],
            [
                setter("tax-policy", "sphere", "budget"),
                setter("tax-policy", "title", "Tax code"),
                setter("tax-policy", "title_confirmed", True),
            ],
            {"sphere": "finance", "title": "Tax code", "title_confirmed": True},
        ),
        (  # a conflicting note on one event; theirs' sources on the same event stay
            "customs",
            [event_note("customs", 1, "Agreed at Sochi, ours.")],
            [event_note("customs", 1, "Agreed, theirs."), event_sources("customs", 1, [])],
            {"history.1.note": "Agreed at Sochi, ours.", "history.1.sources": []},
        ),
    ],
)
def test_a_conflict_in_one_field_keeps_the_rest_of_the_record(
    minimal_data: dict[str, Any],
    rid: str,
    ours_edits: list[Edit],
    theirs_edits: list[Edit],
    kept: dict[str, Any],
) -> None:
    base = version(minimal_data)
    ours, theirs = version(minimal_data, *ours_edits), version(minimal_data, *theirs_edits)
    result = merge.merge(base, ours, theirs)
    assert len(result.conflicts) == 1
    found = {}
    for path, value in kept.items():
        target: Any = result.dataset.roadmap_by_id(rid)
        for part in path.split("."):
            target = target[int(part)] if part.isdigit() else getattr(target, part)
        found[path] = target if isinstance(value, (bool, list)) else str(target)
    assert found == kept
    assert held_or_named(base, theirs, result) == []
    assert held_or_named(base, ours, result) == []


# ----------------------------------------------------------- outside a conflicting record


def test_a_broken_rule_reverts_only_the_record_it_names(minimal_data: dict[str, Any]) -> None:
    """Ours drops the condition; theirs links customs to it, and also changes other records:
    only customs goes back to ours, and its lost change is named."""
    base = version(minimal_data)
    ours = version(minimal_data, drop_condition)
    theirs = version(
        minimal_data,
        setter("customs", "linked_conditions", ["gas-price"]),
        setter("tax-policy", "notes", "Theirs elsewhere."),
        event("tax-policy", "2021-06-01", "agreed", "Agreed elsewhere."),
        milestone("2021-05-02", "b"),
    )
    result = merge.merge(base, ours, theirs)
    merged = result.dataset
    assert merged.roadmap_by_id("tax-policy").notes == "Theirs elsewhere."
    assert str(merged.roadmap_by_id("tax-policy").status) == "agreed"
    assert [m.reported for m in merged.milestones][-1] == "b"
    assert merged.roadmap_by_id("customs") == ours.roadmap_by_id("customs")
    texts = [c.text for c in result.conflicts]
    assert any("linked_conditions" in t and "(in the merged result)" in t for t in texts), texts
    assert (
        "theirs' change is not in the file: roadmap 2 (customs): linked_conditions: [] → "
        "[gas-price]" in texts
    )
    assert held_or_named(base, theirs, result) == []


def test_a_rule_that_reverting_records_cannot_mend_keeps_ours_and_names_every_loss(
    minimal_data: dict[str, Any],
) -> None:
    """Theirs removes the condition that ours newly cites from customs: the citing record is
    ours, so no revert mends it; the file is ours and every change of theirs is named."""
    base = version(minimal_data)
    ours = version(minimal_data, setter("customs", "linked_conditions", ["gas-price"]))
    theirs = version(minimal_data, drop_condition, setter("tax-policy", "title", "Tax code"))
    result = merge.merge(base, ours, theirs)
    assert result.dataset.roadmap_by_id("customs").linked_conditions == ["gas-price"]
    assert held_or_named(base, theirs, result) == []
    assert held_or_named(base, ours, result) == []
    assert store.loads(merge.annotate(store.dumps(result.dataset), result.conflicts), "m")


# ---------------------------------------------------------------------- event identity


@pytest.mark.parametrize(
    ("ours_edits", "theirs_edits", "expected"),
    [
        (  # both correct the same note differently: one event, a conflict
            [event_note("customs", 1, "Ours.")],
            [event_note("customs", 1, "Theirs.")],
            [
                "roadmap 2 (customs): history: agreed on 2021-05-28: note: ours Ours., theirs "
                "Theirs."
            ],
        ),
        (  # both correct it the same way: one event, no conflict
            [event_note("customs", 1, "Same.")],
            [event_note("customs", 1, "Same.")],
            [],
        ),
        (  # an edit on one side, a deletion on the other: a conflict, not a silent win
            [drop_event("customs", 0)],
            [event_note("customs", 0, "Drafted in September.")],
            [
                "roadmap 2 (customs): history: pending on 2019-09: ours removed it, theirs "
                "changed it"
            ],
        ),
        (
            [event_note("customs", 0, "Drafted in September.")],
            [drop_event("customs", 0)],
            [
                "roadmap 2 (customs): history: pending on 2019-09: ours changed it, theirs "
                "removed it"
            ],
        ),
        (  # one corrects the note, the other the sources of the same event: both kept
            [event_note("gas-market", 0, "Listed first.")],
            [event_sources("gas-market", 0, ["tass-1"])],
            [],
        ),
    ],
)
def test_events_have_an_identity_that_survives_an_edit(
    minimal_data: dict[str, Any], ours_edits: list[Edit], theirs_edits: list[Edit], expected: Any
) -> None:
    base = version(minimal_data)
    ours, theirs = version(minimal_data, *ours_edits), version(minimal_data, *theirs_edits)
    result = merge.merge(base, ours, theirs)
    assert [c.text for c in result.conflicts] == expected
    for record in result.dataset.roadmaps:
        assert len(record.history) <= max(
            len(ours.roadmap_by_id(record.id).history), len(theirs.roadmap_by_id(record.id).history)
        )
    assert held_or_named(base, theirs, result) == []


def test_milestones_edited_on_both_sides_are_one_milestone_and_a_conflict(
    minimal_data: dict[str, Any],
) -> None:
    base = version(minimal_data)
    result = merge.merge(
        base,
        version(minimal_data, milestone_note(0, "Ours.")),
        version(minimal_data, milestone_note(0, "Theirs.")),
    )
    assert len(result.dataset.milestones) == 1
    assert [c.kind for c in result.conflicts] == ["both"]
    assert result.dataset.milestones[0].note == "Ours."


def test_the_same_page_added_on_both_sides_is_one_source(minimal_data: dict[str, Any]) -> None:
    def add(ident: str, url: str) -> Edit:
        def edit(data: dict[str, Any]) -> None:
            data["sources"].append(
                {
                    "id": ident,
                    "publisher": "RBC",
                    "url": url,
                    "title": None,
                    "date": None,
                    "reprint_of": None,
                }
            )
            roadmap(data, "customs")["history"][-1]["sources"].append(ident)

        return edit

    base = version(minimal_data)
    ours = version(
        minimal_data, add("rbc-ru-1", "https://rbc.ru/a"), add("rbc-ru-2", "https://rbc.ru/b")
    )
    theirs = version(minimal_data, add("rbc-ru-1", "https://rbc.ru/b"))
    result = merge.merge(base, ours, theirs)
    urls = [s.url for s in result.dataset.sources]
    assert len(urls) == len(set(urls))
    assert result.conflicts == []


def test_a_renamed_source_is_renamed_where_a_target_outcome_cites_it(
    minimal_data: dict[str, Any],
) -> None:
    """Their new source is ours under another id: every citation of it follows, also in a
    record inside a record (a target's outcome), so their record is kept, not reverted."""

    def add_source(ident: str) -> Edit:
        def edit(data: dict[str, Any]) -> None:
            data["sources"].append(
                {
                    "id": ident,
                    "publisher": "RBC",
                    "url": "https://rbc.ru/same-page",
                    "title": None,
                    "date": None,
                    "reprint_of": None,
                }
            )

        return edit

    def add_target(data: dict[str, Any]) -> None:
        roadmap(data, "customs")["targets"] = [
            {
                "id": "customs-code",
                "title": "A common customs code",
                "due": [{"date": "2021-05-01", "set": "2021-04-01", "sources": ["tass-1"]}],
                "outcome": {"state": "met", "date": "2021-05-20", "sources": ["rbc-theirs"]},
            }
        ]

    base = version(minimal_data)
    ours = version(minimal_data, add_source("rbc-ours"))
    theirs = version(minimal_data, add_source("rbc-theirs"), add_target)
    result = merge.merge(base, ours, theirs)
    assert result.conflicts == []
    (target,) = result.dataset.roadmap_by_id("customs").targets
    assert target.outcome is not None and target.outcome.sources == ["rbc-ours"]


# --------------------------------------------------------------- the file always loads


@pytest.mark.parametrize(
    "note",
    ["a\u2028b", "a\u2029b", "a\x85b", "tab\there", "a\ufeffb", "RLO\u202eX", "😀 Минск"],
)
def test_every_conflict_comment_stays_one_line_and_the_file_validates(
    minimal_data: dict[str, Any], note: str
) -> None:
    base = version(minimal_data)
    try:
        ours = version(minimal_data, setter("customs", "notes", f"ours {note}"))
    except Invalid:
        ours = version(minimal_data, setter("customs", "notes", "ours"))
    theirs_value = f"theirs {note}"
    theirs_plain = copy.deepcopy(minimal_data)
    roadmap(theirs_plain, "customs")["notes"] = theirs_value
    try:
        theirs = checks.validate(theirs_plain)
    except Invalid:
        pytest.skip("the loader refuses this text in a note")
    result = merge.merge(base, ours, theirs)
    data = merge.annotate(store.dumps(result.dataset), result.conflicts)
    assert store.loads(data, "merged") == result.dataset
    comments = [line for line in data.decode().split("\n") if line.startswith("# conflict:")]
    assert len(comments) == len(result.conflicts) == 1


# ------------------------------------------------------------------- property: any edits

NOTES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
RIDS = st.sampled_from(["gas-market", "customs", "tax-policy"])


@st.composite
def edits(draw: st.DrawFn) -> list[Edit]:
    ops: list[Edit] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 6))
        rid = draw(RIDS)
        if kind == 0:
            ops.append(setter(rid, "notes", draw(NOTES)))
        elif kind == 1:
            ops.append(setter(rid, "title", draw(st.sampled_from(["A", "B", "Tax", "Gas"]))))
        elif kind == 2:
            day = f"2021-06-{draw(st.integers(1, 28)):02d}"
            ops.append(event(rid, day, draw(st.sampled_from(["pending", "agreed"])), "E."))
        elif kind == 3:
            ops.append(event_note(rid, 0, draw(st.sampled_from(["X.", "Y.", ""]))))
        elif kind == 4:
            ops.append(milestone(f"2021-05-{draw(st.integers(1, 9)):02d}", draw(NOTES) or "m"))
        elif kind == 5:
            ops.append(milestone_note(0, draw(st.sampled_from(["X.", "Y."]))))
        else:
            ops.append(resolve(f"2021-06-{draw(st.integers(1, 28)):02d}"))
    return ops


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ours_edits=edits(), theirs_edits=edits())
def test_merging_random_edits_never_loses_a_change_without_naming_it(
    minimal_data: dict[str, Any], ours_edits: list[Edit], theirs_edits: list[Edit]
) -> None:
    try:
        base = version(minimal_data)
        ours = version(minimal_data, *ours_edits)
        theirs = version(minimal_data, *theirs_edits)
    except (Invalid, ValueError):
        assume(False)
        return
    result = merge.merge(base, ours, theirs)
    data = merge.annotate(store.dumps(result.dataset), result.conflicts)
    assert store.loads(data, "merged") == result.dataset  # the driver's output validates
    assert held_or_named(base, theirs, result) == []
    assert held_or_named(base, ours, result) == []


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=30))
def test_conflict_comments_of_any_text_leave_a_file_that_validates(
    minimal_data: dict[str, Any], text: str
) -> None:
    """U+2028, NEL, lone surrogates, NUL, BOM: whatever a conflict carries, the file loads."""
    dataset = version(minimal_data)
    conflict = merge.Conflict(f"roadmap {text}", text, text, [text], f"{text}: ours, theirs")
    data = merge.annotate(store.dumps(dataset), [conflict])
    assert store.loads(data, "merged") == dataset
    lines = data.decode("utf-8").splitlines()
    assert sum(line.startswith("# conflict: ") for line in lines) == 1
