"""Pure transitions, called without a terminal or a file: each returns a new, valid dataset.

The shipped dataset is the starting point (loaded once, never written); every test checks
that the dataset it was given is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from unionstate import checks, store, updates
from unionstate.errors import Refused, UsageError
from unionstate.models import ConditionStatus, Dataset, RoadmapStatus

SHIPPED = Path(__file__).resolve().parent / "data" / "record-2021-05-28.yaml"  # frozen
TODAY = dt.date(2026, 1, 1)  # passed in explicitly: the functions never read the clock
ON = dt.date(2021, 9, 10)
P, A, B, S = (
    RoadmapStatus.PENDING,
    RoadmapStatus.AGREED,
    RoadmapStatus.BLOCKED,
    RoadmapStatus.SIGNED,
)


@pytest.fixture(scope="module")
def shipped_dataset() -> Dataset:
    return store.load(SHIPPED)


@pytest.fixture
def dataset(shipped_dataset: Dataset) -> Iterator[Dataset]:
    """The shipped dataset; after the test, it must be unchanged (updates are pure)."""
    before = store.dumps(shipped_dataset)
    yield shipped_dataset
    assert store.dumps(shipped_dataset) == before, "an update changed the dataset it was given"


@pytest.fixture
def with_signed(dataset: Dataset) -> Dataset:
    """The shipped dataset with `trade` signed on 2021-09-01: a roadmap in every status."""
    entry = updates.Entry(on=dt.date(2021, 9, 1))
    return updates.transition(dataset, "sign", ["trade"], entry, TODAY).dataset


def entry(**kwargs: Any) -> updates.Entry:
    return updates.Entry(**{"on": ON, **kwargs})


def revalidated(dataset: Dataset) -> Dataset:
    """The dataset through a save/load round trip: proves the result is a valid file."""
    return store.loads(store.dumps(dataset), "result")


# -------------------------------------------------------------- the table


def _readme_transitions() -> dict[str, tuple[frozenset[RoadmapStatus], RoadmapStatus]]:
    """The roadmap rows of the reference's "Allowed transitions" table, parsed."""
    readme = (Path(__file__).resolve().parent.parent / "docs" / "commands.md").read_text("utf-8")
    section = readme.split("### Allowed transitions", 1)[1].split("\n### ", 1)[0]
    table: dict[str, tuple[frozenset[RoadmapStatus], RoadmapStatus]] = {}
    for row in re.findall(r"^\| `([\w-]+)[^`]*` \| ([^|]+) \| ([\w-]+) \|", section, re.M):
        command, sources, target = row
        if command == "resolve":  # a condition's transition, not a roadmap's
            continue
        table[command] = (
            frozenset(RoadmapStatus(s.strip()) for s in sources.split(",")),
            RoadmapStatus(target),
        )
    return table


def test_transition_table_is_the_documented_one() -> None:
    """The code's table is the documented one, row for row (read from docs/commands.md)."""
    documented = _readme_transitions()
    assert set(documented) == {"agree", "block", "sign", "set-aside", "reopen"}
    assert documented == updates.TRANSITIONS


ROADMAP_IN = {P: "customs", A: "transport", B: "oil-market", S: "trade"}


@pytest.mark.parametrize(
    ("start", "action", "condition", "expected", "expected_error"),
    [
        (P, "agree", None, A, None),
        (A, "agree", None, "unchanged", None),
        (B, "agree", None, A, None),
        (S, "agree", None, None, "already signed: run `unionstate reopen trade` first"),
        (P, "block", "gas-price", B, None),
        (A, "block", "gas-price", B, None),
        (B, "block", "gas-price", B, None),
        (B, "block", "tax-manoeuvre-compensation", "unchanged", None),
        (S, "block", "gas-price", None, "already signed"),
        (P, "sign", None, None, "is pending, not agreed: run `unionstate agree customs` first"),
        (A, "sign", None, S, None),
        (B, "sign", None, None, "run `unionstate resolve tax-manoeuvre-compensation`"),
        (S, "sign", None, "unchanged", None),
        (P, "reopen", None, "unchanged", None),
        (A, "reopen", None, P, None),
        (B, "reopen", None, None, "is blocked by tax-manoeuvre-compensation"),
        (S, "reopen", None, P, None),
    ],
)
def test_transition(
    with_signed: Dataset,
    start: RoadmapStatus,
    action: str,
    condition: str | None,
    expected: RoadmapStatus | str | None,
    expected_error: str | None,
) -> None:
    """Each status × action: moved with one new history event, unchanged, or refused."""
    rid = ROADMAP_IN[start]
    before = with_signed.roadmap_by_id(rid)
    assert before.status is start
    if expected_error is not None:
        with pytest.raises(Refused, match=expected_error.replace("(", r"\(")):
            updates.transition(with_signed, action, [rid], entry(), TODAY, condition=condition)
        return
    outcome = updates.transition(with_signed, action, [rid], entry(), TODAY, condition=condition)
    if expected == "unchanged":
        assert outcome.unchanged == [rid]
        assert outcome.changed == []
        assert outcome.dataset is with_signed
        return
    assert outcome.changed == [rid]
    after = revalidated(outcome.dataset).roadmap_by_id(rid)
    assert after.status is expected
    assert after.history[:-1] == before.history
    assert (after.history[-1].date.lo, after.history[-1].status) == (ON, expected)
    if condition:
        assert condition in after.linked_conditions


