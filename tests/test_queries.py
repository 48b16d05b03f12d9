"""Pure reads, called without a terminal: naming, past states, filters, ranking, timeline, summary.

Most cases run on the shipped dataset (read only); where a hand-made state is clearer they
run on the small dataset from conftest.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from unionstate import checks, queries, store
from unionstate.errors import Refused
from unionstate.models import ConditionStatus, Dataset, RoadmapStatus

SHIPPED = Path(__file__).resolve().parent / "data" / "record-2021-05-28.yaml"  # frozen
P, A, B, S = (
    RoadmapStatus.PENDING,
    RoadmapStatus.AGREED,
    RoadmapStatus.BLOCKED,
    RoadmapStatus.SIGNED,
)
UNRESOLVED = ["taxation", "customs", "oil-market", "gas-market", "supranational-bodies"]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """The shipped dataset, loaded once (never written)."""
    return store.load(SHIPPED)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ids_of(rows: list[queries.RoadmapState]) -> list[str]:
    return [row.roadmap.id for row in rows]


def by_status(**counts: int) -> dict[str, int]:
    """Counts for every status a view shows (zero where not given): by_status(agreed=3)."""
    return {s: counts.get(s.replace("-", "_"), 0) for s in queries.STATUSES}


# ---------------------------------------------------------------------- naming


@pytest.mark.parametrize(
    ("name", "expected_id", "expected_error"),
    [
        ("14", "gas-market", None),
        (" 14 ", "gas-market", None),
        ("gas-market", "gas-market", None),
        ("GAS-MARKET", "gas-market", None),
        ("gas", "gas-market", None),
        ("oil", "oil-market", None),
        ("supra", "supranational-bodies", None),
        ("1", "macroeconomic-policy", None),
        ("31", "supranational-bodies", None),
        ("unidentified", None, "is ambiguous: it could be unidentified-27, unidentified-28"),
        ("c", None, "is ambiguous"),
        ("gaz", None, "did you mean 'gas-market'"),
        ("0", None, "numbers run from 1 to 31"),
        ("32", None, "numbers run from 1 to 31"),
        ("", None, "unknown roadmap ''"),
        ("gas-market-2", None, "unknown roadmap 'gas-market-2'"),
    ],
)
def test_find_roadmap(
    dataset: Dataset, name: str, expected_id: str | None, expected_error: str | None
) -> None:
    if expected_error is None:
        assert queries.find_roadmap(dataset, name).id == expected_id
    else:
        with pytest.raises(Refused, match=expected_error):
            queries.find_roadmap(dataset, name)


@pytest.mark.parametrize(
    ("name", "expected_id", "expected_error"),
    [
        ("gas-price", "gas-price", None),
        ("Gas-Price", "gas-price", None),
        ("sovereignty", "sovereignty", None),
        ("gas", None, "did you mean 'gas-price'"),
        ("soverignty", None, "did you mean 'sovereignty'"),
        ("zzz", None, "known: gas-price, tax-manoeuvre-compensation"),
    ],
)
def test_find_condition(
    dataset: Dataset, name: str, expected_id: str | None, expected_error: str | None
) -> None:
    if expected_error is None:
        assert queries.find_condition(dataset, name).id == expected_id
    else:
        with pytest.raises(Refused, match=expected_error):
            queries.find_condition(dataset, name)


# ------------------------------------------------------------------- states


def test_current_states_follow_each_roadmaps_status(dataset: Dataset) -> None:
    rows = queries.states(dataset)
    assert ids_of(rows) == [r.id for r in dataset.roadmaps]
    for row in rows:
        assert row.status is row.roadmap.status
        assert row.last_event == row.roadmap.history[-1].date
    gas = next(row for row in rows if row.roadmap.id == "gas-market")
    assert gas.open_conditions == ("gas-price", "tax-manoeuvre-compensation")
    agriculture = next(row for row in rows if row.roadmap.id == "agriculture")
    assert agriculture.open_conditions == ("goods-restrictions",)


@pytest.mark.parametrize(
    ("when", "roadmap", "expected"),
    [
        ("2019-09-05", "gas-market", None),  # before the list was approved: left out
        ("2019-09-06", "gas-market", P),
        ("2019-12-19", "gas-market", P),
        ("2019-12-20", "gas-market", B),
        ("2021-05-28", "gas-market", B),
        ("2019-12-06", "customs", P),
        ("2019-12-07", "customs", A),
        ("2019-12-31", "customs", A),
        ("2021-05-25", "customs", A),
        ("2021-05-26", "customs", P),
        ("2019-11-01", "monetary-policy", A),
        ("2019-10-31", "monetary-policy", P),
        ("2019-12-07", "supranational-bodies", B),
    ],
)
def test_states_on_past_dates(
    dataset: Dataset, when: str, roadmap: str, expected: RoadmapStatus | None
) -> None:
    rows = {row.roadmap.id: row for row in queries.states(dataset, day(when))}
    if expected is None:
        assert roadmap not in rows
        return
    assert rows[roadmap].status is expected
    assert rows[roadmap].last_event.last <= day(when)


@pytest.mark.parametrize(
    ("when", "expected_counts"),
    [
        ("2019-08-31", {}),
        ("2019-09-06", {P: 31}),
        ("2019-11-30", {P: 30, A: 1}),
        ("2019-12-31", {A: 27, B: 4}),
        ("2021-05-28", {P: 1, A: 26, B: 4}),
    ],
)
def test_states_counts_on_past_dates(
    dataset: Dataset, when: str, expected_counts: dict[RoadmapStatus, int]
) -> None:
    rows = queries.states(dataset, day(when))
    assert Counter(row.status for row in rows) == Counter(expected_counts)


def test_open_conditions_on_a_past_date_use_the_conditions_status_then(
    minimal_data: dict[str, Any],
) -> None:
    """gas-price is resolved in 2020; on a 2019 date it is still open for gas-market."""
    minimal_data["conditions"][0]["status"] = "resolved"
    minimal_data["conditions"][0]["history"].append(
        {"date": "2020-06-01", "status": "resolved", "note": "Deal.", "sources": []}
    )
    minimal_data["roadmaps"][0]["status"] = "pending"
    minimal_data["roadmaps"][0]["history"].append(
        {"date": "2020-06-01", "status": "pending", "note": "Unblocked.", "sources": []}
    )
    dataset = checks.validate(minimal_data)
    then = {r.roadmap.id: r for r in queries.states(dataset, day("2019-12-31"))}
    now = {r.roadmap.id: r for r in queries.states(dataset)}
    assert then["gas-market"].open_conditions == ("gas-price",)
    assert then["gas-market"].status is B
    assert now["gas-market"].open_conditions == ()
    assert now["gas-market"].status is P


# ------------------------------------------------------------------- select


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, None),  # everything
        ({"unresolved": True}, [*UNRESOLVED[:4], "agriculture", "veterinary", UNRESOLVED[4]]),
        ({"statuses": [P]}, ["customs"]),
        ({"statuses": [P, B]}, UNRESOLVED),
        ({"statuses": [S]}, []),
        ({"sphere": "Energy"}, ["oil-market", "gas-market", "electricity"]),
        ({"sphere": "energy", "statuses": [A]}, ["electricity"]),
        ({"sphere": "customs"}, None),  # computed below: the 'tax, customs, …' sphere
        ({"condition": "gas-price"}, ["gas-market"]),
        ({"condition": "goods-restrictions"}, ["agriculture", "veterinary"]),
        # agreed, but tied to an open demand: unresolved
        ({"condition": "goods-restrictions", "unresolved": True}, ["agriculture", "veterinary"]),
        ({"search": "roaming"}, ["communications"]),
        ({"search": "COUNTER-SANCTIONS"}, ["special-economic-measures"]),
        ({"search": "semashko"}, ["taxation", "customs", "electricity"]),  # notes only
        ({"search": "gas", "unresolved": True}, ["oil-market", "gas-market"]),
    ],
)
def test_select(dataset: Dataset, filters: dict[str, Any], expected: list[str] | None) -> None:
    rows = queries.select(queries.states(dataset), **filters)
    if expected is None:
        sphere = filters.get("sphere", "")
        expected = [r.id for r in dataset.roadmaps if sphere.lower() in r.sphere.lower()]
    assert ids_of(rows) == expected


def test_select_search_covers_title_and_notes_case_insensitively(dataset: Dataset) -> None:
    word = "kommersant"
    expected = [r.id for r in dataset.roadmaps if word in f"{r.title} {r.notes}".lower()]
    assert expected  # the word is in the data
    assert ids_of(queries.select(queries.states(dataset), search=word.upper())) == expected


def test_select_on_a_past_state(dataset: Dataset) -> None:
    rows = queries.states(dataset, day("2019-12-31"))
    assert ids_of(queries.select(rows, statuses=[P])) == []
    assert "customs" in ids_of(queries.select(rows, statuses=[A]))


# --------------------------------------------------------------- conditions


def test_condition_reports_are_ranked_by_unresolved_roadmaps_held_up(dataset: Dataset) -> None:
    reports = queries.condition_reports(dataset)
    assert [(r.condition.id, r.blocks) for r in reports] == [
        ("tax-manoeuvre-compensation", ("taxation", "oil-market", "gas-market")),
        # its roadmaps are agreed, but it keeps them unresolved
        ("goods-restrictions", ("agriculture", "veterinary")),
        ("gas-price", ("gas-market",)),
        ("sovereignty", ("supranational-bodies",)),
    ]
    assert reports[1].because == {
        "agriculture": ("open-condition",),
        "veterinary": ("open-condition",),
    }
    goods = reports[1]
    assert goods.roadmaps == ("agriculture", "veterinary")
    assert all(r.status == ConditionStatus.OPEN.value for r in reports)


def test_condition_reports_put_resolved_conditions_after_open_ones(
    minimal_data: dict[str, Any],
) -> None:
    minimal_data["conditions"].append(
        {
            "id": "aaa-resolved",
            "title": "Resolved first in the file",
            "description": "",
            "status": "resolved",
            "history": [{"date": "2019-09-06", "status": "resolved", "note": "Done."}],
        }
    )
    minimal_data["conditions"].append(
        {
            "id": "zzz-open",
            "title": "Open, holding up nothing",
            "description": "",
            "status": "open",
            "history": [{"date": "2019-09-06", "status": "open", "note": "Raised."}],
        }
    )
    minimal_data["conditions"].insert(0, minimal_data["conditions"].pop(1))
    reports = queries.condition_reports(checks.validate(minimal_data))
    assert [r.condition.id for r in reports] == ["gas-price", "zzz-open", "aaa-resolved"]


def test_condition_reports_on_a_past_date_leave_out_conditions_not_yet_raised(
    dataset: Dataset,
) -> None:
    reports = queries.condition_reports(dataset, day("2018-12-31"))
    assert [r.condition.id for r in reports] == ["sovereignty"]
    assert reports[0].blocks == ()  # no roadmap existed yet
    reports = queries.condition_reports(dataset, day("2019-12-31"))
    assert reports[0].condition.id == "tax-manoeuvre-compensation"
    assert len(reports[0].blocks) == 3


# ---------------------------------------------------------------- timeline


def test_timeline_has_every_event_oldest_first(dataset: Dataset) -> None:
    events = queries.timeline(dataset)
    expected = (
        sum(len(r.history) for r in dataset.roadmaps)
        + sum(len(c.history) for c in dataset.conditions)
        + len(dataset.milestones)
    )
    assert len(events) == expected
    windows = [(e.date.first, e.date.last) for e in events]
    assert windows == sorted(windows)
    assert Counter(e.kind for e in events) == {
        "roadmap": sum(len(r.history) for r in dataset.roadmaps),
        "condition": sum(len(c.history) for c in dataset.conditions),
        "milestone": len(dataset.milestones),
    }


def test_timeline_within_a_day_keeps_each_history_in_order(dataset: Dataset) -> None:
    events = queries.timeline(dataset)
    for roadmap in dataset.roadmaps:
        own = [(e.date, e.status, e.note) for e in events if e.subject == roadmap.id]
        assert own == [(e.date, e.status.value, e.note) for e in roadmap.history]


def test_timeline_of_one_roadmap(dataset: Dataset) -> None:
    gas = dataset.roadmap_by_id("gas-market")
    events = queries.timeline(dataset, gas)
    assert {(e.kind, e.subject) for e in events} == {("roadmap", "gas-market")}
    assert [e.date for e in events] == [e.date for e in gas.history]
    assert events[-1].sources == tuple(gas.history[-1].sources)


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2021-05-26", None),
        (None, "2019-09-06"),
        ("2019-12-07", "2019-12-20"),
        ("2019-12-21", "2019-12-21"),  # no event that day
        ("2022-01-01", None),
    ],
)
def test_timeline_bounds_are_inclusive(dataset: Dataset, since: str | None, until: str | None):
    lo = day(since) if since else None
    hi = day(until) if until else None
    events = queries.timeline(dataset, since=lo, until=hi)
    expected = [
        e
        for e in queries.timeline(dataset)
        if (lo is None or e.date.last >= lo) and (hi is None or e.date.first <= hi)
    ]
    assert events == expected
    assert all(
        (lo is None or e.date.last >= lo) and (hi is None or e.date.first <= hi) for e in events
    )


def test_timeline_bounds_include_events_on_the_boundary_days(dataset: Dataset) -> None:
    events = queries.timeline(dataset, since=day("2019-12-07"), until=day("2019-12-20"))
    dates = {e.date.lo for e in events}
    assert day("2019-12-07") in dates
    assert day("2019-12-20") in dates


# ----------------------------------------------------------------- summary


def test_summarise_counts_now(dataset: Dataset) -> None:
    summary = queries.summarise(dataset)
    assert summary.as_of == dataset.as_of == day("2021-05-28")
    assert summary.total == 31
    assert summary.by_status == by_status(pending=1, agreed=26, blocked=4)
    assert summary.by_status == {
        s: sum(1 for r in dataset.roadmaps if r.status.value == s) for s in queries.STATUSES
    }
    assert sum(sum(counts.values()) for _, counts in summary.by_sphere) == 31
    spheres = dict(summary.by_sphere)
    assert spheres["energy"] == by_status(agreed=1, blocked=2)
    assert spheres["political"] == by_status(blocked=1)


@pytest.mark.parametrize(
    ("when", "expected_total", "expected"),
    [
        ("2019-12-31", 31, by_status(agreed=27, blocked=4)),
        ("2019-09-06", 31, by_status(pending=31)),
        ("2018-01-01", 0, by_status()),
    ],
)
def test_summarise_on_a_past_date(
    dataset: Dataset, when: str, expected_total: int, expected: dict[str, int]
) -> None:
    summary = queries.summarise(dataset, day(when))
    assert summary.as_of == day(when)
    assert summary.total == expected_total
    assert summary.by_status == expected
    assert all(c.milestone.date.first <= day(when) for c in summary.milestones)
    assert all(e.date.first <= day(when) for e in summary.latest)


def test_summarise_latest_events_are_newest_first_and_not_milestones(dataset: Dataset) -> None:
    summary = queries.summarise(dataset, latest=3)
    assert len(summary.latest) == 3
    assert all(e.kind != "milestone" for e in summary.latest)
    assert [e.date.first for e in summary.latest] == sorted(
        (e.date.first for e in summary.latest), reverse=True
    )
    assert summary.latest[0].date.lo == day("2021-05-28")


def test_summarise_compares_official_counts_with_the_datasets_own(dataset: Dataset) -> None:
    summary = queries.summarise(dataset)
    assert len(summary.milestones) == len(dataset.milestones)
    by_date = {c.milestone.date.text: c for c in summary.milestones}
    oreshkin = by_date["2019-12-20"]  # "all agreed except oil, gas and taxation": no count
    assert (oreshkin.comparable, oreshkin.consistent) == (False, None)
    semashko = by_date["2019-12-07"]  # "8 of 31 not agreed": 23 agreed, 8 open
    assert semashko.comparable
    assert (semashko.listed, semashko.known_agreed, semashko.known_open) == (31, 2, 29)
    assert semashko.consistent is False  # this frozen record dates no roadmap window
    before_list = by_date["2019-08-23"]
    assert before_list.comparable is False


CLASS_SETS = [
    {"agreed"},
    {"open"},
    {"neither"},
    {"agreed", "open"},
    {"agreed", "neither"},
    {"open", "neither"},
    {"agreed", "open", "neither"},
]


def test_a_count_is_consistent_exactly_when_some_reading_of_the_records_makes_it() -> None:
    """The summary's verdict on an agreed/open count equals trying every way the records
    the record leaves open could stand (7,000 small cases, ranges and single numbers)."""
    import itertools
    import random

    from unionstate.models import Amount

    rng = random.Random(2026)
    amounts = [None, *(Amount.parse(t) for t in (0, 2, 3, "1..2", "2..", "..1", 4))]
    for _ in range(7000):
        choices = [rng.choice(CLASS_SETS) for _ in range(rng.randint(0, 5))]
        agreed, open_ = rng.choice(amounts), rng.choice(amounts)
        tried = any(
            (agreed is None or agreed.allows(a := picks.count("agreed"), a))
            and (open_ is None or open_.allows(o := picks.count("open"), o))
            for picks in itertools.product(*choices)
        )
        group = Counter(frozenset(c) for c in choices)
        assert queries._consistent(group, agreed, open_) is tried, (choices, agreed, open_)
