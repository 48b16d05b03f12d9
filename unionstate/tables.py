"""Rich renderables for a terminal: tables, panels and bars. Builds, never prints.

`render(view, width)` draws a `views.View` by its `kind`. Every piece of user text goes in
as a `Text` (never as markup), after `clean`, so that `[bold]`, `:warning:` or an escape
sequence in the data prints literally.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Group, JustifyMethod, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from unionstate.models import ConditionStatus, Dataset, ImplementationState, Program, RoadmapStatus
from unionstate.queries import (
    DISPUTED,
    REASONS,
    STATUSES,
    UNDETERMINED,
    ConditionReport,
    MonthProgress,
    RoadmapState,
    Summary,
    TimelineEvent,
    assessed,
    sphere_count,
    successors,
    timeline,
)
from unionstate.text import LOOKS, clean
from unionstate.views import LAID_OUT, LIST_SEP, Section, View, other_fields

STATUS_STYLE = {status: look.style for status, look in LOOKS.items()}


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


@dataclass(frozen=True)
class Column:
    """A table column: its header, whether its cells may wrap at words, and how much it is
    worth keeping on a narrow terminal (higher `drop` goes first; 0 is never dropped).

    A column that does not wrap (an id, a status, a date, a number) is never narrower than
    its widest cell. One that wraps is never narrower than its longest word (capped at
    WORD_MAX, and at least `least`): it breaks at spaces, and a word longer than the column
    ends in "…" rather than breaking.
    """

    header: str
    wrap: bool = False
    drop: int = 0
    justify: JustifyMethod = "left"
    least: int = 0


WORD_MAX = 30  # a longer "word" (a URL) is shortened with "…" rather than widen its column
WORD_MIN = 12  # where even that does not fit, words down to this length are shortened


def fitted(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Text]],
    width: int,
    title: str | None = None,
) -> RenderableType:
    """A table that fits `width`: ids, numbers, statuses and dates never wrap, text wraps at
    words (never inside one), and the least useful columns are left out until the rest fit
    (`show` has them); where even those do not fit, one block per row (`cards`)."""
    keep = list(range(len(columns)))

    def widest(i: int) -> int:
        return max([cell_len(columns[i].header), *(row[i].cell_len for row in rows)])

    cap = WORD_MAX

    def least(i: int) -> int:
        """The narrowest column i can be: its widest cell, or its longest word (at most
        `cap`: a longer one is shortened with "…") if it wraps."""
        if not columns[i].wrap:
            return widest(i)
        texts = [columns[i].header, *(row[i].plain for row in rows)]
        longest = max(min(cell_len(w), cap) for t in texts for w in [*t.split(), ""])
        return min(widest(i), max(longest, columns[i].least))

    def need(indexes: list[int]) -> int:
        return 1 + sum(least(i) + 3 for i in indexes)  # padding and a rule per column

    while need(keep) > width and any(columns[i].drop for i in keep):
        keep.remove(max(keep, key=lambda i: columns[i].drop))
    while need(keep) > width and cap > WORD_MIN:  # then shorten the longest words
        cap -= 1
    if need(keep) > width:
        return cards(columns, rows, keep, title)
    # Each wrapping column gets its least width, then a share of what is left in proportion
    # to how much more it could use; rich is given exact widths, so nothing is squeezed.
    widths = {i: least(i) for i in keep}
    spare = width - need(keep)
    wants = {i: widest(i) - widths[i] for i in keep if columns[i].wrap}
    total_want = sum(wants.values())
    for i, want in wants.items():
        widths[i] += min(want, spare * want // total_want) if total_want else 0
    table = Table(title=Text(title) if title else None, header_style="bold")
    for i in keep:
        column = columns[i]
        table.add_column(
            column.header,
            no_wrap=not column.wrap,
            overflow="ellipsis",  # a word too long for its column is shortened, never broken
            width=widths[i],
            justify=column.justify,
        )
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


def cards(
    columns: Sequence[Column], rows: Sequence[Sequence[Text]], keep: list[int], title: str | None
) -> RenderableType:
    """Rows too wide for any table: the columns that never wrap on one line, then each
    wrapping one as `header: text` on a line of its own, indented."""
    from rich.padding import Padding

    blocks: list[RenderableType] = [Text(title, style="bold")] if title else []
    for row in rows:
        head = Text("  ").join(row[i] for i in keep if not columns[i].wrap and row[i].plain)
        blocks.append(Text("") + head)
        for i in keep:
            if columns[i].wrap and row[i].plain:
                # Indented as a whole: a wrapped line stays under its field, not at the margin.
                field = Text(f"{columns[i].header}: ", style="dim") + row[i]
                blocks.append(Padding(field, (0, 0, 0, 2)))
    return Group(*blocks)


LIST_TABLE = (
    Column("#", justify="right"),
    Column("id", drop=3),
    Column("title", wrap=True, least=12),
    Column("sphere", wrap=True, drop=5),
    Column("status"),
    Column(REASONS_HEADER := "unresolved because", wrap=True, drop=2),
    Column("open conditions", wrap=True, drop=4),
    Column("last event"),
)


def roadmap_table(
    rows: Sequence[RoadmapState], title: str | None = None, width: int = 100, reasons: bool = False
) -> RenderableType:
    """The `list` table, fitted to `width` columns; with `reasons`, why each is unresolved."""
    cells = [
        [
            Text(f"{row.roadmap.PREFIX}{row.roadmap.number}"),
            text(row.roadmap.id),
            text(row.roadmap.title),
            text(row.roadmap.sphere),
            status_text(row.label),
            text(", ".join(REASONS[code] for code in row.unresolved_because)),
            text(", ".join(row.open_conditions)),
            Text(row.last_event.display),
        ]
        for row in rows
    ]
    if not reasons:
        columns = [c for c in LIST_TABLE if c.header != REASONS_HEADER]
        return fitted(
            columns, [[c for i, c in enumerate(r) if i != 5] for r in cells], width, title
        )
    return fitted(LIST_TABLE, cells, width, title)


def roadmap_panel(dataset: Dataset, row: RoadmapState, width: int = 100) -> RenderableType:
    """Everything about one roadmap: facts, linked conditions, history with sources."""
    r = row.roadmap
    conditions = {c.id: c for c in dataset.conditions}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="ellipsis")
    facts.add_row("title", text(r.title) + Text(f"  ({r.title_basis.words})", style="dim"))
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
    if row.unresolved_because:
        facts.add_row("unresolved", _reasons(row))
    standing = row.implementation
    if standing is not None:
        line = status_text(standing.state)
        for a in standing.assessments:
            line += text(f"\n{a.state}: {assessed(a)}, {a.date.display}")
        facts.add_row("implementation", line)
    if row.targets:
        lines = Text()
        for i, t in enumerate(row.targets):
            planned = " → ".join(
                d.date.display for d in t.target.due[: t.target.due.index(t.due) + 1]
            )
            lines += Text("\n" if i else "") + text(f"{t.target.title}: due {planned} ")
            lines += status_text(t.state)
        facts.add_row("targets", lines)
    if r.notes:
        facts.add_row("notes", text(r.notes))
    for name, value in other_fields(r, LAID_OUT):
        facts.add_row(name, text(value))

    history, footnotes = _history_table(dataset, timeline(dataset, r))
    heading = Text(f"{r.KIND.capitalize()} {r.PREFIX}{r.number}: ") + text(r.title)
    heading = _one_line(heading, max(10, width - 6))  # the border keeps 6 cells
    return Group(Panel(facts, title=heading, title_align="left"), history, *footnotes)


def _history_table(
    dataset: Dataset, events: Sequence[TimelineEvent]
) -> tuple[Table, list[RenderableType]]:
    """A record's events with their sources marked, and the sources as numbered notes."""
    sources = {s.id: s for s in dataset.sources}
    history = Table(header_style="bold", show_lines=True, expand=True)
    history.add_column("date", no_wrap=True)
    history.add_column("status", no_wrap=True)
    history.add_column("what happened", ratio=3, overflow="ellipsis")
    history.add_column("sources", ratio=1, overflow="ellipsis", min_width=len("sources"))
    cited_order: list[str] = []  # footnotes, numbered in order of first citation
    for event in events:  # status changes, assessments and observations
        marks = []
        for sid in event.sources:
            if sid not in cited_order:
                cited_order.append(sid)
            marks.append(f"[{cited_order.index(sid) + 1}] {sources[sid].publisher}")
        history.add_row(
            event.date.display,
            status_text(event.status) if event.status else Text("note", style="dim"),
            text(event.note),
            text("\n".join(marks)) if marks else Text("no source recorded", style="dim"),
        )
    footnotes: list[RenderableType] = []
    for n, sid in enumerate(cited_order, 1):
        source = sources[sid]
        published = f", {source.date.isoformat()}" if source.date else ""
        via = f" (reprint of {source.reprint_of})" if source.reprint_of else ""
        footnotes.append(text(f"[{n}] {source.publisher}{published}{via}:", "bold"))
        # The URL whole on a line of its own, never broken by us (the terminal may wrap it
        # visually), and a hyperlink where the terminal supports them.
        shown = clean(source.url)
        safe = shown == source.url and source.url.startswith(("http://", "https://"))
        url = Text(f"    {shown}", style=Style(color="blue", link=source.url if safe else None))
        url.no_wrap, url.overflow = True, "ignore"
        footnotes.append(url)
    return history, footnotes


