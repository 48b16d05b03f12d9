"""Back-filling: an update dated before a record's last event goes in date order.

On a copy of the frozen record of 28 May 2021: the event lands between its neighbours,
the record's status is that of its (unchanged) last event, and an event that a later one
cannot follow is refused with a line naming that later event, the file unchanged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import invoke
from typer.testing import Result

from unionstate import store, updates
from unionstate.errors import Refused
from unionstate.models import ConditionStatus, RoadmapStatus

SHIPPED = Path(__file__).resolve().parent / "data" / "record-2021-05-28.yaml"  # frozen
TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def dataset() -> store.Dataset:
    return store.load(SHIPPED)


def test_a_backfilled_reopen_goes_between_its_neighbours_and_the_status_stays(
    dataset: store.Dataset,
) -> None:
    """The issue's example: `reopen foreign-trade --on 2020-01-15` (it was agreed again
    by ~2021-05-26, so its status stays agreed)."""
    entry = updates.Entry(on=dt.date(2020, 1, 15), note="Reopened (test).")
    outcome = updates.transition(dataset, "reopen", ["foreign-trade"], entry, TODAY)
    roadmap = outcome.dataset.roadmap_by_id("foreign-trade")
    assert [(e.date.text, e.status) for e in roadmap.history[2:]] == [
        ("2019-12-20", RoadmapStatus.AGREED),
        ("2020-01-15", RoadmapStatus.PENDING),
        ("~2021-05-26", RoadmapStatus.AGREED),
    ]
    assert roadmap.status is RoadmapStatus.AGREED
    assert outcome.backfilled == {"foreign-trade": roadmap.history[4].date}
    assert outcome.dataset.as_of == dataset.as_of  # an earlier event says nothing newer


def test_a_backfilled_event_must_follow_the_status_of_its_day(dataset: store.Dataset) -> None:
    """taxation was blocked on 2020-06-01: it cannot be signed that day."""
    entry = updates.Entry(on=dt.date(2020, 6, 1))
    with pytest.raises(Refused, match=r"was blocked on 2020-06-01; `sign` applies only to"):
        updates.transition(dataset, "sign", ["taxation"], entry, TODAY)


def test_a_backfilled_resolution_frees_what_it_held_up_that_day(dataset: store.Dataset) -> None:
    """tax-manoeuvre-compensation resolved in March 2020 frees taxation then; its later
    events (blocked again by June 2020) keep its status."""
    entry = updates.Entry(on="2020-03")
    outcome = updates.resolve_condition(dataset, "tax-manoeuvre-compensation", entry, TODAY)
    condition = next(c for c in outcome.dataset.conditions if c.id == entry_id(outcome))
    assert ConditionStatus.RESOLVED in [e.status for e in condition.history]
    assert condition.status is condition.history[-1].status
    assert "taxation" in outcome.freed
    taxation = outcome.dataset.roadmap_by_id("taxation")
    freed = [e for e in taxation.history if e.date.text == "2020-03"]
    assert [e.status for e in freed] == [RoadmapStatus.PENDING]
    assert taxation.status is RoadmapStatus.BLOCKED  # its last event's


def run(data: Path, *args: str) -> Result:
    return invoke("--data", str(data), *args)


def entry_id(outcome: updates.Outcome) -> str:
    return outcome.changed[0]


def test_cli_backfill_says_what_the_record_is_now_and_writes(data: Path) -> None:
    result = run(data, "reopen", "foreign-trade", "--on", "2020-01-15")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "roadmap 9 (foreign-trade): pending on 2020-01-15 "
        "(back-filled before its event of ~2021-05-26; now agreed)\n"
    )
    roadmap = store.load(data).roadmap_by_id("foreign-trade")
    assert [e.date.text for e in roadmap.history].index("2020-01-15") == 3
    shown = run(data, "show", "foreign-trade", "--as-of", "2020-02-01", "--json")
    assert '"status": "pending"' in shown.stdout


def test_cli_backfill_refused_names_the_later_event_and_leaves_the_file(data: Path) -> None:
    """transport signed on 2021-05-25 cannot be followed by its ~2021-05-26 'agreed'."""
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", "2021-05-25")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "roadmap 21 (transport): its later event of ~2021-05-26 leaves it agreed" in (
        result.stderr
    )
    assert data.read_bytes() == before
