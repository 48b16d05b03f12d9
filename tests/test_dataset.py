"""The shipped record says what the fact sheet says: from the 31 roadmaps of 2019 to 2026.

These tests check claims the data makes about itself (every comparable count either fits
the record or says why not; every URL is the fact sheet's; the TASS state of 28 May 2021
is one --as-of away), not today's counts copied into the test.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from unionstate import queries, store
from unionstate.models import ConditionStatus, Dataset, RoadmapStatus

ROOT = Path(__file__).resolve().parent.parent
FACT_SHEET = ROOT.parent / "shared" / "reference" / "union-state-facts.md"
TASS_DAY = dt.date(2021, 5, 28)


@pytest.fixture(scope="module")
def shipped() -> Dataset:
    path = ROOT / "data" / "roadmaps.yaml"
    assert path.is_file(), f"{path} is missing"
    return store.load(path)


def test_there_are_31_roadmaps_and_28_programs(shipped: Dataset) -> None:
    assert [r.number for r in shipped.roadmaps] == list(range(1, 32))
    assert [p.number for p in shipped.programs] == list(range(1, 29))


def test_it_reaches_the_latest_fact_and_the_tass_report_is_one_as_of_away(
    shipped: Dataset,
) -> None:
    assert shipped.as_of > dt.date(2026, 1, 1)
    then = {row.roadmap.id: row.label for row in queries.states(shipped, TASS_DAY)}
    assert "signed" not in then.values()
    for still_open in ("taxation", "customs", "oil-market", "gas-market"):
        assert then[still_open] in ("pending", "blocked"), still_open
    assert then["supranational-bodies"] == "set-aside"
    assert queries.states(shipped, TASS_DAY, shipped.programs) == []  # not yet recorded


def test_every_fact_cites_a_known_source(shipped: Dataset) -> None:
    known = {s.id for s in shipped.sources}
    cited: list[list[str]] = [c.sources for c in shipped.conditions]
    cited += [m.sources for m in shipped.milestones]
    cited += [e.sources for r in shipped.documents for e in r.history]
    cited += [e.sources for c in shipped.conditions for e in c.history]
    assert all(ids for ids in cited), "every shipped fact has at least one source"
    assert {i for ids in cited for i in ids} <= known


def test_every_comparable_count_fits_the_record_or_says_why_not(shipped: Dataset) -> None:
    checked = [queries.compare_milestone(shipped, m) for m in shipped.milestones]
    comparable = [c for c in checked if c.comparable]
    assert any(c.milestone.date.text == "2019-12-07" for c in comparable)
    for comparison in comparable:
        if not comparison.consistent:
            assert "Not consistent" in comparison.milestone.note, comparison.milestone.reported


def test_the_count_of_7_december_2019_is_consistent(shipped: Dataset) -> None:
    """ "8 of 31 not agreed": which 23 were agreed that day is unknown, and the view says so."""
    seven_dec = next(m for m in shipped.milestones if m.date.text == "2019-12-07")
    assert (str(seven_dec.agreed), str(seven_dec.open), seven_dec.total) == ("23", "8", 31)
    comparison = queries.compare_milestone(shipped, seven_dec)
    assert comparison.consistent and comparison.undetermined > 0


def test_roadmap_31_is_set_aside_and_says_what_is_inference(shipped: Dataset) -> None:
    supranational = shipped.roadmap_by_id("supranational-bodies")
    assert supranational.status is RoadmapStatus.SET_ASIDE
    assert supranational.number == 31
    assert "Sourced:" in supranational.notes and "Not sourced:" in supranational.notes
    assert supranational.linked_conditions == []


def test_programs_mark_every_succession_and_confirm_only_sourced_titles(
    shipped: Dataset,
) -> None:
    roadmaps = {r.id for r in shipped.roadmaps}
    for program in shipped.programs:
        assert set(program.succeeds) <= roadmaps
        assert (program.succession is None) == (not program.succeeds), program.id
    assert sum(p.title_confirmed for p in shipped.programs) == 2
    assert any(not p.succeeds for p in shipped.programs)


def test_a_forced_update_says_why(shipped: Dataset) -> None:
    """Where a program was signed while a linked condition stayed open, the event says which
    rule it overrode (`override`), and no note carries the CLI's words."""
    open_then = {c.id for c in shipped.conditions if c.status is ConditionStatus.OPEN}
    for program in shipped.programs:
        signed = [e for e in program.history if e.status is RoadmapStatus.SIGNED]
        if signed and open_then & set(program.linked_conditions):
            assert signed[0].override and "tied to open condition" in signed[0].override
        assert "--force" not in program.notes + " ".join(e.note for e in program.history)


def test_the_gaps_stay_visible(shipped: Dataset) -> None:
    questions = " ".join(q.question for q in shipped.open_questions).lower()
    for gap in ("russian gas", "which 2019 roadmap", "26 feb 2026"):
        assert gap in questions
    gas = shipped.condition_by_id("gas-price")
    assert gas.status is ConditionStatus.OPEN


def test_implementation_figures_keep_the_officials_wording(shipped: Dataset) -> None:
    figures = [m for m in shipped.milestones if m.unit in queries.IMPLEMENTATION_UNITS]
    assert any(m.percent == 94 for m in figures)
    assert any(str(m.done) == "101" and m.total == 112 for m in figures)
    assert all(re.search(r"\d", m.reported) for m in figures)


@pytest.mark.skipif(not FACT_SHEET.exists(), reason="shared/reference is not beside the repo")
def test_every_url_is_copied_exactly_from_the_fact_sheet(shipped: Dataset) -> None:
    """From the fact sheet, the TASS report or the reference on 2022–2026, character for
    character (a URL near one of them is still not one of them)."""
    references = (
        "union-state-facts.md",
        "tass-2021-05-28-integration-not-rushed.txt",
        "implementation-2022-2026.md",
    )
    text = "\n".join((FACT_SHEET.parent / name).read_text(encoding="utf-8") for name in references)
    addresses = {a.rstrip(".,)") for a in re.findall(r"https?://[^\s|;]+", text)}
    assert [s.url for s in shipped.sources if s.url not in addresses] == []