def condition_panel(dataset: Dataset, report: ConditionReport, width: int = 100) -> RenderableType:
    """Everything about one condition: facts, what it is linked to and holds up on that
    day, history and observations with sources."""
    c = report.condition
    names = {d.id: d.label for d in dataset.documents}
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="ellipsis")
    facts.add_row("id", text(c.id))
    facts.add_row("status", status_text(report.status))
    facts.add_row("kind", text(c.kind))
    linked = [*report.roadmaps, *report.programs]
    facts.add_row(
        "linked",
        text("\n".join(names.get(i, i) for i in linked)) if linked else Text("none", style="dim"),
    )
    held = "\n".join(names.get(i, i) for i in report.blocks)
    facts.add_row("holds up", text(held) if held else Text("nothing", style="dim"))
    facts.add_row("description", text(c.description))
    history, footnotes = _history_table(dataset, timeline(dataset, c))
    heading = _one_line(Text("Condition: ") + text(c.title), max(10, width - 6))
    return Group(Panel(facts, title=heading, title_align="left"), history, *footnotes)


CONDITIONS_TABLE = (
    Column("condition", drop=3),
    Column("title", wrap=True, least=12),
    Column("status"),
    Column("last event"),
    Column("holds up", wrap=True, drop=2),
    Column("roadmaps", wrap=True, drop=4),
    Column("programs", wrap=True, drop=5),
)


