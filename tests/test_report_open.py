"""The web report's second axis: "what is still open" first, both axes and targets on the
record pages, the same links as the CLI, observations as notes.

On a small constructed record (the conftest's minimal dataset with a program, assessed by two
sides who disagree, a moved and overdue target, an observation, and a Main Directions record)
and on the frozen 2021 test record.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_report import Page, html_pages

from unionstate import checks, queries, report, store

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "tests" / "data" / "record-2021-05-28.yaml"


def _assessment(date: str, state: str, assessor: str, side: str, **extra: Any) -> dict[str, Any]:
    return {"date": date, "state": state, "assessor": assessor, "side": side,
            "sources": ["tass-1"], **extra}  # fmt: skip


@pytest.fixture
def moved_on(minimal_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal record carried on to 2026 with a program and a Main Directions record."""
    data = copy.deepcopy(minimal_data)
    data["as_of"] = "2026-02-27"
    data["programs"] = [
        {
            "number": 1,
            "id": "program-gas",
            "title": "Gas program",
            "title_confirmed": False,
            "sphere": "energy",
            "status": "signed",
            "linked_conditions": ["gas-price"],
            "history": [
                {
                    "date": "2021-09-09",
                    "status": "agreed",
                    "note": "Agreed.",
                    "sources": ["tass-1"],
                },
                {
                    "date": "2021-11-04",
                    "status": "signed",
                    "note": "Signed.",
                    "sources": ["tass-1"],
                },
            ],
            "observations": [
                {
                    "date": "2025-09",
                    "note": "The gas market is still not created.",
                    "by": "Galuzin",
                    "sources": ["belta-2"],
                },
            ],
            "implementation": [
                _assessment("2023-11", "completed", "Belarusian side", "belarus"),
                _assessment("2023-11-30", "under-way", "Russian minister", "russia", percent=80),
            ],
            "targets": [
                {
                    "id": "addendum",
                    "title": "Gas addendum",
                    "due": [
                        {"date": "2023-12-01", "set": "2021-11-04", "sources": ["tass-1"]},
                        {
                            "date": "2025-07-01",
                            "set": "2024-02",
                            "by": "Overchuk",
                            "sources": ["belta-2"],
                        },
                    ],
                }
            ],
            "notes": "",
            "succeeds": ["gas-market"],
            "succession": "hypothesis",
        }
    ]
    data["directions"] = [
        {
            "number": 2,
            "id": "directions-2024-2026",
            "title": "Main Directions 2024–2026",
            "title_confirmed": True,
            "sphere": "all",
            "status": "signed",
            "history": [
                {
                    "date": "2024-01-29",
                    "status": "signed",
                    "note": "Approved.",
                    "sources": ["tass-1"],
                }
            ],
            "implementation": [
                _assessment(
                    "2026-02-26",
                    "under-way",
                    "Lukashenko",
                    "belarus",
                    done=125,
                    total=310,
                    unit="measures",
                    late=14,
                ),
            ],
            "contains": ["program-gas"],
        }
    ]
    return data


@pytest.fixture
def pages(moved_on: dict[str, Any]) -> dict[str, str]:
    return report.build(checks.validate(moved_on))


def test_what_is_still_open_comes_first_before_any_chart(pages: dict[str, str]) -> None:
    html = pages["index.html"]
    opened = html.index('id="open"')
    assert opened < html.index("<svg") and opened < html.index('id="status"')
    section = re.search(r'<section class="open".*?</section>', html, re.DOTALL)
    assert section
    words = Page(section.group()).words
    # summary's opening facts: the Main Directions' figure, the dispute, the open demand
    assert "Main Directions 2024–2026" in words
    assert "Lukashenko (belarus): 125 of 310 measures, 14 late, 2026-02-26" in words
    assert "Disputed" in words and "Belarusian side (belarus)" in words
    assert "Russian minister (russia): 80%" in words
    assert "Open demands, 1 Lower gas price holds up" in words
    # every unresolved record with its reasons, in the words of queries.REASONS
    assert "implementation disputed, target overdue, open condition ( Lower gas price )" in words
    assert "overdue: Gas addendum" in words