@pytest.mark.parametrize(
    ("action", "condition", "expected_note"),
    [
        ("agree", None, "Agreed."),
        ("sign", None, "Signed."),
        ("reopen", None, "Reopened."),
        ("block", "gas-price", "Blocked by condition gas-price."),
    ],
)
def test_default_notes(dataset: Dataset, action: str, condition: str | None, expected_note: str):
    rid = "customs" if action in ("agree", "block") else "transport"
    outcome = updates.transition(dataset, action, [rid], entry(), TODAY, condition=condition)
    assert outcome.dataset.roadmap_by_id(rid).history[-1].note == expected_note


def test_transition_records_the_note(dataset: Dataset) -> None:
    outcome = updates.transition(dataset, "agree", ["customs"], entry(note="At Minsk."), TODAY)
    assert outcome.dataset.roadmap_by_id("customs").history[-1].note == "At Minsk."


# ------------------------------------------------------------- all or nothing


def test_transition_is_all_or_nothing_and_lists_every_refusal(dataset: Dataset) -> None:
    with pytest.raises(Refused) as caught:
        updates.transition(dataset, "sign", ["transport", "customs", "gas-market"], entry(), TODAY)
    message = caught.value.message
    assert "customs" in message
    assert "gas-market" in message
    assert "transport" not in message


def test_transition_names_each_roadmap_once(dataset: Dataset) -> None:
    outcome = updates.transition(
        dataset, "sign", ["transport", "21", "transp", "trade"], entry(), TODAY
    )
    assert outcome.changed == ["transport", "trade"]
    after = outcome.dataset.roadmap_by_id("transport")
    assert len(after.history) == len(dataset.roadmap_by_id("transport").history) + 1


def test_transition_mixes_changed_and_unchanged(with_signed: Dataset) -> None:
    outcome = updates.transition(with_signed, "sign", ["trade", "transport"], entry(), TODAY)
    assert outcome.changed == ["transport"]
    assert outcome.unchanged == ["trade"]
    assert outcome.dataset.roadmap_by_id("trade") == with_signed.roadmap_by_id("trade")


@pytest.mark.parametrize(
    ("name", "expected_error"),
    [("gaz", "did you mean 'gas-market'"), ("unidentified", "ambiguous"), ("40", "1 to 31")],
)
def test_transition_unknown_roadmap_is_refused(
    dataset: Dataset, name: str, expected_error: str
) -> None:
    with pytest.raises(Refused, match=expected_error):
        updates.transition(dataset, "agree", ["customs", name], entry(), TODAY)


# ------------------------------------------------------------------- --force


def test_force_needs_a_note(dataset: Dataset) -> None:
    with pytest.raises(UsageError, match="--note"):
        updates.transition(dataset, "sign", ["gas-market"], entry(), TODAY, force=True)


@pytest.mark.parametrize("rid", ["gas-market", "customs", "transport"])
def test_force_signs_anything_and_records_why(dataset: Dataset, rid: str) -> None:
    outcome = updates.transition(
        dataset, "sign", [rid], entry(note="Signed at the summit."), TODAY, force=True
    )
    event = revalidated(outcome.dataset).roadmap_by_id(rid).history[-1]
    assert event.status is S
    assert event.note.startswith("Signed at the summit.")


def test_force_records_the_condition_it_overrode_not_the_advice(dataset: Dataset) -> None:
    for rid, fact in [
        ("gas-market", "was blocked, not agreed, blocked by gas-price"),
        ("agriculture", "was tied to open condition(s) goods-restrictions"),
    ]:
        outcome = updates.transition(
            dataset, "sign", [rid], entry(note="Signed at the summit."), TODAY, force=True
        )
        event = revalidated(outcome.dataset).roadmap_by_id(rid).history[-1]
        assert event.override is not None and fact in event.override
        assert "unionstate" not in event.override