def short_names(ids: Sequence[str], names: Mapping[str, str] | None) -> Text:
    """Linked records by the short names the tool accepts back ("14, P13"), or "—"."""
    shown = [names.get(i, i) if names else i for i in ids]
    return text(", ".join(shown) or "—")


def conditions_table(
    reports: Sequence[ConditionReport],
    width: int = 100,
    names: Mapping[str, str] | None = None,
) -> RenderableType:
    """Conditions ranked by how many records they hold up, with the roadmaps and programs
    linked to each (by their short names, from `names`)."""
    rows = [
        [
            text(report.condition.id),
            text(report.condition.title),
            status_text(report.status),
            Text(report.condition.history[-1].date.display),
            short_names(report.blocks, names),
            short_names(report.roadmaps, names),
            short_names(report.programs, names),
        ]
        for report in reports
    ]
    return fitted(CONDITIONS_TABLE, rows, width)


TIMELINE_TABLE = (
    Column("date"),
    Column("kind", drop=3),
    Column("subject", wrap=True, least=12),
    Column("status"),
    Column("what happened", wrap=True, least=12),
    Column("sources", wrap=True, drop=4),
)


def timeline_table(
    events: Sequence[TimelineEvent],
    width: int = 100,
    subjects: Mapping[str, str] | None = None,
) -> RenderableType:
    """The merged timeline, fitted to `width` columns; each subject by its short name and
    title where `subjects` has them ("P13 Industrial policy")."""
    rows = [
        [
            Text(event.date.display),
            Text(event.kind),
            text((subjects or {}).get(event.subject, event.subject)),
            status_text(event.status) if event.status else Text("note", style="dim"),
            text(event.note),
            text(", ".join(event.sources)),
        ]
        for event in events
    ]
    return fitted(TIMELINE_TABLE, rows, width)