def test_the_open_records_are_those_summary_counts(
    moved_on: dict[str, Any], pages: dict[str, str]
) -> None:
    summary = queries.summarise(checks.validate(moved_on))
    words = Page(pages["index.html"]).words
    assert f"On 2026-02-27, {len(summary.open)} records are unresolved" in words
    section = re.search(r'<section class="open".*?</section>', pages["index.html"], re.DOTALL)
    assert section
    for row in summary.open:  # each one is linked from the section
        assert f"{report.doc_path(row.roadmap)}" in section.group()


def test_nothing_open_is_said_in_words(minimal_data: dict[str, Any]) -> None:
    data = copy.deepcopy(minimal_data)
    data["roadmaps"] = [data["roadmaps"][1]]  # customs: agreed, linked to nothing
    words = Page(report.build(checks.validate(data))["index.html"]).words
    assert "What is still open Nothing is unresolved on 2021-05-28." in words


def test_a_program_page_shows_both_axes_and_its_targets(pages: dict[str, str]) -> None:
    words = Page(pages["programs/program-gas.html"]).words
    assert "Adoption signed (as of 2026-02-27)" in words
    assert "Implementation disputed assessors who spoke at the same time disagree:" in words
    assert "completed Belarusian side (belarus), 2023-11" in words
    assert "under way Russian minister (russia): 80%, 2023-11-30" in words
    assert "Part of Main Directions D2: Main Directions 2024–2026" in words
    # the target: overdue on its moved date, the first date kept as "moved from"
    assert "Gas addendum overdue 2025-07-01 set by Overchuk 2024-02" in words
    assert "2023-12-01 (set 2021-11-04 ) none recorded" in words
    # the observation is a note, not a repeated status
    assert "2025-09 noted Galuzin: The gas market is still not created." in words


def test_a_main_directions_record_has_its_own_page_and_list(pages: dict[str, str]) -> None:
    assert "directions/directions-2024-2026.html" in pages and "directions.html" in pages
    words = Page(pages["directions/directions-2024-2026.html"]).words
    assert "Main Directions D2: Main Directions 2024–2026" in words
    assert "Implementation under way Lukashenko (belarus): 125 of 310 measures, 14 late" in words
    assert "Contains P1" in words
    listing = Page(pages["directions.html"]).words
    assert "2 Main Directions 2024–2026 all signed under way 2026-01-29" not in listing
    assert "Main Directions 2024–2026 all signed under way 2024-01-29" in listing
    assert "directions.html" in Page(pages["index.html"]).links  # in the site's navigation


def test_a_condition_links_the_same_records_as_the_cli(
    moved_on: dict[str, Any], pages: dict[str, str]
) -> None:
    (gas,) = queries.condition_reports(checks.validate(moved_on))
    assert gas.roadmaps == ("gas-market",) and gas.programs == ("program-gas",)
    section = re.search(r'<section id="gas-price".*?</section>', pages["conditions.html"], re.S)
    assert section
    words = Page(section.group()).words
    assert "Linked to Roadmap 1: Single gas market , Program P1: Gas program" in words
    assert "Holds up Roadmap 1: Single gas market (not adopted, open condition)" in words
    assert "Program P1: Gas program (implementation disputed, target overdue" in words


def test_the_frozen_record_reads_the_same_facts_as_summary() -> None:
    dataset = store.load(FROZEN)
    pages = report.build(dataset)
    summary = queries.summarise(dataset)
    words = Page(pages["index.html"]).words
    assert f"On {dataset.as_of}, {len(summary.open)} records are unresolved" in words
    for demand in summary.open_demands:
        assert demand.condition.title in words
    first = summary.open[0]
    page = Page(pages[report.doc_path(first.roadmap)])
    reasons = ", ".join(queries.REASONS[c] for c in first.unresolved_because)
    assert f"Still open {reasons}" in page.words


