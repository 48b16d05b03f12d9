"""The report's Atom feed (`feed.xml`): valid RFC 4287, newest first, each entry dated,
sourced and linked to its page; linked from every page; absolute under --base-url."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import posixpath
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from test_report import Page, html_pages, run
from test_report_open import moved_on  # noqa: F401  (a fixture)

from unionstate import checks, queries, report, store

NS = {"a": "http://www.w3.org/2005/Atom"}
FROZEN = Path(__file__).resolve().parent / "data" / "record-2021-05-28.yaml"


def parse(xml: str) -> ET.Element:
    """The feed's root element, after the checks RFC 4287 makes of every feed and entry."""
    root = ET.fromstring(xml)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"a:{name}", NS)) == 1, name
    assert root.find("a:author/a:name", NS) is not None  # no entry has its own author
    ids = []
    for entry in root.findall("a:entry", NS):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"a:{name}", NS)) == 1, name
        ids.append(entry.findtext("a:id", namespaces=NS) or "")
        alternates = [
            link
            for link in entry.findall("a:link", NS)
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == 1  # an entry without content needs one
        assert entry.findtext("a:summary", namespaces=NS)
        stamp(entry)
    assert all(i.startswith(("urn:uuid:", "https://")) for i in ids)  # absolute IRIs
    assert len(ids) == len(set(ids))
    stamp(root)
    return root


def stamp(element: ET.Element) -> dt.datetime:
    """An element's `updated`, which must be an RFC 3339 date-time."""
    text = element.findtext("a:updated", namespaces=NS) or ""
    assert text.endswith("Z") and "T" in text, text
    return dt.datetime.fromisoformat(text.removesuffix("Z") + "+00:00")


@pytest.fixture
def dataset(moved_on: dict[str, Any]) -> Any:  # noqa: F811
    return checks.validate(moved_on)


def test_the_feed_is_valid_atom_with_an_entry_per_dated_change(dataset: Any) -> None:
    root = parse(report.build(dataset)["feed.xml"])
    entries = root.findall("a:entry", NS)
    assert len(entries) == len(queries.timeline(dataset))
    updated = [stamp(e) for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    assert stamp(root).date() == dataset.as_of


def test_an_entry_says_what_changed_links_its_page_and_its_sources(dataset: Any) -> None:
    root = parse(report.build(dataset)["feed.xml"])
    by_title = {e.findtext("a:title", namespaces=NS): e for e in root.findall("a:entry", NS)}
    noted = by_title["2025-09 · Program P1: Gas program: noted"]
    assert noted.findtext("a:summary", namespaces=NS) == (
        "Galuzin: The gas market is still not created."
    )
    links = {(link.get("rel"), link.get("href")) for link in noted.findall("a:link", NS)}
    assert links == {
        ("alternate", "programs/program-gas.html"),
        ("related", "https://eng.belta.by/2"),
    }
    assessed = by_title["2023-11-30 · Program P1: Gas program: implementation under way"]
    assert stamp(assessed).date() == dt.date(2023, 11, 30)
    month = by_title["2023-11 · Program P1: Gas program: implementation completed"]
    assert stamp(month).date() == dt.date(2023, 11, 30)  # a month: by its last day
    related = [link for link in month.findall("a:link", NS) if link.get("rel") == "related"]
    assert [link.get("title") for link in related] == ["“Talks in Sochi”, TASS, 2021-05-28"]
    condition = by_title["2019-09-06 · Condition: Lower gas price: open"]
    (page,) = [link.get("href") for link in condition.findall("a:link[@rel='alternate']", NS)]
    assert page == "conditions.html#gas-price"


def test_every_page_links_the_feed_from_its_head(dataset: Any) -> None:
    site = report.build(dataset)
    for path, html in html_pages(site).items():
        links = Page(html).all("link")
        (feed,) = [a for a in links if a.get("type") == "application/atom+xml"]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), str(feed["href"])))
        assert resolved == "feed.xml", path