def _counts_line(counts: dict[str, int]) -> Text:
    out = Text()
    for status, count in ((s, n) for s, n in counts.items() if n):
        if out:
            out.append(", ")
        out += Text(f"{count} ") + status_text(status)
    return out or Text("none listed", style="dim")


def _one_line(line: Text, width: int) -> Text:
    """`line` cut to `width` at a word (never inside an id), with "…" where it was cut."""
    if line.cell_len <= width:
        return line
    cut = line[: width - 1]
    space = cut.plain.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    cut.rstrip()
    return cut + Text("…")


def _name(row: RoadmapState) -> str:
    return f"{row.roadmap.PREFIX}{row.roadmap.number}"


def _reasons(row: RoadmapState) -> Text:
    out = Text(", ").join(Text(REASONS[code]) for code in row.unresolved_because)
    if row.open_conditions:
        out += text(f" ({', '.join(row.open_conditions)})")
    overdue = [t.target.title for t in row.targets if t.state == "overdue"]
    if overdue:
        out += Text("; overdue: ") + text("; ".join(overdue))
    if row.successors:
        out += Text(f"; continued by {', '.join(row.successors)}", style="dim")
    return out


def still_open(summary: Summary, room: int = 8) -> list[Text]:
    """ "What is still open" in at most `room` lines: one line per record with more than a
    silent record against it, then one line per group of the others with the same reasons;
    when the groups do not fit either, the last line says how to see them all."""
    if not summary.open:
        return [Text(f"Nothing is unresolved on {summary.as_of}.", style="bold")]
    lines = [Text(f"What is still open on {summary.as_of}, {len(summary.open)} records:", "bold")]
    quiet = {("implementation-undetermined",), ("adoption-undetermined",)}
    ranked = summary.open  # already in reading order: queries.summarise
    loud = [r for r in ranked if r.unresolved_because not in quiet]

    def grouped(shown: int) -> list[tuple[tuple[str, ...], list[RoadmapState]]]:
        groups: dict[tuple[str, ...], list[RoadmapState]] = {}
        for row in loud[shown:] + [r for r in ranked if r.unresolved_because in quiet]:
            groups.setdefault(row.unresolved_because, []).append(row)
        return sorted(groups.items(), key=lambda item: -len(item[1]))

    # the most records one by one that leave room for every group; failing that, half the
    # lines one by one and the groups that fit, then a line for the rest
    fitting = [n for n in range(len(loud) + 1) if 1 + n + len(grouped(n)) <= room]
    shown = max(fitting) if fitting else min(len(loud), (room - 1) // 2)
    groups = grouped(shown)
    for row in loud[:shown]:
        lines.append(
            Text("  ")
            + text(_name(row))
            + Text(" ")
            + text(row.roadmap.id)
            + Text(": ")
            + _reasons(row)
        )
    fits = max(room - 1 - shown, 0)
    left: list[RoadmapState] = []
    if len(groups) > fits:  # the last line names the rest, and where to see why
        left = [row for _, rows in groups[max(fits - 1, 0) :] for row in rows]
        groups = groups[: max(fits - 1, 0)]
    for reasons, rows in groups:
        words = ", ".join(REASONS[code] for code in reasons)
        names = ", ".join(_name(r) for r in rows)
        lines.append(Text(f"  {len(rows)} more: {words}: ") + text(names))
    if left:
        names = ", ".join(_name(r) for r in left)
        lines.append(Text(f"  {len(left)} more (list --unresolved says why): ") + text(names))
    return lines


def directions_line(row: RoadmapState) -> Text:
    """A Main Directions document on one line, by the name the tool accepts back: its
    adoption, then its latest progress figure before who gave it (the figure is what an
    80-column screen must keep)."""
    r = row.roadmap
    line = text(f"  {_name(row)} {r.id}: ")
    standing = row.implementation
    if row.label != RoadmapStatus.SIGNED.value or standing is None:
        line += status_text(row.label) + Text(", " if standing is not None else "")
    if standing is not None:
        line += status_text(standing.state)  # a signed document: its implementation says it
        latest = standing.latest
        if latest is not None and standing.state != "disputed":
            who, _, figure = assessed(latest).partition(": ")
            said = f"{figure} ({who}, {latest.date.display})" if figure else f"{who}, "
            line += text(" — " + (said if figure else f"{who}, {latest.date.display}"))
    return line


SCREEN_ROWS = 24  # the summary fits an 80x24 terminal, with the shell's prompt below it


def summary_brief(summary: Summary, width: int = 80) -> RenderableType:
    """The summary on one 80×24 screen: what is still open and why, the Main Directions'
    progress, the disputes and the open demands; then the statuses on both axes, the
    latest events and the checks of the officials' counts."""
    lines: list[Text] = []
    if summary.directions:
        lines.append(Text("Main Directions:", style="bold"))
        lines += [directions_line(row) for row in summary.directions]
    for row in summary.disputes:
        assessments = row.implementation.assessments if row.implementation else ()
        said = "; ".join(f"{assessed(a)}: {a.state}" for a in assessments)
        lines.append(Text("Disputed: ", style="bold") + text(f"{_name(row)} — {said}"))
    demands = summary.open_demands
    lines.append(Text(f"Open demands, {len(demands)}:", style="bold"))
    for report in demands[:3]:
        held = f" (holds up {', '.join(report.blocks)})" if report.blocks else ""
        lines.append(Text("  ") + text(report.condition.id + held))
    lines.append(Text(f"Roadmaps (2019), {summary.total}: ") + _counts_line(summary.by_status))
    if summary.programs_total:
        programs = Text(f"Union programs (2021), {summary.programs_total}: ")
        lines.append(programs + _counts_line(summary.programs_by_status))
        lines.append(Text("  implemented: ") + _counts_line(summary.programs_implementation))
    if summary.implementation is not None and not summary.directions:
        m = summary.implementation  # else the Main Directions lines carry the newest figures
        who = f", {m.speaker}" if m.speaker else ""
        lines.append(Text("Latest figure: ") + text(f"{m.reported} ({m.date.display}{who})"))
    lines.append(Text("Latest events:", style="bold"))
    for event in summary.latest[:2]:
        line = Text(f"  {event.date.display}  ") + text(event.subject) + Text("  ")
        if event.status:
            line += status_text(event.status) + Text("  ")
        lines.append(line + text(event.note))
    checked = [c for c in summary.milestones if c.comparable]
    contradicted = sum(1 for c in checked if not c.consistent)
    footer = f"{len(checked)} reported counts checked, {contradicted} contradict the record"
    if summary.open_questions:
        footer += f"; {len(summary.open_questions)} open questions"
    lines.append(Text(footer, style="dim"))
    lines.append(Text("`unionstate summary --full` shows everything", style="dim"))
    title = Text(f"Russia–Belarus Union State integration, as of {summary.as_of}", style="bold")
    # what is still open gets the lines a 24-row screen has left (one is the prompt's)
    lines = [title, *still_open(summary, room=max(SCREEN_ROWS - 2 - len(lines), 4)), *lines]
    return Group(*(_one_line(line, width) for line in lines))


SPHERES_TABLE = (
    Column("sphere", wrap=True),
    Column("roadmaps", justify="right"),
    Column("agreed or signed", wrap=True, justify="right"),
    Column("unresolved", justify="right"),
    Column("set aside", wrap=True, justify="right", drop=1),
    Column("undetermined", justify="right", drop=2),
    Column("progress", drop=3),  # the bar goes first: the counts beside it say the same
)
BLOCKERS_TABLE = (
    Column("open condition"),
    Column("title", wrap=True, least=12, drop=1),
    Column("holds up", wrap=True),
)
OFFICIAL_TABLE = (
    Column("date"),
    Column("reported", wrap=True, least=10),
    Column("by", wrap=True, drop=1),
    Column("this dataset then", wrap=True, least=12),
)


def summary_view(
    summary: Summary,
    width: int = 100,
    names: Mapping[str, str] | None = None,
    subjects: Mapping[str, str] | None = None,
) -> RenderableType:
    """The progress summary: statuses with bars, spheres, conditions, news, official counts,
    each table fitted to `width` (less a panel's border)."""
    inner = max(20, width - 4)
    total = summary.total
    statuses = Table.grid(padding=(0, 2))
    for _ in range(4):
        statuses.add_column(no_wrap=True)
    for status, count in summary.by_status.items():
        share = f"{count / total:.0%}" if total else "0%"
        style = STATUS_STYLE[status]
        statuses.add_row(status_text(status), str(count), share, bar(count, total, style=style))

    sphere_rows = []
    for sphere, counts in summary.by_sphere:
        n = sphere_count(sphere, counts)  # the same numbers as through a pipe and in JSON
        sphere_rows.append(
            [
                text(sphere),
                Text(str(n.total)),
                Text(str(n.agreed_or_signed)),
                Text(str(n.unresolved)),
                Text(str(n.set_aside)),
                Text(str(n.undetermined)),
                bar(n.agreed_or_signed, n.total, width=16, style="cyan"),
            ]
        )
    spheres = fitted(SPHERES_TABLE, sphere_rows, inner)

    blockers = fitted(
        BLOCKERS_TABLE,
        [
            [
                text(report.condition.id),
                text(report.condition.title),
                short_names(report.blocks, names),
            ]
            for report in summary.conditions
            if report.status == ConditionStatus.OPEN.value
        ],
        inner,
    )

    news = timeline_table(summary.latest, inner, subjects)

    official_rows = []
    for c in summary.milestones:
        m = c.milestone
        if not c.comparable:
            verdict = Text("not a count it can check", style="dim")
        else:
            low, high = c.agreed_range
            agreed = f"{low}" if low == high else f"{low}–{high}"
            verdict = Text(f"agreed {agreed}, open {c.known_open}, undetermined {c.undetermined}")
            if c.on is not None and m.date.earliest != m.date.last:  # a window: which day fits
                verdict += Text(f" on {c.on.isoformat()}")
            verdict += Text(": ")
            verdict += (
                Text("consistent", style="green")
                if c.consistent
                else Text("CONTRADICTS the record", style="bold red")
            )
        official_rows.append(
            [Text(m.date.display), text(m.reported), text(m.speaker or ""), verdict]
        )
    official = fitted(OFFICIAL_TABLE, official_rows, inner)

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
    if summary.open_questions:
        gaps = Text("\n").join(text(f"• {q.question}") for q in summary.open_questions)
        panels.append(Panel(gaps, title=Text("What the record does not know"), title_align="left"))
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
IMPLEMENTATION_GLYPHS = (  # done first, then under way, disputed, unknown, not started
    (ImplementationState.COMPLETED.value, "█"),
    (ImplementationState.UNDER_WAY.value, "▓"),
    (DISPUTED, "!"),
    (UNDETERMINED, "?"),
    (ImplementationState.NOT_STARTED.value, "░"),
)


def stacked_bar(
    counts: dict[str, int],
    scale: int,
    width: int,
    glyphs: Sequence[tuple[str, str]] = CHART_GLYPHS,
) -> Text:
    """One bar of `width` cells for `scale` records, a run of glyphs per status."""
    out, done, cells = Text(), 0, 0
    for status, glyph in glyphs:
        done += counts.get(status, 0)
        # Round the running total, not each run, so the runs add up to the whole bar.
        end = round(width * done / scale) if scale else 0
        out.append(glyph * (end - cells), style=STATUS_STYLE[status])
        cells = end
    return out


def progress_chart(
    months: Sequence[MonthProgress],
    columns: int = 100,
    title: str = "Roadmaps by status at the end of each month",
    states: Sequence[str] = STATUSES,
) -> Table:
    """Records per status (or implementation state: `states`) at the end of each month,
    with a stacked bar per month.

    Only the states that occur get a column; the bar takes the width that is left of
    `columns`, so that months and counts are never cut.
    """
    present = [s for s in states if any(m.counts[s] for m in months)] or [states[0]]
    order = IMPLEMENTATION_GLYPHS if ImplementationState.COMPLETED.value in states else CHART_GLYPHS
    glyphs = [(status, glyph) for status, glyph in order if status in present]
    legend = "   ".join(f"{glyph} {status}" for status, glyph in glyphs)
    table = Table(
        title=Text(title, style="table.title"),
        caption=Text(legend, style="table.caption"),
        header_style="bold",
    )
    # Each column takes its width plus three cells of padding and rule; the table one more.
    used = 10 + sum(max(len(s), 3) + 3 for s in present) + 4
    counted = present if columns - used >= 12 else []  # narrow: the bar and its legend only
    table.add_column("month", no_wrap=True, min_width=7)
    for status in counted:
        table.add_column(
            status, justify="right", no_wrap=True, style=STATUS_STYLE[status], min_width=3
        )
    table.add_column("progress", no_wrap=True)
    width = max(8, min(40, columns - (used if counted else 14)))
    scale = max((sum(m.counts.values()) for m in months), default=0)
    for m in months:
        table.add_row(
            m.label,
            *(str(m.counts[s]) for s in counted),
            stacked_bar(m.counts, scale, width, order),
        )
    return table


_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?%?")  # a count or a share: right-aligned
_ID_LIST = re.compile(rf"(?<=[^\s{LIST_SEP}]){LIST_SEP}(?=[^\s{LIST_SEP}])")


def source_lines(section: Section) -> RenderableType:
    """Sources one after the other: id, publisher, title, date, then the URL whole on a
    line of its own (a hyperlink where the terminal has them), as `show` prints them."""
    names = list(section.header)
    blocks: list[RenderableType] = [Text(section.about[:1].upper() + section.about[1:], "bold")]
    for row in section.rows:
        cell = dict(zip(names, row, strict=False))
        about = ", ".join(cell[k] for k in ("publisher", "title", "date") if cell.get(k))
        via = f" (reprint of {cell['reprint_of']})" if cell.get("reprint_of") else ""
        blocks.append(text(f"{cell['id']}: ", "bold") + text(about + via))
        shown = clean(cell["url"])
        safe = shown == cell["url"] and shown.startswith(("http://", "https://"))
        url = Text(f"    {shown}", style=Style(color="blue", link=shown if safe else None))
        url.no_wrap, url.overflow = True, "ignore"
        blocks.append(url)
    return Group(*blocks)


def section_table(section: Section, width: int = 100) -> RenderableType:
    """One `--section` of `summary` or `show` as a table: a column of single words (ids,
    dates, numbers, statuses) never wraps; text wraps at words. Sources are listed with
    each URL whole (`source_lines`)."""
    if "url" in section.header:
        return source_lines(section)
    # A list of ids (`a,b,c` through a pipe) reads as "a, b, c" and wraps after a comma.
    rows_shown = [[_ID_LIST.sub(", ", cell) for cell in row] for row in section.rows]
    wraps = [any(" " in row[i] for row in rows_shown) for i in range(len(section.header))]
    numbers = [
        bool(section.rows) and all(_NUMBER.fullmatch(row[i] or "0") for row in section.rows)
        for i in range(len(section.header))
    ]
    columns = [
        Column(
            header.replace("_", " "),
            wrap=wraps[i] or "_" in header,
            justify="right" if numbers[i] else "left",
        )
        for i, header in enumerate(section.header)
    ]
    rows = [
        [
            status_text(value) if i == section.status_column else text(value)
            for i, value in enumerate(row)
        ]
        for row in rows_shown
    ]
    title = section.about[:1].upper() + section.about[1:] if section.about else None
    return fitted(columns, rows, width, title)


def render(view: View, width: int) -> RenderableType:
    """The renderable of a view for a terminal `width` columns wide, by its kind."""
    kind, data = view.kind, view.data
    if kind == "list":
        rows, title, reasons = data
        return roadmap_table(rows, title, width, reasons)
    if kind == "show":
        dataset, row = data
        return roadmap_panel(dataset, row, width)
    if kind == "condition":
        dataset, report = data
        return condition_panel(dataset, report, width)
    if kind == "conditions":
        reports, names = data
        return conditions_table(reports, width, names)
    if kind == "summary":
        return summary_brief(data[0], width)
    if kind == "summary-full":
        summary, names, subjects = data
        return summary_view(summary, width, names, subjects)
    if kind == "timeline":
        events, subjects = data
        return timeline_table(events, width, subjects)
    if kind == "chart":
        months, title, states = data
        return progress_chart(months, width, title, states)
    if kind == "table":
        return section_table(data, width)
    return Text(clean(view.plain(colored=False)))
