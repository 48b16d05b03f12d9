"""The web report: what its pages say, that they hold together, and how Chromium draws them."""

from __future__ import annotations

import copy
import posixpath
import re
import sys
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from unionstate import checks, files, plain, report, store
from unionstate.cli import app
from unionstate.models import Dataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import chromium  # noqa: E402

CLEAN = ("TTY_COMPATIBLE", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "UNIONSTATE_DEBUG")

PROGRAM: dict[str, Any] = {
    "number": 1,
    "id": "program-gas",
    "title": "Formation of a unified gas market",
    "title_basis": "sphere",
    "sphere": "energy",
    "status": "agreed",
    "linked_conditions": [],
    "history": [
        {
            "date": "..2021-05-28",
            "status": "agreed",
            "note": "Agreed no later than the Sochi talks.",
            "sources": ["tass-1"],
        }
    ],
    "notes": "",
    "succeeds": ["gas-market"],
    "succession": "hypothesis",
}


def run(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Invoke the CLI in-process, with layout and colour variables unset."""
    settings: dict[str, str | None] = dict.fromkeys(CLEAN)
    settings.update(env or {})
    return CliRunner().invoke(app, list(args), env=settings)


@pytest.fixture
def sample(minimal_data: dict[str, Any]) -> dict[str, Any]:
    """The minimal dataset plus a program, implementation figures and a known gap."""
    return {
        **minimal_data,
        "milestones": [
            *minimal_data["milestones"],
            {"date": "2021-05-28", "reported": "all 3 agreed", "agreed": 3, "open": 0, "total": 3},
            {"date": "2021-05", "reported": "about 46% done", "unit": "percent", "percent": 46},
            {
                "date": "~2021-05-20",
                "reported": "101 of 112 tasks done",
                "unit": "tasks",
                "done": 101,
                "total": 112,
                "subject": "program-gas",
                "sources": ["tass-1"],
            },
        ],
        "programs": [copy.deepcopy(PROGRAM)],
        "open_questions": [
            {
                "id": "gas-deal",
                "question": "What price was agreed for gas?",
                "note": "No source says.",
                "sources": ["belta-2"],
            }
        ],
    }


@pytest.fixture
def pages(sample: dict[str, Any]) -> dict[str, str]:
    """The report of the sample dataset."""
    return report.build(checks.validate(sample))


def html_pages(site: dict[str, str]) -> dict[str, str]:
    """The HTML pages of a site (not its feed or data files)."""
    return {path: text for path, text in site.items() if path.endswith(".html")}


class Page(HTMLParser):
    """What a test needs from a page: tags, attributes, ids, links, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "a" and attributes.get("href") is not None:
            self.links.append(str(attributes["href"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        """The attributes of every `tag` element."""
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def words(self) -> str:
        """The page's text with whitespace collapsed."""
        return " ".join(" ".join(self.text).split())


# --------------------------------------------------------------------------- structure


def test_the_site_has_an_overview_a_page_per_record_conditions_and_sources(
    pages: dict[str, str],
) -> None:
    assert sorted(pages) == [
        "conditions.html",
        "data/conditions.csv",
        "data/counts.csv",
        "data/events.csv",
        "data/programs.csv",
        "data/record.json",
        "data/roadmaps.csv",
        "data/sources.csv",
        "feed.xml",
        "index.html",
        "programs.html",
        "programs/program-gas.html",
        "roadmaps.html",
        "roadmaps/customs.html",
        "roadmaps/gas-market.html",
        "roadmaps/tax-policy.html",
        "sources.html",
    ]


def test_every_page_is_a_titled_accessible_phone_ready_document(pages: dict[str, str]) -> None:
    for path, html in html_pages(pages).items():
        page = Page(html)
        assert html.startswith("<!DOCTYPE html>\n"), path
        assert page.all("html") == [{"lang": "en"}], path
        viewports = [m for m in page.all("meta") if m.get("name") == "viewport"]
        assert viewports and "width=device-width" in str(viewports[0]["content"]), path
        assert re.search(r"<title>[^<]+</title>", html), path
        assert len(page.all("h1")) == 1, path
        assert page.all("main") and page.all("nav"), path
        assert "@media print" in html and "overflow-wrap:anywhere" in html, path


def test_pages_need_nothing_from_elsewhere_and_run_no_script(pages: dict[str, str]) -> None:
    for path, html in html_pages(pages).items():
        page = Page(html)
        assert not page.all("script") and not page.all("img"), path
        # the only <link> is the feed's, on the site itself
        assert [(a["rel"], a["type"]) for a in page.all("link")] == [
            ("alternate", "application/atom+xml")
        ], path
        assert not str(page.all("link")[0]["href"]).startswith(("http:", "https:", "//")), path
        assert not [attrs for _, attrs in page.tags if "src" in attrs], path
        assert "@import" not in html and "url(http" not in html, path
        handlers = [k for _, attrs in page.tags for k in attrs if k.startswith("on")]
        assert handlers == [], path


def test_every_internal_link_resolves_to_a_generated_page_and_anchor(
    pages: dict[str, str],
) -> None:
    parsed = {path: Page(html) for path, html in html_pages(pages).items()}
    checked = 0
    for path, page in parsed.items():
        assert len(page.ids) == len(set(page.ids)), f"{path}: duplicate ids"
        for href in page.links:
            if href.startswith(("http://", "https://")):
                continue
            target, _, fragment = href.partition("#")
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            resolved = resolved if target else path
            assert resolved in parsed or resolved in pages, f"{path}: {href} -> {resolved}"
            if fragment:
                assert fragment in parsed[resolved].ids, f"{path}: {href}"
            checked += 1
    assert checked > 50


def test_the_overview_names_the_subject_date_statuses_figures_conditions_gaps_and_credit(
    pages: dict[str, str],
) -> None:
    html = pages["index.html"]
    page = Page(html)
    assert (
        "<title>Russia–Belarus Union State integration roadmaps — record as of 2021-05-28" in html
    )
    words = page.words
    assert "Record as of 2021-05-28" in words
    assert "3 roadmaps: 1 agreed, 1 pending, 1 blocked" in words  # in words, not only colour
    assert "1 program: 1 agreed" in words
    assert "46%" in words and "101 of 112 tasks" in words and "about 46% done" in words
    assert "About Program P1: Formation of a unified gas market" in words
    assert "“all 3 agreed” the record: 1 of 3 roadmaps agreed on that date — a contradiction" in (
        words
    )
    assert "“31 roadmaps approved” Rumas Sources: BelTA not a count the record can check" in words
    assert "Lower gas price" in words and "Holds up Roadmap 1: Single gas market" in words
    assert "What price was agreed for gas?" in words and "No source says." in words
    assert "Facts from 2 published sources (BelTA, TASS)" in words
    assert "Generated by unionstate" in words


def test_the_chart_is_inline_svg_with_a_title_description_and_a_legend_in_words(
    pages: dict[str, str],
) -> None:
    html = pages["index.html"]
    svg = re.search(r'<svg class="chart"[^>]*>.*?</svg>', html, re.DOTALL)
    assert svg, "no chart"
    chart = svg.group()
    assert 'role="img"' in chart and "aria-labelledby=" in chart
    assert "<title id=" in chart and "<desc id=" in chart
    assert "Roadmaps by status at the end of each month, 2019-01 to 2021-05" in chart
    # 2019: tax-policy's year-precision event leaves it undetermined: hatched, and said.
    assert 'fill="url(#chart-roadmaps-hatch)"' in chart
    assert "<title>2019-10: 2 pending, 1 undetermined</title>" in chart
    legend = re.search(r'<ul class="legend" aria-label="Key">(.*?)</ul>', html)
    assert legend and "undetermined" in legend.group(1) and "blocked" in legend.group(1)
    assert "The numbers behind the chart" in html


def test_a_record_page_shows_status_dates_as_spelled_succession_and_real_source_links(
    pages: dict[str, str],
) -> None:
    roadmap = Page(pages["roadmaps/gas-market.html"])
    assert "Roadmap 1: Single gas market" in roadmap.words
    assert "Status blocked" in roadmap.words
    assert "Continued by Program P1: Formation of a unified gas market ( hypothesis )" in (
        roadmap.words
    )
    assert "../programs/program-gas.html" in roadmap.links
    assert "https://tass.com/politics/1" in roadmap.links
    assert "https://eng.belta.by/2" in roadmap.links

    program = Page(pages["programs/program-gas.html"])
    assert "Program P1: Formation of a unified gas market" in program.words
    assert "Continues Roadmap 1: Single gas market ( hypothesis : no source says so)" in (
        program.words
    )
    assert "≤2021-05-28" in program.words  # the record's own spelling of "no later than"
    customs = Page(pages["roadmaps/customs.html"])
    assert "2019-09 pending" in customs.words
    assert Page(pages["roadmaps/tax-policy.html"]).words.count("2019 pending") == 1


def test_the_lists_show_succession_both_ways_marking_hypotheses(pages: dict[str, str]) -> None:
    programs = Page(pages["programs.html"])
    expected = "P1 Formation of a unified gas market* energy agreed undetermined ≤2021-05-28"
    assert f"{expected} Roadmap 1" in programs.words
    assert "roadmaps/gas-market.html" in programs.links
    roadmaps = Page(pages["roadmaps.html"])
    assert "Single gas market energy blocked 2019-12-20 P1 (hypothesis)" in roadmaps.words
    assert "Customs* (reconstructed) customs agreed 2021-05-28 —" in roadmaps.words


def test_an_empty_record_still_gives_a_whole_site(minimal_data: dict[str, Any]) -> None:
    empty = {**minimal_data, "roadmaps": [], "milestones": [], "conditions": []}
    pages = report.build(checks.validate(empty))
    assert sorted(html_pages(pages)) == [
        "conditions.html",
        "index.html",
        "programs.html",
        "roadmaps.html",
        "sources.html",
    ]
    words = Page(pages["index.html"]).words
    assert "no roadmaps listed" in words and "No dated roadmap events to chart." in words
    assert "No condition is open." in words


def test_the_sources_page_links_each_source_and_where_it_is_cited(
    pages: dict[str, str],
) -> None:
    page = Page(pages["sources.html"])
    assert "https://tass.com/politics/1" in page.links
    assert {"tass-1", "belta-2"} <= set(page.ids)
    assert "roadmaps/gas-market.html" in page.links and "index.html" in page.links


def test_text_from_the_data_is_escaped_everywhere(sample: dict[str, Any]) -> None:
    sample["roadmaps"][0]["title"] = "<script>alert(1)</script> & co"
    sample["roadmaps"][0]["history"][0]["note"] = 'a "quoted" <img src=x onerror=alert(2)>'
    sample["sources"][0]["title"] = '"><b onmouseover=alert(3)>'
    sample["sources"][0]["url"] = 'https://tass.com/a?x="><script>alert(4)</script>'
    pages = report.build(checks.validate(sample))
    for path, html in html_pages(pages).items():
        page = Page(html)
        assert not page.all("script") and not page.all("img") and not page.all("b"), path
        assert not [k for _, attrs in page.tags for k in attrs if k.startswith("on")], path
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in pages["roadmaps/gas-market.html"]
    assert "<script>alert(1)</script> & co" in Page(pages["roadmaps.html"]).words  # as text


def test_a_javascript_url_never_becomes_a_link(sample: dict[str, Any]) -> None:
    sample["sources"][0]["url"] = "javascript:alert(1)"
    with pytest.raises(checks.Invalid):
        checks.validate(sample)  # the model refuses it
    # Even data that skipped validation gets no such link from the report.
    sample["sources"][0]["url"] = "javascript:alert(1)//https://x"
    dataset = plain.trusted(checks.upgrade(copy.deepcopy(sample)))  # it consumes its input
    for path, html in report.build(dataset).items():
        hrefs = [str(a.get("href")) for a in Page(html).all("a")]
        assert not [h for h in hrefs if h.lower().startswith("javascript")], path
    assert report.safe_url("JavaScript:alert(1)") is None
    assert report.safe_url("https://tass.com/x") == "https://tass.com/x"


def test_the_same_dataset_gives_the_same_bytes(sample: dict[str, Any]) -> None:
    assert report.build(checks.validate(sample)) == report.build(checks.validate(sample))


# ----------------------------------------------------------------------------- the CLI


def test_report_writes_the_site_and_leaves_other_files_alone(
    data_file: Path, tmp_path: Path
) -> None:
    site = tmp_path / "out" / "site"
    site.mkdir(parents=True)
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    (site / "index.html").write_text("old", encoding="utf-8")
    refused = run("--data", str(data_file), "report", str(site))
    assert refused.exit_code == 1  # a folder of the user's: only with --force
    assert (site / "index.html").read_text(encoding="utf-8") == "old"
    result = run("--data", str(data_file), "report", str(site), "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    expected = report.build(store.load(data_file))
    assert f"wrote 8 pages and 7 other files to {site}; open {site / 'index.html'}" in (
        result.stderr
    )
    assert (site / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (site / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    written = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    assert written == {*expected, "notes.txt", ".unionstate-report"}
    assert not list(site.rglob("*.tmp"))


def test_report_makes_a_missing_directory_and_defaults_to_site(
    data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("--data", str(data_file), "report").exit_code == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert run("--data", str(data_file), "report", "a/b/c").exit_code == 0
    assert (tmp_path / "a" / "b" / "c" / "roadmaps" / "gas-market.html").is_file()


def test_report_into_a_file_is_refused_with_one_line_and_exit_5(
    data_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    target.write_text("a file", encoding="utf-8")
    result = run("--data", str(data_file), "report", str(target))
    assert result.exit_code == 5
    assert (
        result.stderr
        == f"unionstate: {target}: exists and is not a directory; nothing was written\n"
    )
    assert target.read_text(encoding="utf-8") == "a file"


def test_report_where_a_page_folder_is_a_file_exits_5(data_file: Path, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "roadmaps").write_text("in the way", encoding="utf-8")
    result = run("--data", str(data_file), "report", str(tmp_path / "site"), "--force")
    assert result.exit_code == 5
    assert "cannot write" in result.stderr and "Traceback" not in result.output


# -------------------------------------------------------------------- a real browser


def browser_data() -> Dataset:
    """The branch's shipped data, with a program added while it records none."""
    dataset = store.load(ROOT / "data" / "roadmaps.yaml")
    if dataset.programs:
        return dataset
    data = plain.to_plain(dataset)
    program = dict(PROGRAM, succeeds=[dataset.roadmaps[0].id])
    program["history"] = [dict(PROGRAM["history"][0], sources=[dataset.sources[0].id])]
    data["programs"] = [program]
    return checks.validate(data)


@pytest.fixture(scope="module")
def browser() -> str:
    """The Chromium binary; the browser tests are skipped, saying why, without one."""
    found = chromium.find()
    if found is None:
        pytest.skip("no Chromium (/usr/bin/chromium or on PATH): apt-get install chromium")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of `browser_data()`, written as the CLI writes it."""
    directory = tmp_path_factory.mktemp("report") / "site"
    files.write_files(directory, report.build(browser_data()))
    return directory


def _samples(site: Path) -> dict[str, str]:
    roadmap = sorted((site / "roadmaps").glob("*.html"))[0]
    program = sorted((site / "programs").glob("*.html"))[0]
    return {
        "index": "index.html",
        "roadmap": f"roadmaps/{roadmap.name}",
        "program": f"programs/{program.name}",
    }


@pytest.mark.parametrize("width", [1280, 375])
def test_chromium_draws_the_pages(browser: str, site: Path, width: int) -> None:
    """Screenshots land in build/screenshots/ (git-ignored) for anyone to look at."""
    for name, page in _samples(site).items():
        png = chromium.SCREENSHOTS / f"{name}-{width}.png"
        chromium.screenshot(browser, site / page, png, width, 1600 if width > 500 else 2400)
        shot_width, _, inked, colours = chromium.ink(png)
        assert shot_width == width, png
        assert inked > 0.03 and colours > 50, f"{png} looks blank ({inked:.1%} inked)"


def test_chromium_renders_the_titles_and_no_page_scrolls_sideways_at_375(
    browser: str, site: Path
) -> None:
    pages = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    # A control page that does overflow: the measurement must see it.
    (site / "wide-control.html").write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
        '<title>control</title></head><body><div style="width:900px">x</div></body></html>',
        encoding="utf-8",
    )
    try:
        layouts = chromium.measure(browser, site, [*pages, "wide-control.html"], 375)
    finally:
        (site / "wide-control.html").unlink()
    assert layouts["wide-control.html"].scroll_width >= 900
    for page in pages:
        layout = layouts[page]
        assert layout.client_width == 375, page
        assert layout.scroll_width <= 375, f"{page} scrolls sideways: {layout}"
        assert layout.title.endswith("Russia–Belarus Union State integration roadmaps") or (
            layout.title.startswith("Russia–Belarus Union State integration roadmaps — record")
        ), page
    dom = chromium.dump_dom(browser, site / "index.html")
    assert "<title>Russia–Belarus Union State integration roadmaps — record as of" in dom
    assert '<svg class="chart"' in dom