def test_with_a_base_url_the_feed_links_absolutely(dataset: Any) -> None:
    site = report.build(dataset, report.base_url("https://example.org/roadmaps"))
    root = parse(site["feed.xml"])
    assert root.findtext("a:id", namespaces=NS) == "https://example.org/roadmaps/feed.xml"
    (self_link,) = root.findall("a:link[@rel='self']", NS)
    assert self_link.get("href") == "https://example.org/roadmaps/feed.xml"
    for entry in root.findall("a:entry", NS):
        for link in entry.findall("a:link[@rel='alternate']", NS):
            assert str(link.get("href")).startswith("https://example.org/roadmaps/")
    head = Page(site["programs/program-gas.html"]).all("link")[0]
    assert head["href"] == "https://example.org/roadmaps/feed.xml"


def test_without_a_base_url_the_feed_links_relatively_and_has_no_self_link(
    dataset: Any,
) -> None:
    root = parse(report.build(dataset)["feed.xml"])
    assert root.findall("a:link[@rel='self']", NS) == []
    assert str(root.findtext("a:id", namespaces=NS)).startswith("urn:uuid:")


def test_the_frozen_record_gives_a_valid_feed() -> None:
    dataset = store.load(FROZEN)
    root = parse(report.build(dataset)["feed.xml"])
    assert len(root.findall("a:entry", NS)) == len(queries.timeline(dataset))


@pytest.mark.parametrize(
    "value", ["ftp://example.org/", "example.org", "javascript:alert(1)", "https://a b/"]
)
def test_a_bad_base_url_is_a_usage_error_and_writes_nothing(
    value: str, data_file: Path, tmp_path: Path
) -> None:
    result = run("--data", str(data_file), "report", str(tmp_path / "site"), "--base-url", value)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "expected the site's http(s) address" in (
        result.stderr
    )
    assert not (tmp_path / "site").exists()


# ------------------------------------------------------------ downloads and citation


def test_the_data_behind_the_site_is_what_export_writes(data_file: Path) -> None:
    site = report.build(store.load(data_file))
    exported = run("--data", str(data_file), "export", "--format", "json")
    assert exported.exit_code == 0 and site["data/record.json"] == exported.stdout
    as_csv = run("--data", str(data_file), "export", "--format", "csv")
    assert as_csv.exit_code == 0 and site["data/roadmaps.csv"] == as_csv.stdout
    assert "data/programs.csv" not in site  # the record holds no program


def test_each_kind_of_record_is_a_csv_table_linked_from_the_overview(dataset: Any) -> None:
    site = report.build(dataset)
    for path, records in (
        ("data/roadmaps.csv", dataset.roadmaps),
        ("data/programs.csv", dataset.programs),
        ("data/directions.csv", dataset.directions),
    ):
        rows = list(csv.DictReader(io.StringIO(site[path])))
        assert [r["id"] for r in rows] == [r.id for r in records], path
    overview = Page(site["index.html"])
    for path in ("data/record.json", "data/roadmaps.csv", "data/programs.csv", "feed.xml"):
        assert path in overview.links, path
    assert json.loads(site["data/record.json"])["as_of"] == "2026-02-27"


def test_every_page_says_how_to_cite_it(dataset: Any) -> None:
    site = report.build(dataset)
    words = Page(site["programs/program-gas.html"]).words
    assert (
        "Cite this page: Program P1: Gas program. Russia–Belarus Union State integration "
        "roadmaps, record as of 2026-02-27."
    ) in words
    assert "Cite this page: Overview." in Page(site["index.html"]).words
    for path, html in html_pages(site).items():
        assert "Cite this page: " in Page(html).words, path
    based = report.build(dataset, report.base_url("https://example.org/r/"))
    words = Page(based["programs/program-gas.html"]).words
    assert "record as of 2026-02-27. https://example.org/r/programs/program-gas.html" in words