def test_force_still_checks_the_date(dataset: Dataset) -> None:
    with pytest.raises(Refused, match="in the future"):
        updates.transition(
            dataset,
            "sign",
            ["gas-market"],
            updates.Entry(on=TODAY + dt.timedelta(days=1), note="Why."),
            TODAY,
            force=True,
        )


# --------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("on", "expected_error"),
    [
        (TODAY + dt.timedelta(days=1), "is in the future"),
        (dt.date(2019, 1, 1), r"is before roadmap 8 \(customs\)'s first event \(2019-09-06\)"),
        (dt.date(2021, 5, 26), None),  # the same day as the last event
        (TODAY, None),
    ],
)
def test_transition_dates(dataset: Dataset, on: dt.date, expected_error: str | None) -> None:
    if expected_error:
        with pytest.raises(Refused, match=expected_error):
            updates.transition(dataset, "agree", ["customs"], updates.Entry(on=on), TODAY)
        return
    outcome = updates.transition(dataset, "agree", ["customs"], updates.Entry(on=on), TODAY)
    assert outcome.dataset.roadmap_by_id("customs").history[-1].date.lo == on


@pytest.mark.parametrize(
    ("on", "expected_as_of"),
    [(ON, ON), (dt.date(2021, 5, 27), dt.date(2021, 5, 28))],
)
def test_as_of_moves_forward_never_back(
    dataset: Dataset, on: dt.date, expected_as_of: dt.date
) -> None:
    outcome = updates.transition(dataset, "agree", ["customs"], updates.Entry(on=on), TODAY)
    assert outcome.dataset.as_of == expected_as_of


# --------------------------------------------------------------------- block


def test_block_links_a_condition_not_yet_linked(dataset: Dataset) -> None:
    outcome = updates.transition(
        dataset, "block", ["transport"], entry(), TODAY, condition="goods-restrictions"
    )
    transport = revalidated(outcome.dataset).roadmap_by_id("transport")
    assert transport.linked_conditions == ["goods-restrictions"]
    assert transport.status is B


def test_block_keeps_existing_links_and_adds_the_new_one(dataset: Dataset) -> None:
    outcome = updates.transition(
        dataset, "block", ["oil-market"], entry(), TODAY, condition="gas-price"
    )
    assert outcome.dataset.roadmap_by_id("oil-market").linked_conditions == [
        "tax-manoeuvre-compensation",
        "gas-price",
    ]


@pytest.mark.parametrize(
    ("condition", "error", "expected_error"),
    [
        (None, UsageError, "--condition"),
        ("gas-prise", Refused, "did you mean 'gas-price'"),
        ("resolved-one", Refused, "is resolved"),
    ],
)
def test_block_needs_an_open_condition(
    dataset: Dataset, condition: str | None, error: type[Exception], expected_error: str
) -> None:
    if condition == "resolved-one":
        resolved = updates.resolve_condition(dataset, "gas-price", entry(), TODAY).dataset
        condition, dataset = "gas-price", resolved
    with pytest.raises(error, match=expected_error):
        updates.transition(dataset, "block", ["customs"], entry(), TODAY, condition=condition)


def test_block_condition_id_in_another_case(dataset: Dataset) -> None:
    outcome = updates.transition(
        dataset, "block", ["customs"], entry(), TODAY, condition="Gas-Price"
    )
    assert outcome.dataset.roadmap_by_id("customs").linked_conditions == ["gas-price"]


# ------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("given", "expected_id", "expected_publisher"),
    [
        ("https://www.reuters.com/world/a", "reuters-com-1", "reuters.com"),
        ("http://Eng.BelTA.by/x?y=1", "eng-belta-by-1", "eng.belta.by"),
    ],
)
def test_a_new_url_becomes_a_source_and_is_cited(
    dataset: Dataset, given: str, expected_id: str, expected_publisher: str
) -> None:
    outcome = updates.transition(dataset, "agree", ["customs"], entry(source=given), TODAY)
    after = revalidated(outcome.dataset)
    assert outcome.new_source == expected_id
    assert after.sources[-1].id == expected_id
    assert after.sources[-1].url == given
    assert after.sources[-1].publisher == expected_publisher
    assert len(after.sources) == len(dataset.sources) + 1
    assert after.roadmap_by_id("customs").history[-1].sources == [expected_id]


def test_two_urls_from_one_host_get_distinct_ids(dataset: Dataset) -> None:
    first = updates.transition(
        dataset, "agree", ["customs"], entry(source="https://reuters.com/a"), TODAY
    ).dataset
    second = updates.transition(
        first, "sign", ["customs"], entry(source="https://reuters.com/b"), TODAY
    )
    assert second.new_source == "reuters-com-2"
    assert [s.id for s in second.dataset.sources[-2:]] == ["reuters-com-1", "reuters-com-2"]


