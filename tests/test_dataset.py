"""The shipped record says what the fact sheet says: from the 31 roadmaps of 2019 to 2026.

These tests check claims the data makes about itself (every comparable count either fits
the record or says why not; every URL is the fact sheet's; the TASS state of 28 May 2021
is one --as-of away), not today's counts copied into the test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from conftest import invoke

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


@pytest.fixture
def shipped_path(tmp_path: Path) -> Path:
    """A copy of the shipped record (the CLI reads it; nothing may write the real one)."""
    path = tmp_path / "roadmaps.yaml"
    path.write_bytes((ROOT / "data" / "roadmaps.yaml").read_bytes())
    return path


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
    # RBC counted 28 programs just before (26 ready, 2 open), without naming them: on the
    # TASS day none is surely agreed, and the gas program is open.
    programs = {row.roadmap.id: row for row in queries.states(shipped, TASS_DAY, shipped.programs)}
    assert len(programs) == 28
    assert programs["program-gas-market"].label == "pending"
    assert {row.label for row in programs.values()} == {"pending", "undetermined"}


def test_the_2021_counts_of_programs_are_checked_not_skipped(shipped: Dataset) -> None:
    """RBC's 26 of 28 (late May) and Lukyanov's 27 of 28 (10 Jun) name no program: the record
    lists the programs by then, agreed no later than 9 Aug 2021, so the counts fit."""
    for reported in ("26 of 28 programs ready", "27 of 28 close to finished"):
        (count,) = [m for m in shipped.milestones if m.reported.startswith(reported)]
        comparison = queries.compare_milestone(shipped, count)
        assert comparison.comparable and comparison.consistent, reported
        assert comparison.listed == 28 and comparison.undetermined == 27


def test_the_counts_of_february_2021_are_compared_and_explained(shipped: Dataset) -> None:
    """REGNUM's undated "24 of 31 agreed, 7 open" fits the record only late in 2019;
    Lukashenko's "6–7 left" of 22 Feb 2021 contradicts it, and its note says why."""
    regnum = next(m for m in shipped.milestones if m.speaker == "REGNUM")
    checked = queries.compare_milestone(shipped, regnum)
    assert checked.consistent and checked.on is not None
    assert checked.on == dt.date(2019, 12, 19)  # the day before Oreshkin's "all but three"
    sochi = next(m for m in shipped.milestones if m.date.text == "2021-02-22")
    assert (sochi.unit, str(sochi.open)) == ("roadmaps", "6–7")
    verdict = queries.compare_milestone(shipped, sochi)
    assert verdict.comparable and not verdict.consistent
    assert "Not consistent" in sochi.note and "reopened" in sochi.note


def test_semashkos_count_names_the_two_roadmaps_in_question(shipped: Dataset) -> None:
    """ "28.5 of 30": with gas the open map, one of taxation and oil was agreed; the record
    keeps both open, and says why, not which."""
    read = [m for m in shipped.milestones if m.members == ["taxation", "oil-market"]]
    assert [m.date.text for m in read] == ["2020-06-04", "~2020-09-29"]
    for count in read:
        assert queries.compare_milestone(shipped, count).consistent is False
        assert "Not consistent" in count.note and "no source says which" in count.note


def test_the_consistent_checks_made_from_their_own_statement_say_so(shipped: Dataset) -> None:
    circular = [m for m in shipped.milestones if m.date.text in ("2021-08-09", "2021-09-09")]
    assert len(circular) == 2
    assert all("by construction" in m.note for m in circular)
    assert all("vesti-29-programs" not in m.sources for m in shipped.milestones)


def test_list_directions_shows_the_three_main_directions(shipped_path: Path) -> None:
    result = invoke("--data", str(shipped_path), "list", "--directions", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["directions-2021-2023", "directions-2024-2026", "directions-2027-2029"]
    assert [rows[i]["status"] for i in rows] == ["signed", "signed", "pending"]
    plain = invoke("--data", str(shipped_path), "list", "--directions").stdout.splitlines()
    assert [line.split("\t")[0] for line in plain[1:]] == ["1", "2", "3"]


def test_show_d2_gives_125_of_310_with_its_assessor_side_and_date(shipped_path: Path) -> None:
    on_terminal = invoke(
        "--data", str(shipped_path), "--no-pager", "show", "D2",
        env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "120"},
    ).stdout  # fmt: skip
    assert "Lukashenko (belarus): 125 of 310 measures, 40%, 14 late, 2026-02-26" in (
        " ".join(on_terminal.replace("│", " ").split())
    )
    shown = json.loads(invoke("--data", str(shipped_path), "show", "D2", "--json").stdout)
    latest = shown["implementation"][-1]
    assert (latest["done"], latest["total"], latest["late"]) == (125, 310, 14)
    assert (latest["assessor"], latest["side"], latest["date"]) == (
        "Lukashenko", "belarus", "2026-02-26"
    )  # fmt: skip
    assert shown["contains"] == []  # the 310 measures are no records of their own
    first = json.loads(invoke("--data", str(shipped_path), "show", "D1", "--json").stdout)
    assert len(first["contains"]) == 28


def test_the_2027_2029_document_is_not_adopted_and_has_no_unverified_deadline(
    shipped: Dataset,
) -> None:
    third = next(d for d in shipped.directions if d.id == "directions-2027-2029")
    assert third.status is RoadmapStatus.PENDING and third.targets == []
    assert "autumn 2026" in third.notes and "not verified" in third.notes.lower()
    # a document not yet adopted has nothing to carry out: "not adopted" says it all
    assert queries.state_of(shipped, third).unresolved_because == ("not-adopted",)


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
    assert any(c.milestone.date.text == "2019-12-07..2019-12-08" for c in comparable)
    for comparison in comparable:
        if not comparison.consistent:
            assert "Not consistent" in comparison.milestone.note, comparison.milestone.reported


def test_the_count_of_7_december_2019_is_consistent(shipped: Dataset) -> None:
    """ "8 of 31 not agreed": which 23 were agreed that day is unknown, and the view says so."""
    seven_dec = next(m for m in shipped.milestones if m.date.text == "2019-12-07..2019-12-08")
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
    bases = [p.title_basis.value for p in shipped.programs]
    assert (bases.count("verbatim"), bases.count("reconstructed")) == (2, 6)
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


def test_a_reconstructed_program_says_so_where_a_reader_sees_its_title(
    shipped_path: Path,
) -> None:
    """P8 (insurance) is one of the six programs no source names: `show` and the JSON say
    reconstructed; P25's title is verbatim."""
    shown = invoke(
        "--data", str(shipped_path), "--no-pager", "show", "P8",
        env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "120"},
    ).stdout  # fmt: skip
    assert "reconstructed: no source names it" in " ".join(shown.replace("│", " ").split())
    gas = json.loads(invoke("--data", str(shipped_path), "show", "P25", "--json").stdout)
    assert gas["title_basis"] == "verbatim"
    listed = json.loads(invoke("--data", str(shipped_path), "list", "--programs", "--json").stdout)
    reconstructed = [row["number"] for row in listed if row["title_basis"] == "reconstructed"]
    assert reconstructed == [8, 9, 10, 17, 20, 23]
