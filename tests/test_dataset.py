"""The shipped dataset says what the record says, as of the TASS report of 2021-05-28."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from unionstate import store
from unionstate.models import ConditionStatus, Dataset, RoadmapStatus

ROOT = Path(__file__).resolve().parent.parent
FACT_SHEET = ROOT.parent / "shared" / "reference" / "union-state-facts.md"


@pytest.fixture(scope="module")
def shipped() -> Dataset:
    return store.load(ROOT / "data" / "roadmaps.yaml")


def test_it_stands_on_the_day_of_the_tass_report(shipped: Dataset) -> None:
    assert shipped.as_of == dt.date(2021, 5, 28)
    tass = {s.url: s for s in shipped.sources}["https://tass.com/politics/1295507"]
    assert tass.date == dt.date(2021, 5, 28)


def test_there_are_31_roadmaps_numbered_1_to_31(shipped: Dataset) -> None:
    assert [r.number for r in shipped.roadmaps] == list(range(1, 32))
    assert len({r.id for r in shipped.roadmaps}) == 31


def test_every_event_condition_and_milestone_cites_a_known_source(shipped: Dataset) -> None:
    known = {s.id for s in shipped.sources}
    cited: list[list[str]] = [c.sources for c in shipped.conditions]
    cited += [m.sources for m in shipped.milestones]
    cited += [e.sources for r in shipped.roadmaps for e in r.history]
    cited += [e.sources for c in shipped.conditions for e in c.history]
    assert all(ids for ids in cited), "every shipped fact has at least one source"
    assert {i for ids in cited for i in ids} <= known


def test_nothing_is_signed_and_the_maps_named_open_are_unresolved(shipped: Dataset) -> None:
    by_id = {r.id: r for r in shipped.roadmaps}
    assert not [r.id for r in shipped.roadmaps if r.status is RoadmapStatus.SIGNED]
    unresolved = {
        r.id for r in shipped.roadmaps if r.status in {RoadmapStatus.PENDING, RoadmapStatus.BLOCKED}
    }
    assert unresolved == {"taxation", "customs", "oil-market", "gas-market", "supranational-bodies"}
    assert "gas-price" in by_id["gas-market"].linked_conditions
    assert by_id["supranational-bodies"].number == 31
    assert by_id["supranational-bodies"].linked_conditions == ["sovereignty"]


def test_the_four_conditions_are_open(shipped: Dataset) -> None:
    assert {c.id: c.status for c in shipped.conditions} == {
        "gas-price": ConditionStatus.OPEN,
        "tax-manoeuvre-compensation": ConditionStatus.OPEN,
        "goods-restrictions": ConditionStatus.OPEN,
        "sovereignty": ConditionStatus.OPEN,
    }
    gas = next(c for c in shipped.conditions if c.id == "gas-price")
    assert "$127" in gas.description and "$128.5" in gas.description


def test_customs_records_both_reports_and_explains_its_status(shipped: Dataset) -> None:
    customs = next(r for r in shipped.roadmaps if r.id == "customs")
    statuses = [(e.date.text, e.status.value) for e in customs.history]
    assert ("2019-12-20", "agreed") in statuses
    assert customs.history[-1].date.first.year == 2021 and "tax-customs" in customs.history[-1].note
    assert "tax-customs" in customs.notes


def test_a_status_known_only_from_a_count_says_it_is_inferred(shipped: Dataset) -> None:
    named = {
        "gas-market",
        "oil-market",
        "taxation",
        "customs",
        "electricity",
        "agriculture",
        "communications",
        "alcohol-trade",
        "monetary-policy",
        "supranational-bodies",
    }
    for roadmap in shipped.roadmaps:
        if roadmap.id in named:
            continue
        agreed = [e for e in roadmap.history if e.status is RoadmapStatus.AGREED]
        assert agreed and all(e.note.startswith("Inferred") for e in agreed), roadmap.id


def test_only_roadmaps_a_source_names_have_confirmed_titles(shipped: Dataset) -> None:
    confirmed = {r.id for r in shipped.roadmaps if r.title_confirmed}
    assert confirmed == {
        "taxation",
        "customs",
        "oil-market",
        "gas-market",
        "electricity",
        "agriculture",
        "alcohol-trade",
        "communications",
        "supranational-bodies",
    }


def test_milestones_keep_the_reported_wording(shipped: Dataset) -> None:
    reported = [m.reported for m in shipped.milestones]
    assert "28.5 of 30" in reported
    assert any("6–7" in text for text in reported)
    seven_dec = next(m for m in shipped.milestones if m.date.text == "2019-12-07")
    assert (seven_dec.agreed, seven_dec.open, seven_dec.total) == (23, 8, 31)


@pytest.mark.skipif(not FACT_SHEET.exists(), reason="shared/reference is not beside the repo")
def test_every_url_is_copied_exactly_from_the_fact_sheet(shipped: Dataset) -> None:
    text = FACT_SHEET.read_text(encoding="utf-8")
    text += (FACT_SHEET.parent / "tass-2021-05-28-integration-not-rushed.txt").read_text(
        encoding="utf-8"
    )
    assert [s.url for s in shipped.sources if s.url not in text] == []