@pytest.mark.parametrize("by", ["id", "url"])
def test_a_known_source_is_cited_without_a_new_entry(dataset: Dataset, by: str) -> None:
    known = next(s for s in dataset.sources if s.id == "tass-1295507")
    given = known.id if by == "id" else known.url
    outcome = updates.transition(dataset, "agree", ["customs"], entry(source=given), TODAY)
    assert outcome.new_source is None
    assert outcome.dataset.sources == dataset.sources
    assert outcome.dataset.roadmap_by_id("customs").history[-1].sources == ["tass-1295507"]


def test_an_unknown_source_id_is_refused(dataset: Dataset) -> None:
    with pytest.raises(Refused, match=r"unknown source 'tass-129507'.*did you mean"):
        updates.transition(dataset, "agree", ["customs"], entry(source="tass-129507"), TODAY)


# ------------------------------------------------------------------- resolve


@pytest.mark.parametrize(
    ("condition", "expected_freed"),
    [
        ("gas-price", []),  # gas-market is still tied to tax-manoeuvre-compensation
        ("tax-manoeuvre-compensation", ["taxation", "oil-market"]),
        ("sovereignty", ["supranational-bodies"]),
        ("goods-restrictions", []),  # its roadmaps are agreed, not blocked
    ],
)
def test_resolve_frees_blocked_roadmaps_with_no_other_open_condition(
    dataset: Dataset, condition: str, expected_freed: list[str]
) -> None:
    outcome = updates.resolve_condition(dataset, condition, entry(note="Settled."), TODAY)
    after = revalidated(outcome.dataset)
    assert outcome.changed == [condition]
    assert outcome.freed == expected_freed
    resolved = after.condition_by_id(condition)
    assert resolved.status is ConditionStatus.RESOLVED
    assert (resolved.history[-1].date.lo, resolved.history[-1].note) == (ON, "Settled.")
    for roadmap in after.roadmaps:
        before = dataset.roadmap_by_id(roadmap.id)
        if roadmap.id in expected_freed:
            assert roadmap.status is P
            assert roadmap.history[:-1] == before.history
            assert roadmap.history[-1].date.lo == ON
            assert condition in roadmap.history[-1].note
        else:
            assert roadmap == before
    assert after.as_of == ON


def test_resolving_both_gas_conditions_frees_gas_market(dataset: Dataset) -> None:
    first = updates.resolve_condition(dataset, "gas-price", entry(), TODAY).dataset
    outcome = updates.resolve_condition(first, "tax-manoeuvre-compensation", entry(), TODAY)
    assert outcome.freed == ["taxation", "oil-market", "gas-market"]
    gas = outcome.dataset.roadmap_by_id("gas-market")
    assert gas.status is P
    assert len(gas.history) == len(dataset.roadmap_by_id("gas-market").history) + 1


def test_resolve_an_already_resolved_condition_changes_nothing(dataset: Dataset) -> None:
    resolved = updates.resolve_condition(dataset, "gas-price", entry(), TODAY).dataset
    outcome = updates.resolve_condition(resolved, "GAS-PRICE", entry(), TODAY)
    assert outcome.unchanged == ["gas-price"]
    assert outcome.changed == []
    assert outcome.dataset is resolved


@pytest.mark.parametrize(
    ("name", "on", "expected_error"),
    [
        ("gas-prise", ON, "did you mean 'gas-price'"),
        ("gas-price", dt.date(2019, 1, 1), "before condition gas-price's first event"),
        ("gas-price", TODAY + dt.timedelta(days=1), "in the future"),
    ],
)
def test_resolve_refusals(dataset: Dataset, name: str, on: dt.date, expected_error: str) -> None:
    with pytest.raises(Refused, match=expected_error):
        updates.resolve_condition(dataset, name, updates.Entry(on=on), TODAY)


def test_resolve_before_a_later_block_is_refused(
    minimal_data: dict[str, Any],
) -> None:
    """gas-price was raised 2019-09-06 but gas-market was blocked by it on 2019-12-20."""
    dataset = checks.validate(minimal_data)
    with pytest.raises(
        Refused,
        match=r"roadmap 1 \(gas-market\): its later event of 2019-12-20 leaves it blocked, "
        r"but none of its conditions is open then",
    ):
        updates.resolve_condition(
            dataset, "gas-price", updates.Entry(on=dt.date(2019, 10, 1)), TODAY
        )
