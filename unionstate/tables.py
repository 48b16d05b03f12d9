"""Rich renderables for a terminal: tables, panels and bars. Builds, never prints.

Every piece of user text goes in as a `Text` (never as markup), after `clean`, so that
`[bold]`, `:warning:` or an escape sequence in the data prints literally.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from unionstate.models import ConditionStatus, Dataset, Program, RoadmapStatus
from unionstate.queries import (
    STATUSES,
    UNDETERMINED,
    ConditionReport,
    MonthProgress,
    RoadmapState,
    Summary,
    TimelineEvent,
    successors,
)
from unionstate.render import clean

STATUS_STYLE = {
    RoadmapStatus.PENDING.value: "yellow",
    RoadmapStatus.AGREED.value: "cyan",
    RoadmapStatus.BLOCKED.value: "bold red",
    RoadmapStatus.SIGNED.value: "bold green",
    RoadmapStatus.SET_ASIDE.value: "dim",
    UNDETERMINED: "magenta",
    ConditionStatus.OPEN.value: "red",
    ConditionStatus.RESOLVED.value: "green",
}


def text(value: str, style: str = "") -> Text:
    """User text, made safe, as a rich Text (no markup, no emoji codes)."""
    return Text(clean(value), style=style)


def status_text(status: str | None) -> Text:
    """A status, always spelled out, coloured as a second cue."""
    if status is None:
        return Text("")
    return Text(status, style=STATUS_STYLE.get(status, ""))


def bar(count: int, total: int, width: int = 24, style: str = "") -> Text:
    """A horizontal bar of `count` out of `total`."""
    filled = round(width * count / total) if total else 0
    return Text("█" * filled, style=style) + Text("·" * (width - filled), style="dim")


def roadmap_table(rows: Sequence[RoadmapState], title: str | None = None) -> Table:
    """The `list` table; long cells wrap, nothing is cut off."""
    # Every column may wrap (fold) and none may shrink below a readable width, so a narrow
    # terminal gets taller rows, never cut cells.
    table = Table(title=title, show_lines=False, header_style="bold", expand=False)
    table.add_column("#", justify="right", min_width=2)
    table.add_column("id", overflow="fold", min_width=8)
    table.add_column("title", ratio=3, overflow="fold", min_width=8)
    table.add_column("sphere", ratio=2, overflow="fold", min_width=6)
    table.add_column("status", overflow="fold", min_width=7)
    table.add_column("open conditions", overflow="fold", min_width=9)
    table.add_column("last event", overflow="fold", min_width=10)
    for row in rows:
        r = row.roadmap
        table.add_row(
            str(r.number),
            text(r.id),
            text(r.title),
            text(r.sphere),
            status_text(row.label),
            text(", ".join(row.open_conditions)),
            row.last_event.display,
        )
    return table


def roadmap_cards(rows: Sequence[RoadmapState], title: str | None = None) -> RenderableType:
    """The `list` rows for a narrow terminal: one short block per roadmap, wrapping freely."""
    cards: list[RenderableType] = [Text(title, style="bold")] if title else []
    for row in rows:
        r = row.roadmap
        when = row.last_event.display
        card = Text(f"{r.number:>2} ") + text(r.id, "bold") + Text("  ")
        card += status_text(row.label) + Text(f"  {when}\n   ") + text(r.title)
        card += Text("\n   sphere: ") + text(r.sphere)
        if row.open_conditions:
            card += Text("\n   open conditions: ") + text(", ".join(row.open_conditions))
        cards.append(card)
    return Group(*cards)


def roadmap_panel(dataset: Dataset, row: RoadmapState) -> RenderableType:
    """Everything about one roadmap: facts, linked conditions, history with sources."""
    r = row.roadmap
    sources = {s.id: s for s in dataset.sources}
    conditions = {c.id: c for c in dataset.conditions}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    confirmed = "confirmed by a source" if r.title_confirmed else "not confirmed (descriptive)"
    facts.add_row("title", text(r.title) + Text(f"  ({confirmed})", style="dim"))
    facts.add_row("id", text(r.id))
    facts.add_row("sphere", text(r.sphere))
    facts.add_row("status", status_text(row.label))
    linked = Text()
    for i, cid in enumerate(r.linked_conditions):
        condition = conditions[cid]
        if i:
            linked.append("\n")
        linked += text(cid) + Text(" ") + status_text(condition.status.value)
        linked += Text(" — ") + text(condition.title)
    facts.add_row("conditions", linked if r.linked_conditions else Text("none", style="dim"))
    if isinstance(r, Program):
        succeeds = (
            text(", ".join(r.succeeds)) if r.succeeds else Text("no 2019 roadmap", style="dim")
        )
        if r.succession:
            succeeds += Text(f"  ({r.succession})", style="dim")
        facts.add_row("succeeds", succeeds)
    else:
        later = successors(dataset, r)
        if later:
            names = ", ".join(f"P{p.number} {p.id} ({p.succession})" for p in later)
            facts.add_row("successors", text(names))
    if r.notes:
        facts.add_row("notes", text(r.notes))

    history = Table(header_style="bold", show_lines=True, expand=True)
    history.add_column("date", no_wrap=True)
    history.add_column("status", no_wrap=True)
    history.add_column("what happened", ratio=3, overflow="fold")
    history.add_column("sources", ratio=1, overflow="fold")
    cited_order: list[str] = []  # footnotes, numbered in order of first citation
    for event in r.history:
        marks = []
        for sid in event.sources:
            if sid not in cited_order:
                cited_order.append(sid)
            marks.append(f"[{cited_order.index(sid) + 1}] {sources[sid].publisher}")
        history.add_row(
            event.date.display,
            status_text(event.status.value),
            text(event.note),
            text("\n".join(marks)) if marks else Text("no source recorded", style="dim"),
        )
    footnotes = Text()
    for n, sid in enumerate(cited_order, 1):
        source = sources[sid]
        published = f", {source.date.isoformat()}" if source.date else ""
        via = f" (reprint of {source.reprint_of})" if source.reprint_of else ""
        footnotes += text(f"[{n}] {source.publisher}{published}{via}: ", "bold")
        footnotes += text(source.url, "blue") + Text("\n")
    heading = Text(f"{r.KIND.capitalize()} {r.PREFIX}{r.number}: ") + text(r.title)
    footnotes.rstrip()
    return Group(Panel(facts, title=heading, title_align="left"), history, footnotes)


def conditions_table(reports: Sequence[ConditionReport]) -> Table:
    """Conditions ranked by how many unresolved roadmaps they hold up."""
    table = Table(header_style="bold")
    table.add_column("condition", no_wrap=True)
    table.add_column("title", ratio=2, overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("holds up", justify="right", no_wrap=True)
    table.add_column("roadmaps blocked / linked", ratio=2, overflow="fold")
    for report in reports:
        linked = ", ".join(report.roadmaps) or "none"
        blocked = ", ".join(report.blocks) or "none"
        table.add_row(
            text(report.condition.id),
            text(report.condition.title),
            status_text(report.status),
            str(len(report.blocks)),
            text(f"{blocked} / {linked}"),
        )
    return table


def timeline_table(events: Sequence[TimelineEvent]) -> Table:
    """The merged timeline."""
    table = Table(header_style="bold")
    table.add_column("date", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("subject", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("note", ratio=3, overflow="fold")
    table.add_column("sources", overflow="fold")
    for event in events:
        table.add_row(
            event.date.display,
            event.kind,
            text(event.subject),
            status_text(event.status),
            text(event.note),
            text(", ".join(event.sources)),
        )
    return table


def summary_view(summary: Summary) -> RenderableType:
    """The progress summary: statuses with bars, spheres, conditions, news, official counts."""
    total = summary.total
    statuses = Table.grid(padding=(0, 2))
    for _ in range(4):
        statuses.add_column(no_wrap=True)
    for status, count in summary.by_status.items():
        share = f"{count / total:.0%}" if total else "0%"
        style = STATUS_STYLE[status]
        statuses.add_row(status_text(status), str(count), share, bar(count, total, style=style))

    spheres = Table(header_style="bold", expand=False)
    spheres.add_column("sphere", overflow="fold")
    spheres.add_column("roadmaps", justify="right")
    spheres.add_column("agreed or signed", justify="right")
    spheres.add_column("unresolved", justify="right")
    spheres.add_column("progress", no_wrap=True)
    for sphere, counts in summary.by_sphere:
        n = sum(counts.values())
        done = counts["agreed"] + counts["signed"]
        spheres.add_row(
            text(sphere), str(n), str(done), str(n - done), bar(done, n, width=16, style="cyan")
        )

    blockers = Table(header_style="bold")
    blockers.add_column("open condition", no_wrap=True)
    blockers.add_column("holds up", overflow="fold")
    for report in summary.conditions:
        if report.status == ConditionStatus.OPEN.value:
            blockers.add_row(text(report.condition.id), text(", ".join(report.blocks) or "—"))

    news = timeline_table(summary.latest)

    official = Table(header_style="bold")
    official.add_column("date", no_wrap=True)
    official.add_column("reported", overflow="fold")
    official.add_column("by", overflow="fold")
    official.add_column("this dataset then", overflow="fold")
    for c in summary.milestones:
        m = c.milestone
        if not c.comparable:
            verdict = Text("not a count it can check", style="dim")
        else:
            low, high = c.agreed_range
            agreed = f"{low}" if low == high else f"{low}–{high}"
            verdict = Text(f"agreed {agreed}, open {c.known_open}, undetermined {c.undetermined}: ")
            verdict += (
                Text("consistent", style="green")
                if c.consistent
                else Text("CONTRADICTS the record", style="bold red")
            )
        official.add_row(m.date.display, text(m.reported), text(m.speaker or ""), verdict)

    title = Text(f"Roadmaps on {summary.as_of.isoformat()}: {total} listed")
    panels = [
        Panel(statuses, title=title, title_align="left"),
        # Titles as Text, not str: rich would parse a str for markup and emoji codes.
        Panel(spheres, title=Text("By sphere"), title_align="left"),
        Panel(blockers, title=Text("Open conditions and what they hold up"), title_align="left"),
        Panel(news, title=Text("Latest events"), title_align="left"),
        Panel(
            official,
            title=Text("Counts officials reported, beside this dataset's"),
            title_align="left",
        ),
    ]
    if summary.programs_total:
        programs = Table.grid(padding=(0, 2))
        for _ in range(3):
            programs.add_column(no_wrap=True)
        for status, count in summary.programs_by_status.items():
            if count:
                programs.add_row(
                    status_text(status), str(count), bar(count, summary.programs_total)
                )
        heading = Text(f"Union programs: {summary.programs_total} listed")
        panels.insert(1, Panel(programs, title=heading, title_align="left"))
    return Group(*panels)


# Each status has its own glyph as well as its colour, so the chart reads without colour.
CHART_GLYPHS = (
    (RoadmapStatus.SIGNED.value, "█"),
    (RoadmapStatus.AGREED.value, "▓"),
    (UNDETERMINED, "?"),
    (RoadmapStatus.PENDING.value, "░"),
    (RoadmapStatus.BLOCKED.value, "×"),
    (RoadmapStatus.SET_ASIDE.value, "-"),
)


def stacked_bar(counts: dict[str, int], scale: int, width: int) -> Text:
    """One bar of `width` cells for `scale` roadmaps, a run of glyphs per status."""
    out, done, cells = Text(), 0, 0
    for status, glyph in CHART_GLYPHS:
        done += counts.get(status, 0)
        # Round the running total, not each run, so the runs add up to the whole bar.
        end = round(width * done / scale) if scale else 0
        out.append(glyph * (end - cells), style=STATUS_STYLE[status])
        cells = end
    return out


def progress_chart(months: Sequence[MonthProgress], columns: int = 100) -> Table:
    """Roadmaps per status at the end of each month, with a stacked bar per month.

    Only the statuses that occur get a column; the bar takes the width that is left of
    `columns`, so that months and counts are never cut.
    """
    present = [s for s in STATUSES if any(m.counts[s] for m in months)] or ["pending"]
    glyphs = [(status, glyph) for status, glyph in CHART_GLYPHS if status in present]
    legend = "   ".join(f"{glyph} {status}" for status, glyph in glyphs)
    table = Table(
        title=Text("Roadmaps by status at the end of each month", style="table.title"),
        caption=Text(legend, style="table.caption"),
        header_style="bold",
    )
    table.add_column("month", no_wrap=True, min_width=7)
    for status in present:
        table.add_column(
            status, justify="right", no_wrap=True, style=STATUS_STYLE[status], min_width=3
        )
    table.add_column("progress", no_wrap=True)
    # Each column takes its width plus three cells of padding and rule; the table two more.
    used = 10 + sum(max(len(s), 3) + 3 for s in present) + 4
    width = max(8, min(40, columns - used))
    scale = max((sum(m.counts.values()) for m in months), default=0)
    for m in months:
        table.add_row(
            m.label, *(str(m.counts[s]) for s in present), stacked_bar(m.counts, scale, width)
        )
    return table
