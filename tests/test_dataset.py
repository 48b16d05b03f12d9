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
from typing import Any

import pytest
from conftest import invoke

from unionstate import queries, store
from unionstate.models import ConditionStatus, Dataset, RoadmapStatus

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
FACT_SHEET = REFERENCE / "union-state-facts.md"
IMPLEMENTATION = REFERENCE / "implementation-2022-2026.md"
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
    assert [line.split("\t")[0] for line in plain[1:]] == ["D1", "D2", "D3"]  # as show takes them


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
def test_every_url_is_copied_exactly_from_the_reference_files(shipped: Dataset) -> None:
    """The fact sheet, the TASS text, the post-2021 map and the implementation reference are
    the only places a source may come from, and its address is copied from them exactly."""
    text = "".join(
        (REFERENCE / name).read_text(encoding="utf-8")
        for name in (
            "union-state-facts.md",
            "tass-2021-05-28-integration-not-rushed.txt",
            "after-2021.md",
            "implementation-2022-2026.md",
        )
    )
    addresses = {a.rstrip(".,)") for a in re.findall(r"https?://[^\s|;]+", text)}
    assert [s.url for s in shipped.sources if s.url not in addresses] == []  # whole addresses


@pytest.mark.skipif(not IMPLEMENTATION.exists(), reason="shared/reference is not beside the repo")
def test_no_source_is_one_the_reference_says_not_to_use(shipped: Dataset) -> None:
    """Section (h) of the implementation reference lists claims that are not verified and the
    false friends (Belarus's own state programmes, the budget-funded Union State programmes):
    none of their pages is cited, and none of the unverified figures is in the record."""
    text = IMPLEMENTATION.read_text(encoding="utf-8")
    not_verified = text[text.index("## (h)") : text.index("## (i)")]
    banned = set(re.findall(r"https?://[^\s|;)]+", not_verified))
    assert banned, "section (h) names the pages it warns about"
    assert [s.url for s in shipped.sources if s.url in banned] == []
    record = store.dumps(shipped).decode("utf-8").splitlines()  # one scalar a line
    flagged = ("misprint", "not verified", "unverified", "not recorded")
    for claim in ("128.52", "115 of 210", "by autumn 2026", "Resolution No. 988", "$52bn"):
        said = [line for line in record if claim in line]
        assert all(any(f in line for f in flagged) for line in said), (claim, said)


# ------------------------------------------------------- the implementation years

SHIPPED_FILE = ROOT / "data" / "roadmaps.yaml"


