"""The record as a static web site: an overview, a page per roadmap and program, conditions
and sources. Pure: `build(dataset)` returns {relative path: HTML text}; the CLI writes them.

Self-contained by design: one inline style sheet, charts as inline SVG, no script, no font
or image from elsewhere, only relative links between pages, so the site reads the same from
`file://`, from any static host and on paper. Every text from the data goes through
`esc`; a link to a source is made only for an http(s) URL. The same dataset always gives the
same bytes (nothing here reads the clock).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from unionstate import __version__, feed
from unionstate.errors import UsageError
from unionstate.models import (
    Assessment,
    Dataset,
    DatePrecision,
    Directions,
    Document,
    Milestone,
    Program,
    Source,
    TitleBasis,
    When,
)
from unionstate.queries import (
    DISPUTED,
    IMPLEMENTATION_STATES,
    IMPLEMENTATION_UNITS,
    REASONS,
    UNDETERMINED,
    ConditionReport,
    Implementation,
    Memo,
    MonthProgress,
    RoadmapState,
    TargetState,
    TimelineEvent,
    assessed,
    compare_milestone,
    implementation_by_month,
    progress_by_month,
    states,
    successors,
    summarise,
    timeline,
)
from unionstate.text import LOOKS, status_word
from unionstate.views import LAID_OUT, csv_table, dataset_object, other_fields, to_json

SITE = "Russia–Belarus Union State integration roadmaps"
FEED = "feed.xml"
Pages = dict[str, str]

# Bottom to top in the chart, and the order counts are read out in.
CHART_ORDER = ("signed", "agreed", "pending", "blocked", UNDETERMINED, "set-aside")
IMPLEMENTATION_ORDER = ("completed", "under-way", "not-started", DISPUTED, UNDETERMINED)


@dataclass(frozen=True)
class Axis:
    """What a chart counts: its states bottom to top, the word for them, how to read it."""

    order: tuple[str, ...]
    by: str  # "status" or "implementation", as in "Programs by implementation"
    reading: str  # the patterns explained, for the chart's description


ADOPTION = Axis(
    CHART_ORDER,
    "status",
    "Undetermined (hatched) means the record allows more than one status that month; "
    "set aside is light grey.",
)
IMPLEMENTATION = Axis(
    IMPLEMENTATION_ORDER,
    "implementation",
    "Undetermined (hatched) means no assessment covers the record that month (it is not "
    "the same as not started); disputed (dotted) means assessors who spoke at the same "
    "time disagree.",
)
CSS = """
:root{color-scheme:light;--ink:#1f2937;--muted:#4b5563;--line:#d1d5db;--accent:#1d4ed8}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
 "Liberation Sans",Arial,sans-serif;color:var(--ink);background:#fff}
header.site,main,footer.site{max-width:72rem;margin:0 auto;padding:0 1rem}
header.site{border-bottom:1px solid var(--line);padding-top:.5rem;padding-bottom:.5rem}
header.site p{margin:0;font-weight:600}
nav ul{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
a{color:var(--accent)}
a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
main{padding-top:1rem;padding-bottom:2rem}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0}
h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
p,li,dd,td,th,h1,h2,h3{overflow-wrap:break-word}
.lead{font-size:1.1rem}
.muted,.note{color:var(--muted)}
.asof{font-weight:600}
.status{display:inline-block;padding:0 .45em;border-radius:.3em;border:1px solid;
 font-weight:600;white-space:nowrap;font-size:.9em}
.s-pending{background:#fef3c7;color:#78350f}
.s-agreed{background:#dbeafe;color:#1e3a8a}
.s-blocked{background:#fee2e2;color:#7f1d1d}
.s-signed{background:#dcfce7;color:#14532d}
.s-set-aside{background:#f3f4f6;color:#374151;border-style:dashed}
.s-undetermined{background:repeating-linear-gradient(45deg,#ede9fe 0 4px,#fff 4px 8px);
 color:#4c1d95;border-style:dotted}
.s-open{background:#fee2e2;color:#7f1d1d}
.s-resolved{background:#dcfce7;color:#14532d}
.s-not-started{background:#fef3c7;color:#78350f}
.s-under-way{background:#dbeafe;color:#1e3a8a}
.s-completed,.s-met{background:#dcfce7;color:#14532d}
.s-disputed{background:#fae8ff;color:#701a75;border-style:double;border-width:3px}
.s-overdue,.s-missed{background:#fee2e2;color:#7f1d1d}
.s-noted{background:#fff;color:var(--muted);font-weight:400;border-style:dashed}
code{font:.9em/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;background:#f3f4f6;
 padding:0 .2em;border-radius:.2em;overflow-wrap:anywhere}
section.open{border:2px solid #b91c1c;border-radius:.5rem;padding:0 1rem .75rem;margin:1rem 0}
section.open h2{margin-top:.75rem}
ul.plain{padding-left:1.1rem}
.hypothesis{font-style:italic;color:#6b21a8}
.grid{display:grid;gap:1rem 2rem}
@media (min-width:62rem){.grid{grid-template-columns:3fr 2fr}}
figure{margin:0 0 1.5rem}
figcaption{font-weight:600;margin-bottom:.25rem}
svg.chart{width:100%;height:auto;display:block;max-width:48rem}
ul.legend{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.swatch{display:inline-block;width:1em;height:1em;vertical-align:-.15em;margin-right:.3em;
 border:1px solid #6b7280}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid var(--line)}
th{background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
@media (max-width:40rem){
 table.reflow,table.reflow tbody,table.reflow tr,table.reflow td{display:block;width:100%}
 table.reflow thead{position:absolute;left:-9999px}
 table.reflow tr{border-bottom:1px solid var(--line);padding:.4rem 0}
 table.reflow td{border:0;padding:.1rem 0;text-align:left}
 table.reflow td::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
}
.bar{display:block;height:.5rem;background:#e5e7eb;border-radius:.25rem;min-width:4rem}
.bar>span{display:block;height:100%;background:#15803d;border-radius:.25rem}
ol.timeline{list-style:none;padding:0;margin:.5rem 0;border-left:3px solid var(--line)}
ol.timeline>li{margin:0 0 1rem;padding-left:1rem;position:relative}
ol.timeline>li::before{content:"";position:absolute;left:-.5rem;top:.45rem;width:.7rem;
 height:.7rem;border-radius:50%;background:var(--ink)}
.when{white-space:nowrap;font-weight:600;font-variant-numeric:tabular-nums;margin-right:.5rem}
.cites{font-size:.9rem;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media (max-width:30rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
.url{overflow-wrap:anywhere;word-break:break-word}
footer.site{border-top:1px solid var(--line);padding-top:.75rem;padding-bottom:2rem;
 font-size:.9rem;color:var(--muted)}
details summary{cursor:pointer}
@media print{
 body{font-size:11pt;color:#000}
 header.site nav,.skip{display:none}
 a{color:#000}
 main a[href^="http"]::after{content:" <" attr(href) ">";font-size:.85em;overflow-wrap:anywhere}
 .status,.swatch,svg.chart{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2,h3{break-after:avoid}
 li,tr,figure{break-inside:avoid}
 .table-wrap{overflow:visible}
 details>*{display:block}
}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem}
"""


# ------------------------------------------------------------------------- little helpers


def esc(text: object) -> str:
    """Text from the data, safe in element content and in quoted attributes."""
    return escape(str(text), quote=True)


def safe_url(url: str) -> str | None:
    """The URL if it may become a link (http or https only), else None."""
    lowered = url.strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else None


def badge(label: str) -> str:
    """A status as a labelled badge: the word itself, coloured by class."""
    return f'<span class="status s-{esc(label)}">{esc(status_word(label))}</span>'


FOLDERS = {"roadmap": "roadmaps", "program": "programs", "directions": "directions"}
KIND_NAMES = {"roadmap": "Roadmap", "program": "Program", "directions": "Main Directions"}


def doc_path(document: Document) -> str:
    """The page of a roadmap, program or Main Directions record, relative to the site root."""
    return f"{FOLDERS[document.KIND]}/{document.id}.html"


def doc_name(document: Document) -> str:
    """How a page names a record: "Roadmap 14", "Program P25", "Main Directions D2"."""
    return f"{KIND_NAMES[document.KIND]} {document.PREFIX}{document.number}"


def link(here: str, target: str, text: str, *, title: str | None = None) -> str:
    """A relative link from page `here` to `target` (a site path, maybe with #fragment)."""
    path, _, fragment = target.partition("#")
    href = _relative(path, posixpath.dirname(here) or ".") if path else ""
    if fragment:
        href += f"#{fragment}"
    extra = f' title="{esc(title)}"' if title else ""
    return f'<a href="{esc(href)}"{extra}>{text}</a>'


@functools.lru_cache(maxsize=65536)
def _relative(path: str, start: str) -> str:
    """posixpath.relpath, remembered: a site links the same few folders thousands of times."""
    return posixpath.relpath(path, start)


def when_html(when: When) -> str:
    """A date exactly as the record spells it, machine-readable where HTML allows."""
    machine = {
        DatePrecision.DAY: when.text,
        DatePrecision.APPROXIMATE: when.text.lstrip("~"),
        DatePrecision.MONTH: when.text,
        DatePrecision.YEAR: when.text,
    }.get(when.precision)
    attr = f' datetime="{esc(machine)}"' if machine else ""
    return f'<time class="when"{attr}>{esc(when.display)}</time>'


def plural(count: int, word: str) -> str:
    """ "1 roadmap", "3 roadmaps"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts_sentence(counts: dict[str, int], word: str, order: Sequence[str] = CHART_ORDER) -> str:
    """ "31 roadmaps: 30 agreed, 1 set aside" (statuses with no record left out)."""
    total = sum(counts.values())
    parts = [f"{counts[s]} {status_word(s)}" for s in order if counts.get(s)]
    return f"{plural(total, word)}: {', '.join(parts)}" if parts else f"no {word}s listed"


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: frozenset[int] = frozenset(),
    *,
    reflow: bool = True,
) -> str:
    """A table (cells already HTML) in its own horizontal scroll container.

    With `reflow`, on a narrow screen each row becomes a block of labelled lines.
    """
    head = "".join(
        f'<th scope="col"{" class=num" if i in numeric else ""}>{esc(h)}</th>'
        for i, h in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-label="{esc(header[i])}"{" class=num" if i in numeric else ""}>{cell}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    kind = ' class="reflow"' if reflow else ""
    return (
        f'<div class="table-wrap" tabindex="0"><table{kind}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


_CODE = re.compile(r"`([^`\n]+)`")


def prose(text: str) -> str:
    """Text from the data as HTML: escaped, and a `field` name in backticks set as code
    (a reader sees the name, not Markdown)."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", esc(text))


def paragraphs(text: str) -> str:
    """Text from the data as paragraphs (blank lines separate them)."""
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{prose(p)}</p>" for p in parts)


# ------------------------------------------------------------------------------ chart


PATTERNS = {UNDETERMINED: "url(#{key}-hatch)", DISPUTED: "url(#{key}-dots)"}
SWATCHES = {
    UNDETERMINED: "background:repeating-linear-gradient(45deg,#6d28d9 0 2px,#ede9fe 2px 5px)",
    DISPUTED: "background:radial-gradient(circle,#a21caf 35%,#fae8ff 40%) 0 0/6px 6px",
}


def chart_svg(months: Sequence[MonthProgress], what: str, key: str, axis: Axis = ADOPTION) -> str:
    """Stacked monthly bars of statuses as inline SVG, with a title and a description.

    `what` names the records ("roadmaps"); `key` keeps the SVG ids unique on the page;
    `axis` says what is counted. Undetermined months are hatched, set-aside ones light grey,
    disputed ones dotted: distinct without colour.
    """
    order = axis.order
    if not months:
        return f"<p>No dated {esc(what)} events to chart.</p>"
    width, height = 640, 320
    left, right, top, bottom = 48, 8, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(sum(m.counts.values()) for m in months) or 1
    step = 10 if peak > 40 else 5 if peak > 8 else 1
    scale_top = -(-peak // step) * step
    bar = plot_w / len(months)
    first, last = months[0], months[-1]
    title = (
        f"{what.capitalize()} by {axis.by} at the end of each month, {first.label} to {last.label}"
    )
    desc = (
        f"Stacked bars, one a month. At the end of {first.label}: "
        f"{counts_sentence(first.counts, what[:-1], order)}. At the end of {last.label}: "
        f"{counts_sentence(last.counts, what[:-1], order)}. {axis.reading}"
    )
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{key}-title">{esc(title)}</title>',
        f'<desc id="{key}-desc">{esc(desc)}</desc>',
        "<defs>"
        f'<pattern id="{key}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ede9fe"/>'
        '<rect width="3.5" height="8" fill="#6d28d9"/></pattern>'
        f'<pattern id="{key}-dots" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#fae8ff"/><circle cx="4" cy="4" r="2.4" '
        'fill="#a21caf"/></pattern>'
        "</defs>",
        '<g font-size="19" fill="#374151" font-family="system-ui,sans-serif">',
    ]
    for value in range(0, scale_top + 1, step):
        y = top + plot_h - plot_h * value / scale_top
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text x="{left - 6}" y="{y + 6:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    # Each January is labelled with its year; the first month too, unless a year's label
    # follows too closely (the title names the first month anyway).
    # A label that would run past the right edge is left out.
    ticks = {
        i: str(m.month.year)
        for i, m in enumerate(months)
        if m.month.month == 1 and i * bar + 48 <= plot_w + right
    }
    if 0 not in ticks and all(i * bar >= 84 for i in ticks):
        ticks[0] = first.label
    for index, month in enumerate(months):
        x = left + index * bar
        y = top + plot_h
        parts = [f"{month.counts[s]} {status_word(s)}" for s in order if month.counts.get(s)]
        out.append(f"<g><title>{esc(month.label)}: {esc(', '.join(parts))}</title>")
        for status in order:
            count = month.counts.get(status, 0)
            if not count:
                continue
            h = plot_h * count / scale_top
            y -= h
            fill = PATTERNS.get(status, LOOKS[status].fill).format(key=key)
            out.append(
                f'<rect x="{x + bar * 0.08:.1f}" y="{y:.1f}" width="{bar * 0.84:.1f}" '
                f'height="{h:.1f}" fill="{fill}"/>'
            )
        out.append("</g>")
        if index in ticks:
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 6}" '
                f'stroke="#374151"/><text x="{x:.1f}" y="{height - 14}">{esc(ticks[index])}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#374151"/></g></svg>'
    )
    return "".join(out)


def legend(months: Sequence[MonthProgress], axis: Axis = ADOPTION) -> str:
    """The chart's key in words, for the statuses the chart shows."""
    shown = [s for s in axis.order if any(m.counts.get(s) for m in months)]
    items = []
    for status in shown:
        style = SWATCHES.get(status, f"background:{LOOKS[status].fill}")
        items.append(
            f'<li><span class="swatch" style="{style}"></span>{esc(status_word(status))}</li>'
        )
    return f'<ul class="legend" aria-label="Key">{"".join(items)}</ul>'


def chart_figure(
    months: Sequence[MonthProgress], what: str, key: str, axis: Axis = ADOPTION
) -> str:
    """The chart, its key and the numbers behind it (a table in a disclosure)."""
    if not months:
        return f"<p>No dated {esc(what[:-1])} events to chart.</p>"
    statuses = [s for s in axis.order if any(m.counts.get(s) for m in months)]
    rows = [[esc(m.label), *(str(m.counts.get(s, 0)) for s in statuses)] for m in months]
    numbers = table(
        ["month", *(status_word(s) for s in statuses)],
        rows,
        frozenset(range(1, len(statuses) + 1)),
    )
    return (
        f"<figure><figcaption>{esc(what.capitalize())} by {axis.by}, month by month"
        f"</figcaption>{chart_svg(months, what, key, axis)}{legend(months, axis)}"
        f"<details><summary>The numbers behind the chart</summary>{numbers}</details></figure>"
    )


# ------------------------------------------------------------------------------- site


class _Site:
    """Builds every page of one dataset; pages link to each other by site path."""

    def __init__(self, dataset: Dataset, base_url: str | None = None) -> None:
        self.dataset = dataset
        self.base_url = base_url
        self.sources = {s.id: s for s in dataset.sources}
        self.documents = {d.id: d for d in dataset.documents}
        self.summary = summarise(dataset)
        self.memo = Memo()  # the rows each count is over, shared by every count of a day
        self.conditions = self.summary.conditions
        self.rows = {
            r.roadmap.id: r
            for kind in (dataset.roadmaps, dataset.programs, dataset.directions)
            for r in states(dataset, None, kind)
        }
        self.events = timeline(dataset)
        self.events_of: dict[tuple[str, str], list[TimelineEvent]] = {}
        for event in self.events:
            self.events_of.setdefault((event.subject, event.kind), []).append(event)
        pages = ["index.html", "conditions.html", *map(doc_path, dataset.documents)]
        self.page_rank = {page: i for i, page in enumerate(pages)}  # where each comes
        self.page_names = {doc_path(d): doc_name(d) for d in dataset.documents}
        self.page_names.update({"index.html": "Overview", "conditions.html": "Conditions"})
        self.publishers = sorted({s.publisher for s in dataset.sources}, key=str.casefold)
        self.condition_titles = {c.id: c.title for c in dataset.conditions}
        self.cited_on: dict[str, set[str]] = {}  # source id: pages citing it
        self.places = {  # where each record stands among those of its kind
            (d.KIND, d.id): i
            for kind in (dataset.roadmaps, dataset.programs, dataset.directions)
            for i, d in enumerate(kind)
        }

    # ----------------------------------------------------------------- page frame

    def page(self, here: str, title: str, body: str, description: str) -> str:
        """A whole HTML document around `body`, with the site's header and footer."""
        nav = [
            ("index.html", "Overview"),
            ("roadmaps.html", "Roadmaps"),
            ("programs.html", "Programs"),
            *([("directions.html", "Main Directions")] if self.dataset.directions else []),
            ("conditions.html", "Conditions"),
            ("sources.html", "Sources"),
        ]
        items = "".join(
            f"<li>{link(here, path, esc(text))}</li>"
            if path != here
            else f'<li><a href="#main" aria-current="page">{esc(text)}</a></li>'
            for path, text in nav
        )
        full_title = title if here == "index.html" else f"{title} — {SITE}"
        cited = "Overview" if here == "index.html" else title
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(full_title)}</title>\n"
            f'<meta name="description" content="{esc(description)}">\n'
            f'<meta name="generator" content="unionstate {esc(__version__)}">\n'
            '<link rel="alternate" type="application/atom+xml" title="Changes to the record" '
            f'href="{esc(self.href(here, FEED))}">\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n"
            '<a class="skip" href="#main">Skip to the content</a>\n'
            f'<header class="site"><p>{link(here, "index.html", esc(SITE))}</p>'
            f'<nav aria-label="Site"><ul>{items}</ul></nav></header>\n'
            f'<main id="main">\n{body}\n</main>\n'
            f'<footer class="site">{self.cite_line(here, cited)}{self.credit(here)}</footer>\n'
            "</body>\n</html>\n"
        )

    def cite_line(self, here: str, title: str) -> str:
        """How to cite the page: its title, the site, the record's date, its address."""
        address = f" {esc(self.url(here))}" if self.base_url else ""
        return (
            f'<p class="cite" id="cite">Cite this page: {esc(title)}. {esc(SITE)}, record as of '
            f"{esc(self.dataset.as_of.isoformat())}.{address}</p>"
        )

    def credit(self, here: str) -> str:
        """Where the facts come from, and what made the page."""
        publishers = self.publishers
        shown = ", ".join(esc(p) for p in publishers[:8])
        more = f" and {len(publishers) - 8} more" if len(publishers) > 8 else ""
        return (
            f"<p>Record as of <strong>{esc(self.dataset.as_of.isoformat())}</strong>. "
            f"Facts from {plural(len(self.dataset.sources), 'published source')} "
            f"({shown}{more}): {link(here, 'sources.html', 'list of sources')}. "
            "Each dated event links the sources it cites.</p>"
            f"<p>Generated by unionstate {esc(__version__)} from the dataset "
            f"“{esc(self.dataset.title)}”.</p>"
        )

    # ----------------------------------------------------------------- shared pieces

    def url(self, path: str) -> str:
        """A site path as a link from the site root: absolute under --base-url."""
        return f"{self.base_url}{path}" if self.base_url else path

    def href(self, here: str, path: str) -> str:
        """A link from page `here` to a site path: absolute under --base-url, else relative."""
        if self.base_url:
            return self.url(path)
        return posixpath.relpath(path, posixpath.dirname(here) or ".")

    def cite(self, here: str, ids: Sequence[str]) -> str:
        """Sources as real links (publisher, date), remembered for the sources page."""
        links = []
        for source_id in ids:
            source = self.sources.get(source_id)
            if source is None:
                continue
            self.cited_on.setdefault(source_id, set()).add(here)
            links.append(self.source_link(source))
        return f'<span class="cites">Sources: {", ".join(links)}</span>' if links else ""

    def source_link(self, source: Source) -> str:
        """A source as the record knows it: “title”, publisher, date, linked to its page on
        the web (plain text if the URL is not http(s))."""
        name = source_label(source)
        url = safe_url(source.url)
        return f'<a href="{esc(url)}">{esc(name)}</a>' if url else esc(name)

    def doc_link(self, here: str, document: Document) -> str:
        """A link to a record's page: "Roadmap 14: Single gas market"."""
        return link(here, doc_path(document), esc(f"{doc_name(document)}: {document.title}"))

    def timeline(self, here: str, events: Sequence[TimelineEvent]) -> str:
        """Dated events, oldest first: a status change or an assessment with its badge, an
        observation (it changes nothing) marked as a note."""
        items = []
        for event in events:
            cites = self.cite(here, event.sources)
            mark = badge(event.status) if event.status else badge("noted")
            items.append(f"<li>{when_html(event.date)}{mark}<p>{prose(event.note)}</p>{cites}</li>")
        return f'<ol class="timeline">{"".join(items)}</ol>'

    def history_of(self, subject: str, kind: str) -> list[TimelineEvent]:
        """One record's events, observations and assessments, oldest first."""
        return list(self.events_of.get((subject, kind), []))

    def assessment(self, here: str, a: Assessment) -> str:
        """An assessment in one line: state, who (side) and the figure, when, note, sources."""
        note = f" {prose(a.note)}" if a.note else ""
        return (
            f"{badge(a.state.value)} {esc(assessed(a))}, {when_html(a.date)}{note} "
            f"{self.cite(here, a.sources)}"
        )

    def standing(self, here: str, standing: Implementation | None) -> str:
        """The implementation on the record's date: its state and the assessment behind it,
        or every assessment of a dispute."""
        if standing is None:
            return "—"
        if standing.state == UNDETERMINED:
            return f"{badge(UNDETERMINED)} no assessment covers this date"
        said = "<br>".join(self.assessment(here, a) for a in standing.assessments)
        if standing.state == DISPUTED:
            return f"{badge(DISPUTED)} assessors who spoke at the same time disagree:<br>{said}"
        return said

    def targets(self, here: str, targets: Sequence[TargetState]) -> str:
        """Targets as a table: state, latest planned date, earlier ones, outcome."""
        if not targets:
            return ""
        rows = []
        for t in targets:
            target, due = t.target, t.due
            index = target.due.index(due)
            who = f" by {esc(due.by)}" if due.by else ""
            planned = (
                f"{when_html(due.date)}<br><span class=note>set{who} {when_html(due.set)}</span>"
                f" {self.cite(here, due.sources)}"
            )
            moved = "<br>".join(
                f"{when_html(d.date)} <span class=note>(set {when_html(d.set)})</span>"
                for d in target.due[:index]
            )
            outcome = target.outcome
            if outcome is not None and t.state in ("met", "missed"):
                note = f" {prose(outcome.note)}" if outcome.note else ""
                ended = (
                    f"{badge(outcome.state)} {when_html(outcome.date)}{note} "
                    f"{self.cite(here, outcome.sources)}"
                )
            else:
                ended = "none recorded"
            note = f"<br>{prose(target.note)}" if target.note else ""
            rows.append(
                [f"<strong>{esc(target.title)}</strong>{note}", badge(t.state), planned,
                 moved or "—", ended]
            )  # fmt: skip
        return (
            '<h2 id="targets">Targets</h2><p>What is to be achieved by a planned date; a target '
            "is overdue once its latest planned date has passed with no outcome recorded.</p>"
            + table(["target", "state", "due", "moved from", "outcome"], rows)
        )

    # ------------------------------------------------------------------- the pages

    def build(self) -> Pages:
        """Every page, keyed by its path relative to the site root."""
        pages: Pages = {}
        for document in self.dataset.documents:
            pages[doc_path(document)] = self.document_page(document)
        pages["conditions.html"] = self.conditions_page()
        pages["roadmaps.html"] = self.list_page(self.dataset.roadmaps, "roadmaps.html")
        pages["programs.html"] = self.list_page(self.dataset.programs, "programs.html")
        if self.dataset.directions:
            pages["directions.html"] = self.list_page(self.dataset.directions, "directions.html")
        pages["index.html"] = self.index_page()
        pages["sources.html"] = self.sources_page()  # last: it lists where each is cited
        pages[FEED] = self.feed()
        pages.update(self.downloads())
        return dict(sorted(pages.items()))

    def index_page(self) -> str:
        """The overview: status of both kinds, the chart, figures, conditions, gaps."""
        here = "index.html"
        d = self.dataset
        roadmaps = counts(states(d))
        programs = counts(states(d, None, d.programs))
        body = [
            f"<h1>{esc(SITE)}</h1>",
            f'<p class="lead">{esc(d.title)}</p>',
            f'<p class="asof">Record as of <time datetime="{d.as_of.isoformat()}">'
            f"{esc(d.as_of.isoformat())}</time>.</p>",
            self.still_open(here),
            '<h2 id="status">Where they stand</h2>',
            f"<p>{link(here, 'roadmaps.html', 'Roadmaps')} (drafted in 2019): "
            f"{esc(counts_sentence(roadmaps, 'roadmap'))}.</p>",
            status_strip(roadmaps),
        ]
        if d.programs:
            implemented = self.summary.programs_implementation
            body += [
                f"<p>{link(here, 'programs.html', 'Union programs')} (2021): "
                f"{esc(counts_sentence(programs, 'program'))}.</p>",
                status_strip(programs),
                f"<p>Implementation of the programs: {esc(states_sentence(implemented))}.</p>",
                status_strip(implemented, tuple(implemented)),
            ]
        body.append('<h2 id="progress">Progress over time</h2>')
        charts = chart_figure(progress_by_month(d), "roadmaps", "chart-roadmaps")
        if d.programs:
            charts += chart_figure(progress_by_month(d, d.programs), "programs", "chart-programs")
            charts += chart_figure(
                implementation_by_month(d), "programs", "chart-implementation", IMPLEMENTATION
            )
        body.append(
            f'<div class="grid"><div>{charts}{self.agreement_counts(here)}</div>'
            f"<div>{self.implementation(here)}</div></div>"
        )
        body.append(self.open_conditions(here))
        body.append(self.open_questions(here))
        body.append(self.data_section(here))
        body.append(
            '<h2 id="about">About this record</h2>'
            f"{paragraphs(d.description)}<h3>Numbering</h3>{paragraphs(d.numbering)}"
        )
        description = (
            f"{SITE}: status of the roadmaps and union programs as of {d.as_of.isoformat()}"
        )
        return self.page(
            here, f"{SITE} — record as of {d.as_of.isoformat()}", "".join(body), description
        )

    def still_open(self, here: str) -> str:
        """What is still open, as `summary` opens: every unresolved record and why, the Main
        Directions' progress, the disputes, the open demands."""
        summary = self.summary
        day = summary.as_of.isoformat()
        parts = [
            '<section class="open" aria-labelledby="open"><h2 id="open">What is still open</h2>'
        ]
        if not summary.open:
            parts.append(f"<p>Nothing is unresolved on {esc(day)}.</p></section>")
            return "".join(parts)
        verb = "is" if len(summary.open) == 1 else "are"
        parts.append(
            f"<p>On {esc(day)}, {plural(len(summary.open), 'record')} {verb} unresolved: "
            "not adopted, not known to be implemented, a target open or overdue, or tied to "
            "an open demand.</p>"
        )
        if summary.directions:
            items = [
                f"<li>{self.doc_link(here, r.roadmap)}: {badge(r.label)}; "
                f"{self.standing(here, r.implementation)}</li>"
                for r in summary.directions
            ]
            parts.append(f'<h3>Main Directions</h3><ul class="plain">{"".join(items)}</ul>')
        if summary.disputes:
            items = [
                f"<li>{self.doc_link(here, r.roadmap)}: "
                f"{self.standing(here, r.implementation)}</li>"
                for r in summary.disputes
            ]
            parts.append(f'<h3>Disputed</h3><ul class="plain">{"".join(items)}</ul>')
        demands = summary.open_demands
        if demands:
            items = []
            for report in demands:
                held = f" holds up {self.named(here, report.blocks)}" if report.blocks else ""
                items.append(f"<li>{self.condition_link(here, report.condition.id)}{held}</li>")
            parts.append(
                f'<h3>Open demands, {len(demands)}</h3><ul class="plain">{"".join(items)}</ul>'
            )
        order = {"directions": 0, "program": 1, "roadmap": 2}
        ranked = sorted(summary.open, key=lambda r: order.get(r.roadmap.KIND, 3))
        quiet = {("implementation-undetermined",), ("adoption-undetermined",)}
        loud = [r for r in ranked if r.unresolved_because not in quiet]
        rows = [
            [self.doc_link(here, r.roadmap), self.reasons(here, r), badge(r.label),
             self.standing(here, r.implementation)]
            for r in loud
        ]  # fmt: skip
        if rows:
            parts.append(
                "<h3>Records and why</h3>"
                + table(["record", "why it is open", "adoption", "implementation"], rows)
            )
        groups: dict[tuple[str, ...], list[RoadmapState]] = {}
        for r in ranked:
            if r.unresolved_because in quiet:
                groups.setdefault(r.unresolved_because, []).append(r)
        for reasons, group in groups.items():
            words = ", ".join(REASONS[code] for code in reasons)
            names = ", ".join(self.short_link(here, r.roadmap) for r in group)
            parts.append(f"<p>{plural(len(group), 'more record')} ({esc(words)}): {names}.</p>")
        parts.append("</section>")
        return "".join(parts)

    def reasons(self, here: str, row: RoadmapState) -> str:
        """Why a record is unresolved, in words, with its open demands and overdue targets."""
        out = esc(", ".join(REASONS[code] for code in row.unresolved_because))
        if row.open_conditions:
            named = ", ".join(self.condition_link(here, c) for c in row.open_conditions)
            out += f" ({named})"
        overdue = [t.target.title for t in row.targets if t.state == "overdue"]
        if overdue:
            out += "; overdue: " + esc("; ".join(overdue))
        following = [self.documents[i] for i in self.successor_ids(row)]
        if following:
            out += "; continued by " + ", ".join(self.short_link(here, p) for p in following)
        return out

    def condition_link(self, here: str, condition_id: str) -> str:
        """A condition by its title, linked to its section of the conditions page."""
        title = self.condition_titles.get(condition_id, condition_id)
        return link(here, f"conditions.html#{condition_id}", esc(title))

    def successor_ids(self, row: RoadmapState) -> list[str]:
        """The ids of the programs that continue a roadmap row (`RoadmapState.successors`)."""
        numbers = set(row.successors)
        return [p.id for p in self.dataset.programs if f"P{p.number}" in numbers]

    def short_link(self, here: str, document: Document) -> str:
        """A record by its number ("P25", "Roadmap 3"), titled, linked to its page."""
        short = f"{document.PREFIX}{document.number}" if document.PREFIX else doc_name(document)
        return link(here, doc_path(document), esc(short), title=document.title)

    def implementation(self, here: str) -> str:
        """The implementation figures officials reported, newest last, with a bar each."""
        figures = [m for m in self.dataset.milestones if is_implementation(m)]
        if not figures:
            return '<h3 id="figures">Reported implementation</h3><p>None reported.</p>'
        rows = []
        for m in figures:
            share = figure_share(m)
            bar = (
                f'<span class="bar" role="img" aria-label="{share:.0f} percent">'
                f'<span style="width:{share:.1f}%"></span></span>'
                if share is not None
                else ""
            )
            about = ""
            if m.subject and m.subject in self.documents:
                about = f"<br>About {self.doc_link(here, self.documents[m.subject])}"
            who = f"<br>{esc(m.speaker)}" if m.speaker else ""
            rows.append(
                [
                    when_html(m.date),
                    f"<strong>{esc(figure_value(m))}</strong>{bar}",
                    f"“{esc(m.reported)}”{who}{about}<br>{self.cite(here, m.sources)}",
                ]
            )
        return (
            '<h3 id="figures">Reported implementation</h3>'
            "<p>Figures officials gave for carrying out the programs, in their own words.</p>"
            + table(["date", "figure", "as reported"], rows)
        )

    def agreement_counts(self, here: str) -> str:
        """The counts of agreed and open documents officials reported, beside the record's."""
        rows = []
        for m in self.dataset.milestones:
            if is_implementation(m):
                continue
            check = compare_milestone(self.dataset, m, self.memo)
            if check.consistent is None:
                verdict = "not a count the record can check"
            else:
                low, high = check.agreed_range
                agreed = f"{low}" if low == high else f"{low}–{high}"
                day = "that date"
                if check.on is not None and m.date.earliest != m.date.last:
                    day = check.on.isoformat()  # a window: the day of it that was read
                verdict = (
                    f"the record: {agreed} of {check.listed} {esc(m.unit)} agreed on {day} — "
                    + ("consistent" if check.consistent else "<strong>a contradiction</strong>")
                )
            who = f"<br>{esc(m.speaker)}" if m.speaker else ""
            rows.append(
                [
                    when_html(m.date),
                    f"“{esc(m.reported)}”{who}<br>{self.cite(here, m.sources)}",
                    verdict,
                ]
            )
        if not rows:
            return ""
        return (
            '<h3 id="counts">Counts officials reported</h3>'
            "<p>How many roadmaps or programs officials said were agreed or open, beside "
            "what this record gives for the same date.</p>"
            + table(["date", "as reported", "checked against the record"], rows)
        )

    def open_conditions(self, here: str) -> str:
        """Belarus's open conditions and the records each one holds up."""
        reports = [r for r in self.conditions if r.status == "open"]
        if not reports:
            return '<h2 id="conditions">Open conditions</h2><p>No condition is open.</p>'
        items = []
        for r in reports:
            held = self.held_up(here, r)
            others = [i for i in (*r.roadmaps, *r.programs) if i not in r.blocks]
            holds = f"Holds up {held}." if r.blocks else "Holds up no record now."
            also = f" {'Also linked' if r.blocks else 'Linked'} to {self.named(here, others)}."
            items.append(
                f"<li>{link(here, f'conditions.html#{r.condition.id}', esc(r.condition.title))} "
                f"{badge(r.status)} {holds}{also if others else ''}</li>"
            )
        return (
            '<h2 id="conditions">Open conditions</h2>'
            "<p>Belarus's conditions for signing, still open, and what they hold up.</p>"
            f"<ul>{''.join(items)}</ul>"
        )

    def open_questions(self, here: str) -> str:
        """The known gaps of the record."""
        questions = self.dataset.open_questions
        if not questions:
            return ""
        items = []
        for q in questions:
            note = f"<p>{esc(q.note)}</p>" if q.note else ""
            items.append(
                f'<li id="q-{esc(q.id)}"><strong>{esc(q.question)}</strong>{note}'
                f"{self.cite(here, q.sources)}</li>"
            )
        return (
            '<h2 id="gaps">Known gaps</h2>'
            "<p>What the record does not know, kept visible instead of guessed.</p>"
            f"<ul>{''.join(items)}</ul>"
        )

    def held_up(self, here: str, report: ConditionReport) -> str:
        """The records a condition holds up, each with why it is unresolved."""
        parts = []
        for record_id in report.blocks:
            why = ", ".join(REASONS[c] for c in report.because.get(record_id, ()))
            named = self.named(here, [record_id])
            parts.append(f"{named} ({esc(why)})" if why else named)
        return "; ".join(parts)

    def named(self, here: str, ids: Iterable[str]) -> str:
        """Records by id as links to their pages, joined with commas."""
        return ", ".join(
            self.doc_link(here, self.documents[i]) if i in self.documents else esc(i) for i in ids
        )

    def list_page(self, documents: Sequence[Document], here: str) -> str:
        """All roadmaps (programs, Main Directions) in one table: number, title, sphere,
        status, implementation, last event, succession."""
        kind = here.removesuffix(".html")
        implemented = kind != "roadmaps"
        rows = []
        for document in documents:
            row = self.rows[document.id]
            title = esc(document.title) + ("" if document.title_confirmed else "*")
            if document.title_basis is TitleBasis.RECONSTRUCTED:
                title += " <em>(reconstructed)</em>"
            cells = [
                esc(f"{document.PREFIX}{document.number}"),
                link(here, doc_path(document), title),
                esc(document.sphere),
                badge(row.label),
            ]
            if implemented:
                cells.append(badge(row.implementation.state) if row.implementation else "—")
            cells.append(when_html(row.last_event))
            if kind != "directions":
                cells.append(self.succession_cell(here, document))
            rows.append(cells)
        intro, heading, word = {
            "roadmaps": (
                "The sectoral integration roadmaps drafted in 2019.",
                "Roadmaps",
                "roadmap",
            ),
            "programs": (
                "The union programs of 2021, into which the roadmaps were reformatted.",
                "Union programs",
                "program",
            ),
            "directions": (
                "The Main Directions documents: the programmes of integration of their years.",
                "Main Directions",
                "Main Directions record",
            ),
        }[kind]
        counted = counts(self.rows[d.id] for d in documents)
        header = ["no.", "title", "sphere", "adoption" if implemented else "status"]
        if implemented:
            header.append("implementation")
        header.append("last event")
        if kind != "directions":
            header.append("continues" if kind == "programs" else "continued by")
        facts = f"<p>{esc(counts_sentence(counted, word))}"
        if implemented:
            by_state = implementation_counts(self.rows[d.id] for d in documents)
            facts += f"; implementation: {esc(states_sentence(by_state, word))}"
        body = (
            f"<h1>{heading}</h1><p>{esc(intro)}</p>"
            f"{facts} (as of {esc(self.dataset.as_of.isoformat())}).</p>"
            + table(header, rows)
            + "<p class=note>* A descriptive title: no source gives the official one. "
            "<em>Reconstructed</em>: no source names the record at all; it is inferred.</p>"
        )
        return self.page(here, heading, body, f"{heading}: {intro}")

    def succession_cell(self, here: str, document: Document) -> str:
        """The roadmaps a program continues, or the programs that continue a roadmap, by
        number, each marked when it is only a hypothesis."""
        if isinstance(document, Program):
            others: list[Document] = [self.documents[i] for i in document.succeeds]
            guessed = document.succession == "hypothesis"
            marks = [guessed] * len(others)
        else:
            following = successors(self.dataset, document)
            others = list(following)
            marks = [p.succession == "hypothesis" for p in following]
        parts = [
            self.short_link(here, o)
            + (' <span class="hypothesis">(hypothesis)</span>' if guess else "")
            for o, guess in zip(others, marks, strict=True)
        ]
        return ", ".join(parts) if parts else "—"

    def document_page(self, document: Document) -> str:
        """One record: both axes, facts, succession, targets, history with sources."""
        here = doc_path(document)
        name = doc_name(document)
        d = self.dataset
        row = self.rows[document.id]
        facts = [
            (
                "Adoption" if row.implementation is not None else "Status",
                f"{badge(row.label)} (as of {esc(d.as_of.isoformat())})",
            ),
        ]
        if row.implementation is not None:
            facts.append(("Implementation", self.standing(here, row.implementation)))
        if row.unresolved_because:
            facts.append(("Still open", self.reasons(here, row)))
        facts += [
            ("Sphere", esc(document.sphere)),
            ("Title", esc(document.title_basis.words)),
        ]
        if document.linked_conditions:
            linked = []
            for condition_id in document.linked_conditions:
                condition = d.condition_by_id(condition_id)
                linked.append(
                    f"{link(here, f'conditions.html#{condition.id}', esc(condition.title))} "
                    f"{badge(condition.status.value)}"
                )
            facts.append(("Linked conditions", "<br>".join(linked)))
        if isinstance(document, Program):
            if document.succeeds:
                kind = document.succession or "reported"
                known = (
                    '<span class="hypothesis">hypothesis</span>: no source says so'
                    if kind == "hypothesis"
                    else "reported by a source"
                )
                facts.append(("Continues", f"{self.named(here, document.succeeds)} ({known})"))
            else:
                facts.append(("Continues", "no 2019 roadmap recorded"))
            part_of = [x for x in d.directions if document.id in x.contains]
            if part_of:
                facts.append(("Part of", ", ".join(self.doc_link(here, x) for x in part_of)))
        elif isinstance(document, Directions):
            contains = ", ".join(
                self.short_link(here, self.documents[i])
                for i in document.contains
                if i in self.documents
            )
            facts.append(("Contains", contains or "no program recorded"))
        else:
            following = successors(d, document)
            if following:
                parts = []
                for program in following:
                    known = (
                        '<span class="hypothesis">hypothesis</span>'
                        if program.succession == "hypothesis"
                        else "reported"
                    )
                    parts.append(f"{self.doc_link(here, program)} ({known})")
                facts.append(("Continued by", "<br>".join(parts)))
        facts += [(name, esc(text)) for name, text in other_fields(document, LAID_OUT)]
        dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
        notes = f"<h2>Notes</h2>{paragraphs(document.notes)}" if document.notes.strip() else ""
        siblings = d.kind_of(document)
        neighbours = self.neighbours(here, document, siblings)
        body = (
            f"<h1>{esc(name)}: {esc(document.title)}</h1>"
            f'<dl class="facts">{dl}</dl>{self.targets(here, row.targets)}{notes}'
            f"<h2>History</h2><p>Dated events, assessments and observations, oldest first; "
            "each date as the record gives it (~ about, ≤ no later than, ≥ not before); an "
            "observation changes no status.</p>"
            f"{self.timeline(here, self.history_of(document.id, document.KIND))}{neighbours}"
        )
        description = f"{name}: {document.title} — {status_word(row.label)}"
        return self.page(here, f"{name}: {document.title}", body, description)

    def neighbours(self, here: str, document: Document, siblings: Sequence[Document]) -> str:
        """Links to the previous and next record of the same kind."""
        index = self.places[document.KIND, document.id]
        parts = []
        if index > 0:
            parts.append("Previous: " + self.doc_link(here, siblings[index - 1]))
        if index + 1 < len(siblings):
            parts.append("Next: " + self.doc_link(here, siblings[index + 1]))
        return f'<nav aria-label="Neighbours"><p>{" · ".join(parts)}</p></nav>' if parts else ""

    def conditions_page(self) -> str:
        """Every condition: status, description, what it holds up, its history."""
        here = "conditions.html"
        sections = []
        for r in sorted(self.conditions, key=lambda rep: rep.status != "open"):
            c = r.condition
            linked = self.named(here, (*r.roadmaps, *r.programs)) or "none"
            held = self.held_up(here, r) or "nothing now"
            sections.append(
                f'<section id="{esc(c.id)}" aria-labelledby="h-{esc(c.id)}">'
                f'<h2 id="h-{esc(c.id)}">{esc(c.title)}</h2>'
                f'<dl class="facts"><dt>Status</dt><dd>{badge(r.status)}'
                f"{'' if r.demand else ' (a standing red line, not a demand)'}</dd>"
                f"<dt>Holds up</dt><dd>{held}</dd><dt>Linked to</dt><dd>{linked}</dd></dl>"
                f"{paragraphs(c.description)}{self.cite(here, c.sources)}"
                f"<h3>History</h3>{self.timeline(here, self.history_of(c.id, 'condition'))}"
                "</section>"
            )
        body = (
            "<h1>Conditions</h1><p>Belarus's conditions, open or resolved; an open demand "
            "holds up every linked record that is unresolved, and a standing red line holds "
            "up nothing.</p>" + "".join(sections)
        )
        return self.page(here, "Conditions", body, "Belarus's linked conditions and their history")

    def sources_page(self) -> str:
        """Every source with its link and the pages that cite it."""
        here = "sources.html"
        items = []
        for s in sorted(self.dataset.sources, key=lambda s: (s.publisher.casefold(), s.id)):
            url = safe_url(s.url)
            address = f'<a class="url" href="{esc(url)}">{esc(url)}</a>' if url else esc(s.url)
            bits = [f"<strong>{esc(s.publisher)}</strong>"]
            if s.reprint_of:
                bits.append(f"reprint of {esc(s.reprint_of)}")
            if s.date:
                bits.append(esc(s.date.isoformat()))
            title = f"<br>“{esc(s.title)}”" if s.title else ""
            pages = sorted(self.cited_on.get(s.id, set()), key=self.page_order)
            cited_html = (
                "<br><span class=cites>Cited on: "
                + ", ".join(link(here, page, esc(self.page_name(page))) for page in pages)
                + "</span>"
                if pages
                else ""
            )
            items.append(
                f'<li id="{esc(s.id)}">{", ".join(bits)}{title}<br>{address}{cited_html}</li>'
            )
        body = (
            f"<h1>Sources</h1><p>The {plural(len(self.dataset.sources), 'publication')} "
            "the record is built from, by publisher.</p>"
            f'<ul class="sources">{"".join(items)}</ul>'
        )
        return self.page(here, "Sources", body, "The publications the record cites")

    # -------------------------------------------------------------- the downloads

    def download_list(self) -> list[tuple[str, str]]:
        """(site path, what it holds) of every data file, as `unionstate export` writes them."""
        d = self.dataset
        out = [("data/record.json", "the whole record as JSON, the same as the JSON export")]
        for name, records, word in (
            ("roadmaps", d.roadmaps, f"roadmap, with its status on {d.as_of}"),
            ("programs", d.programs, f"program, with its status on {d.as_of}"),
            ("directions", d.directions, f"Main Directions record, with its status on {d.as_of}"),
            ("conditions", d.conditions, "condition, with what it holds up"),
            ("events", d.documents, "dated event of every record"),
            ("counts", d.milestones, "count officials reported, beside the record's"),
            ("sources", d.sources, "source"),
        ):
            if records:
                out.append((f"data/{name}.csv", f"one row per {word}, as CSV"))
        return out

    def downloads(self) -> Pages:
        """The data behind the site: the JSON export and each table of the CSV export."""
        d = self.dataset
        files = {"data/record.json": to_json(dataset_object(d))}
        for path, _ in self.download_list()[1:]:
            files[path] = csv_table(d, posixpath.basename(path).removesuffix(".csv"))
        return files

    def data_section(self, here: str) -> str:
        """The overview's list of downloads and of the feed."""
        items = [
            f"<li>{link(here, path, esc(posixpath.basename(path)))}: {esc(what)}</li>"
            for path, what in self.download_list()
        ]
        items.append(
            f"<li>{link(here, FEED, 'feed.xml')}: the record's dated changes as an Atom "
            "feed, newest first, for a feed reader</li>"
        )
        return (
            '<h2 id="data">The data behind this site</h2>'
            "<p>To reuse, check or follow the record:</p>"
            f'<ul class="plain">{"".join(items)}</ul>'
        )

    # ------------------------------------------------------------------- the feed

    def feed(self) -> str:
        """The record's changes as Atom, newest first: each dated event, observation,
        assessment and reported count, linked to its page and its sources."""
        d = self.dataset
        milestones = {m.reported: m for m in d.milestones}
        dated = []
        for index, event in enumerate(self.events):
            updated = min(event.date.last, d.as_of)
            dated.append((updated, index, event))
        dated.sort(key=lambda item: (item[0], item[1]), reverse=True)
        entries = []
        for updated, _, event in dated:
            name, page = self.event_page(event, milestones)
            if event.kind == "milestone":
                what = "reported"
            elif event.status is None:
                what = "noted"
            elif event.status in IMPLEMENTATION_STATES:
                what = f"implementation {status_word(event.status)}"
            else:
                what = status_word(event.status)
            links = [feed.Link(self.url(page), type="text/html")]
            for source_id in event.sources:
                source = self.sources.get(source_id)
                url = safe_url(source.url) if source else None
                if source is not None and url:
                    links.append(feed.Link(url, "related", title=source_label(source)))
            summary = event.note or name
            entries.append(
                feed.Entry(
                    key="\n".join((event.kind, event.subject, event.date.text,
                                   event.status or "", event.note)),
                    title=f"{event.date.display} · {name}: {what}",
                    updated=updated,
                    summary=summary,
                    links=links,
                )
            )  # fmt: skip
        return feed.atom(
            title=f"{SITE}: changes to the record",
            subtitle=d.title,
            feed_id=self.url(FEED) if self.base_url else feed.urn(f"feed\n{d.title}"),
            updated=d.as_of,
            author=d.title,
            generator=f"unionstate {__version__}",
            home=self.url("index.html"),
            self_href=self.url(FEED) if self.base_url else None,
            entries=entries,
        )

    def event_page(self, event: TimelineEvent, milestones: dict[str, Milestone]) -> tuple[str, str]:
        """What an event is about, named, and the site path that shows it."""
        if event.kind == "condition":
            title = self.condition_titles.get(event.subject, event.subject)
            return f"Condition: {title}", f"conditions.html#{event.subject}"
        if event.kind == "milestone":
            m = milestones.get(event.subject)
            anchor = "figures" if m is not None and is_implementation(m) else "counts"
            return f"“{event.subject}”", f"index.html#{anchor}"
        document = self.documents[event.subject]
        return f"{doc_name(document)}: {document.title}", doc_path(document)

    def page_order(self, page: str) -> int:
        """Where a page comes in the site: overview, conditions, roadmaps, programs."""
        return self.page_rank.get(page, len(self.page_rank))

    def page_name(self, page: str) -> str:
        """A short name for a generated page (for "cited on" links)."""
        return self.page_names.get(page, page)


# ------------------------------------------------------------------ small pure helpers


def counts(rows: Iterable[RoadmapState]) -> dict[str, int]:
    """How many rows stand in each status (every status of the chart, zeros included)."""
    out = dict.fromkeys(CHART_ORDER, 0)
    for row in rows:
        out[row.label] = out.get(row.label, 0) + 1
    return out


def implementation_counts(rows: Iterable[RoadmapState]) -> dict[str, int]:
    """How many rows stand in each implementation state (every state, zeros included)."""
    out = dict.fromkeys(IMPLEMENTATION_STATES, 0)
    for row in rows:
        if row.implementation is not None:
            out[row.implementation.state] += 1
    return out


def status_strip(counted: dict[str, int], order: Sequence[str] = CHART_ORDER) -> str:
    """The counts as badges with numbers: words first, colour only as a help."""
    items = [f"<li>{badge(s)} <strong>{counted[s]}</strong></li>" for s in order if counted.get(s)]
    return f'<ul class="legend">{"".join(items)}</ul>' if items else ""


def states_sentence(counted: dict[str, int], word: str = "program") -> str:
    """ "28 programs: 3 under way, 25 undetermined" (states with no record left out)."""
    parts = [f"{n} {status_word(state)}" for state, n in counted.items() if n]
    total = sum(counted.values())
    return f"{plural(total, word)}: {', '.join(parts)}" if parts else f"no {word}s listed"


def is_implementation(milestone: Milestone) -> bool:
    """A figure about carrying the programs out (not about agreeing them)."""
    if milestone.unit in IMPLEMENTATION_UNITS:
        return milestone.percent is not None or milestone.done is not None
    return milestone.unit == "programs" and milestone.done is not None


def figure_value(milestone: Milestone) -> str:
    """The figure in short: "46%", "671 of 989 activities", "7 of 28 programs"."""
    m = milestone
    if m.done is not None and m.total is not None:
        return f"{m.done} of {m.total} {m.unit}"
    if m.done is not None:
        return f"{m.done} {m.unit}"
    return f"{m.percent:g}%"


def figure_share(milestone: Milestone) -> float | None:
    """The figure as a share in percent, for its bar (None if it has no total)."""
    m = milestone
    if m.percent is not None:
        return float(m.percent)
    if m.done is not None and m.done.exact and m.total:
        return min(100.0, 100.0 * m.done.lo / m.total)
    return None


def source_label(source: Source) -> str:
    """A source in words: “title”, publisher (reprint of …), date; as far as the record knows."""
    name = f"“{source.title}”, {source.publisher}" if source.title else source.publisher
    if source.reprint_of:
        name += f" (reprint of {source.reprint_of})"
    if source.date:
        name += f", {source.date.isoformat()}"
    return name


def base_url(value: str) -> str:
    """The site's address for --base-url: an http(s) URL, ending in "/" (else a usage error)."""
    url = safe_url(value)
    if url is None or any(c.isspace() for c in url) or "#" in url or "?" in url:
        raise UsageError(
            f"--base-url {value!r}: expected the site's http(s) address, "
            "such as https://example.org/roadmaps/"
        )
    return url if url.endswith("/") else url + "/"


def build(dataset: Dataset, base: str | None = None) -> Pages:
    """Every page of the web report of `dataset`: {path relative to the site root: text}.

    With `base` (the site's address, see `base_url`), the feed and the citations link
    absolutely; else every link is relative to the site's root.
    """
    return _Site(dataset, base).build()