# ----------------------------------------------------------- implementation over time


def test_implementation_by_month_counts_each_program_in_its_state_then(
    moved_on: dict[str, Any],
) -> None:
    moved_on["programs"][0]["implementation"].append(
        _assessment("2025-03-06", "completed", "Putin", "russia")
    )
    months = {m.label: m.counts for m in queries.implementation_by_month(checks.validate(moved_on))}
    labels = list(months)
    assert (labels[0], labels[-1]) == ("2021-09", "2026-02")  # first event to as_of
    assert set(months["2021-09"]) == set(queries.IMPLEMENTATION_STATES)
    assert months["2023-10"]["undetermined"] == 1  # no assessment yet: never "not started"
    assert months["2023-11"]["disputed"] == 1  # both sides spoke that month and disagree
    assert months["2025-03"]["completed"] == 1
    assert all(sum(c.values()) == 1 for c in months.values())


def test_implementation_by_month_leaves_out_programs_not_yet_drawn_up(
    moved_on: dict[str, Any],
) -> None:
    second = copy.deepcopy(moved_on["programs"][0])
    second.update(number=2, id="program-oil", targets=[], observations=[], linked_conditions=[])
    second["history"] = [
        {"date": "2024-05", "status": "signed", "note": "Signed.", "sources": ["tass-1"]}
    ]
    second["implementation"] = [_assessment("2024-06", "not-started", "Ministry", "belarus")]
    moved_on["programs"].append(second)
    months = {m.label: m.counts for m in queries.implementation_by_month(checks.validate(moved_on))}
    assert sum(months["2024-04"].values()) == 1
    assert months["2024-05"]["undetermined"] == 1 and months["2024-05"]["disputed"] == 1
    assert sum(months["2024-05"].values()) == 2
    assert months["2024-06"]["not-started"] == 1


def test_the_overview_charts_implementation_over_time(pages: dict[str, str]) -> None:
    html = pages["index.html"]
    chart = re.search(r'<svg class="chart"[^>]*chart-implementation.*?</svg>', html, re.DOTALL)
    assert chart, "no implementation chart"
    svg = chart.group()
    title = "Programs by implementation at the end of each month, 2021-09 to 2026-02"
    assert title in svg
    assert "<title>2023-10: 1 undetermined</title>" in svg
    assert "<title>2023-11: 1 disputed</title>" in svg
    assert 'fill="url(#chart-implementation-dots)"' in svg
    assert "it is not the same as not started" in svg
    assert "Programs by implementation, month by month" in Page(html).words


# ------------------------------------------------------------------ prose and sources


class Visible(HTMLParser):
    """The text a reader sees as prose: everything but the style sheet and code."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("style", "code")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "code")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.parts).split())


CLI_TEXT = re.compile(r"`|\bunionstate (?!\d)\S+|\s--[a-z]")


@pytest.mark.parametrize("record", ["frozen", "constructed"])
def test_prose_shows_no_cli_advice_and_no_markdown(record: str, moved_on: dict[str, Any]) -> None:
    moved_on["description"] = "A program's `succeeds` names the roadmaps it continues."
    dataset = store.load(FROZEN) if record == "frozen" else checks.validate(moved_on)
    pages = report.build(dataset)
    for path, html in html_pages(pages).items():
        found = CLI_TEXT.findall(Visible(html).words)
        assert not found, f"{path}: {found}"
    if record == "constructed":
        assert "A program&#x27;s <code>succeeds</code> names" in pages["index.html"]


def test_sources_are_cited_by_title_publisher_and_date(pages: dict[str, str]) -> None:
    page = Page(pages["roadmaps/gas-market.html"])
    assert "Sources: “Talks in Sochi”, TASS, 2021-05-28" in page.words
    assert "Sources: BelTA" in page.words  # a source the record knows no title or date of
    assert "https://tass.com/politics/1" in page.links