def shown_json(*args: str) -> Any:
    result = invoke("--data", str(SHIPPED_FILE), *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def program_counts(dataset: Dataset) -> list[queries.MilestoneComparison]:
    return [
        queries.compare_milestone(dataset, m)
        for m in dataset.milestones
        if m.unit == "programs" and m.done is not None
    ]


def test_list_unresolved_names_the_energy_programs_with_their_reasons() -> None:
    rows = {row["id"]: row for row in shown_json("list", "--programs", "--unresolved")}
    gas = rows["program-gas-market"]
    assert {"target-overdue", "open-condition"} <= set(gas["unresolved_because"])
    assert gas["open_conditions"] == ["gas-price"]
    # the oil market's deadline moved past the record's end; the electricity market is not launched
    assert "target-open" in rows["program-oil-markets"]["unresolved_because"]
    assert "program-electricity-market" in rows
    assert "program-macroeconomics" not in rows  # claimed done, with no goal of its own left open


def test_show_p25_has_both_axes_and_its_targets_and_no_deadline_as_an_event() -> None:
    shown = shown_json("show", "P25")
    assert shown["status"] == "signed"  # adoption
    sides = {(a["state"], a["side"]) for a in shown["implementation"]}
    assert ("under-way", "belarus") in sides and ("completed", "russia") in sides
    states = {t["id"]: t for t in shown["target_states"]}
    assert states["gas-market-addendum"]["state"] == "overdue"
    assert states["common-gas-market"]["state"] == "overdue"
    addendum = next(t for t in shown["targets"] if t["id"] == "gas-market-addendum")
    assert [d["date"] for d in addendum["due"]] == ["2023-12-01"] and addendum["outcome"] is None
    record = store.load(SHIPPED_FILE)
    dated = [e.date.text for c in record.conditions for e in [*c.history, *c.observations]]
    dated += [e.date.text for d in record.documents for e in [*d.history, *d.observations]]
    assert "2023-12-01" not in dated


def test_the_count_of_january_2023_is_checked_and_not_circular(shipped: Dataset) -> None:
    january = next(c for c in program_counts(shipped) if c.milestone.date.text == "2023-01-12")
    assert january.comparable and january.axis == "implementation"
    assert january.consistent is True
    assert january.known_agreed == 0  # no program state was written from it
    summary = shown_json("summary")
    row = next(
        m for m in summary["milestones"] if m["date"] == "2023-01-12" and str(m["done"]) == "7"
    )
    assert row["consistent"] is True


def test_the_two_november_2023_counts_are_kept_apart_and_neither_names_a_program(
    shipped: Dataset,
) -> None:
    november = [
        c
        for c in program_counts(shipped)
        if (c.milestone.date.first.year, c.milestone.date.last.month) == (2023, 11)
    ]
    assert {(str(c.milestone.done), c.milestone.side) for c in november} == {
        ("13", "russia"),
        ("22", "belarus"),
    }
    assert all(c.consistent for c in november)
    end_of_november = queries.states(shipped, dt.date(2023, 11, 30), shipped.programs)
    assert not [
        r for r in end_of_november if r.implementation and r.implementation.state == "completed"
    ]
    unverified = next(c.milestone for c in november if c.milestone.side == "belarus")
    assert "Unverified" in unverified.note


def test_claims_that_all_28_were_done_leave_the_unmet_goals_open(shipped: Dataset) -> None:
    claims = [c for c in program_counts(shipped) if str(c.milestone.done) == "28"]
    assert claims and all(c.consistent for c in claims)
    assert all("circular" in c.milestone.note for c in claims if c.milestone.side == "russia")
    energy = {p.id: p for p in shipped.programs if p.sphere == "energy"}
    for program_id in ("program-gas-market", "program-oil-markets", "program-electricity-market"):
        on_as_of = queries.targets_on(energy[program_id], shipped.as_of)
        assert {t.state for t in on_as_of} & {"open", "overdue"}, program_id
    oil = next(t for t in energy["program-oil-markets"].targets if t.id == "common-oil-market")
    assert [d.date.text for d in oil.due][-1] == "2027-01-01" and oil.outcome is None


def test_every_program_carries_the_blanket_claims_and_none_before_them(shipped: Dataset) -> None:
    for program in shipped.programs:
        completed = [a for a in program.implementation if a.state.value == "completed"]
        assert {a.side.value for a in completed} == {"belarus", "russia"}, program.id
        own = [o for o in program.observations if o.date.first > dt.date(2021, 11, 4)]
        own += [a for a in program.implementation if a.state.value != "completed"]
        if own or program.targets:
            assert "no source gives this program's own progress" not in program.notes, program.id
    before = queries.states(shipped, dt.date(2024, 1, 21), shipped.programs)
    assert not [r for r in before if r.implementation and r.implementation.state == "completed"]


def test_the_tax_manoeuvre_is_not_said_to_be_paid_by_the_damper_law(shipped: Dataset) -> None:
    compensation = shipped.condition_by_id("tax-manoeuvre-compensation")
    damper = [o for o in compensation.observations if "damper" in o.note]
    assert damper and all("not compensation" in o.note for o in damper)
    assert "no official source confirms compensation after 2025" in compensation.description
    gas = shipped.condition_by_id("gas-price")
    assert gas.status is ConditionStatus.OPEN
    assert max(o.date.last for o in gas.observations) >= dt.date(2026, 1, 1)


def test_what_is_still_open_puts_the_live_stories_first(shipped: Dataset) -> None:
    """Main Directions, then programs, then roadmaps; in each, the newest fact first: the gas
    market, still in the news in 2026, before a program silent since its 2022 deadline."""
    still_open = queries.summarise(shipped).open
    kinds = [r.roadmap.KIND for r in still_open]
    assert kinds == sorted(kinds, key=["directions", "program", "roadmap"].index)
    for kind in set(kinds):
        newest = [
            queries.latest_fact(r.roadmap, shipped.as_of) or dt.date.min
            for r in still_open
            if kind == r.roadmap.KIND
        ]
        assert newest == sorted(newest, reverse=True), kind
    ids = [r.roadmap.id for r in still_open]
    assert ids.index("program-gas-market") < ids.index("program-monetary")


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


@pytest.mark.parametrize("columns", ["60", "80", "120"])
def test_summary_fits_a_24_row_screen_and_names_every_open_record(
    shipped: Dataset, shipped_path: Path, columns: str
) -> None:
    """What is still open gets the rows the rest leaves; every record is named on it, one by
    one, in a group, or on the last line pointing to `list --unresolved`."""
    shown = invoke(
        "--data", str(shipped_path), "--no-pager", "summary",
        env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": columns},
    ).stdout  # fmt: skip
    lines = shown.splitlines()
    assert len(lines) <= 23  # and the prompt
    part = shown[: shown.index("Main Directions:")]
    said = part.split("records:", 1)[1]
    if columns != "60":  # at 60 columns the last names may be cut with …
        for row in queries.summarise(shipped).open:
            name = f"{row.roadmap.PREFIX}{row.roadmap.number}"
            assert re.search(rf"(?<![\w-]){name}(?![\w-])", said), name
    assert "D2 directions-2024-2026" in part
