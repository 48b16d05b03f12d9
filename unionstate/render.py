"""Plain renderings: JSON documents, tab-separated rows, CSV and Markdown. Prints nothing.

Rich tables for a terminal live in `tables.py`; this module never imports rich, so the
`--json` and piped paths start fast.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from unionstate.models import (
    Dataset,
    Milestone,
    Program,
    RoadmapEvent,
    Source,
    json_schema,
    jsonable,
    when_object,
)
from unionstate.queries import (
    STATUSES,
    UNDETERMINED,
    ConditionReport,
    MilestoneComparison,
    MonthProgress,
    RoadmapState,
    Summary,
    TimelineEvent,
    successors,
)

# C0/C1 controls, DEL and bidi controls: shown as visible escapes, never sent raw.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def clean(text: str) -> str:
    """Text made safe for a terminal: controls (but tab and newline) and bidi become escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """`clean`, with line breaks shown as escapes too: a message can never forge a line."""
    return clean(text).replace("\n", "\\n")


def cell(text: str) -> str:
    """A single-line, terminal-safe cell for tab-separated output."""
    return clean(text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


# ----------------------------------------------------------------------- JSON


def to_json(document: Any) -> str:
    """The JSON text of a document: 2-space indent, UTF-8 kept, a final newline.

    json escapes C0 controls itself; DEL, C1 and bidi controls are escaped here too
    (they can only occur inside strings, so `\\uXXXX` is lossless and still JSON).
    """
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def roadmap_row(row: RoadmapState) -> dict[str, Any]:
    """The stable JSON object of a roadmap (or program) in `list` output.

    An undetermined status comes with `possible_statuses`; a program adds its title's
    confirmation and what it succeeds.
    """
    r = row.roadmap
    out: dict[str, Any] = {
        "number": r.number,
        "id": r.id,
        "title": r.title,
        "sphere": r.sphere,
        "status": row.label,
        "linked_conditions": list(r.linked_conditions),
        "open_conditions": list(row.open_conditions),
        "last_event_date": row.last_event.text,
    }
    if row.status is None:
        out["possible_statuses"] = list(row.possible)
    if isinstance(r, Program):
        out["title_confirmed"] = r.title_confirmed
        out["succeeds"] = list(r.succeeds)
        out["succession"] = r.succession
    return out


def source_object(source: Source) -> dict[str, Any]:
    """A source as JSON."""
    return {
        "id": source.id,
        "publisher": source.publisher,
        "url": source.url,
        "title": source.title,
        "date": source.date.isoformat() if source.date else None,
        "reprint_of": source.reprint_of,
    }


def _event_object(event: RoadmapEvent, sources: dict[str, Source]) -> dict[str, Any]:
    return {
        **when_object(event.date),
        "status": event.status.value,
        "note": event.note,
        "sources": [source_object(sources[s]) for s in event.sources if s in sources],
    }


def roadmap_detail(dataset: Dataset, row: RoadmapState) -> dict[str, Any]:
    """The JSON object of `show`: the list row plus title_confirmed, history and notes."""
    sources = {s.id: s for s in dataset.sources}
    conditions = {c.id: c for c in dataset.conditions}
    detail = roadmap_row(row)
    detail["title_confirmed"] = row.roadmap.title_confirmed
    detail["conditions"] = [
        {"id": c, "title": conditions[c].title, "status": conditions[c].status.value}
        for c in row.roadmap.linked_conditions
    ]
    detail["history"] = [_event_object(e, sources) for e in row.roadmap.history]
    detail["notes"] = row.roadmap.notes
    if not isinstance(row.roadmap, Program):
        detail["successors"] = [
            {"number": p.number, "id": p.id, "title": p.title, "succession": p.succession}
            for p in successors(dataset, row.roadmap)
        ]
    return detail


def condition_object(report: ConditionReport) -> dict[str, Any]:
    """The JSON object of a condition in `conditions` output."""
    c = report.condition
    return {
        "id": c.id,
        "title": c.title,
        "status": report.status,
        "roadmaps": list(report.roadmaps),
        "blocks": list(report.blocks),
        "description": c.description,
    }


def timeline_object(event: TimelineEvent) -> dict[str, Any]:
    """The JSON object of an event in `history` output."""
    return {
        **when_object(event.date),
        "kind": event.kind,
        "subject": event.subject,
        "status": event.status,
        "note": event.note,
        "sources": list(event.sources),
    }


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def milestone_object(comparison: MilestoneComparison) -> dict[str, Any]:
    """A reported figure beside the dataset's count on that date (`consistent` null: not
    a count the dataset can check)."""
    m: Milestone = comparison.milestone
    out: dict[str, Any] = {
        **when_object(m.date),
        "reported": m.reported,
        "speaker": m.speaker,
        "unit": m.unit,
        "subject": m.subject,
        "official": {
            "agreed": m.agreed,
            "open": m.open,
            "done": m.done,
            "total": m.total,
            "percent": m.percent,
        },
        "consistent": comparison.consistent,
    }
    if comparison.comparable:
        out.update(
            dataset_listed=comparison.listed,
            dataset_agreed=comparison.known_agreed,
            dataset_open=comparison.known_open,
            dataset_undetermined=comparison.undetermined,
        )
    return out


def summary_object(summary: Summary) -> dict[str, Any]:
    """The JSON object of `summary`."""
    return {
        "as_of": summary.as_of.isoformat(),
        "total": summary.total,
        "by_status": dict(summary.by_status),
        "shares": {s: _share(n, summary.total) for s, n in summary.by_status.items()},
        "by_sphere": [
            {"sphere": sphere, "total": sum(counts.values()), "by_status": dict(counts)}
            for sphere, counts in summary.by_sphere
        ],
        "programs": {
            "total": summary.programs_total,
            "by_status": dict(summary.programs_by_status),
        },
        "implementation": (
            milestone_object(MilestoneComparison(summary.implementation, comparable=False))
            if summary.implementation
            else None
        ),
        "conditions": [condition_object(report) for report in summary.conditions],
        "latest": [timeline_object(e) for e in summary.latest],
        "milestones": [milestone_object(c) for c in summary.milestones],
        "open_questions": [jsonable(q) for q in summary.open_questions],
    }


def dataset_object(dataset: Dataset) -> dict[str, Any]:
    """The whole dataset as JSON (export --format json)."""
    document: dict[str, Any] = jsonable(dataset)
    return document


# ------------------------------------------------------------ tab-separated

LIST_COLUMNS = ("number", "id", "title", "sphere", "status", "open_conditions", "last_event")


def list_cells(row: RoadmapState) -> list[str]:
    """The cells of one `list` row, in LIST_COLUMNS order."""
    r = row.roadmap
    return [
        str(r.number),
        r.id,
        r.title,
        r.sphere,
        row.label,
        ",".join(row.open_conditions),
        row.last_event.text,
    ]


# SGR colours of statuses in plain output (--color always through a pipe).
_STATUS_SGR = {
    "pending": "33",
    "agreed": "36",
    "blocked": "1;31",
    "signed": "1;32",
    "set-aside": "2",
    UNDETERMINED: "35",
    "open": "31",
    "resolved": "32",
}


def _colored(value: str) -> str:
    code = _STATUS_SGR.get(value)
    return f"\x1b[{code}m{value}\x1b[0m" if code else value


def tsv(
    header: Sequence[str], rows: Iterable[Sequence[str]], color_column: int | None = None
) -> str:
    """Tab-separated text: one header line, then one line per row, every cell one line.

    With `color_column`, that column's status words are coloured (after cleaning, so the
    only escape sequences in the output are our own).
    """
    lines = ["\t".join(header)]
    for row in rows:
        cells = [cell(value) for value in row]
        if color_column is not None:
            cells[color_column] = _colored(cells[color_column])
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def timeline_cells(event: TimelineEvent) -> list[str]:
    """The cells of one `history` row."""
    return [
        event.date.text,
        event.kind,
        event.subject,
        event.status or "",
        event.note,
        ",".join(event.sources),
    ]


def _figure(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def summary_text(summary: Summary) -> str:
    """The summary as blocks of tab-separated rows, separated by blank lines."""
    total = summary.total
    agreed_or_signed = ("agreed", "signed")
    blocks = [
        tsv(("as_of", "total"), [[summary.as_of.isoformat(), str(total)]]),
        tsv(
            ("status", "roadmaps", "share"),
            [[s, str(n), f"{_share(n, total):.0%}"] for s, n in summary.by_status.items()],
        ),
        tsv(
            ("program_status", "programs"),
            [[s, str(n)] for s, n in summary.programs_by_status.items()],
        ),
        tsv(
            ("sphere", "roadmaps", "agreed_or_signed", "unresolved", "undetermined"),
            [
                [
                    sphere,
                    str(sum(c.values())),
                    str(sum(c[s] for s in agreed_or_signed)),
                    str(c["pending"] + c["blocked"]),
                    str(c[UNDETERMINED]),
                ]
                for sphere, c in summary.by_sphere
            ],
        ),
        tsv(
            ("open_condition", "holds_up", "linked"),
            [
                [r.condition.id, ",".join(r.blocks), ",".join(r.roadmaps)]
                for r in summary.conditions
                if r.status == "open"
            ],
        ),
        tsv(
            ("date", "kind", "subject", "status", "note", "sources"),
            [timeline_cells(e) for e in summary.latest],
        ),
        tsv(
            (
                "date",
                "reported",
                "speaker",
                "unit",
                "official_agreed",
                "official_open",
                "official_done",
                "official_total",
                "official_percent",
                "dataset_agreed",
                "dataset_open",
                "dataset_undetermined",
                "consistent",
            ),
            [
                [
                    c.milestone.date.text,
                    c.milestone.reported,
                    c.milestone.speaker or "",
                    c.milestone.unit,
                    *(
                        _figure(v)
                        for v in (
                            c.milestone.agreed,
                            c.milestone.open,
                            c.milestone.done,
                            c.milestone.total,
                            c.milestone.percent,
                        )
                    ),
                    *(
                        (str(c.known_agreed), str(c.known_open), str(c.undetermined))
                        if c.comparable
                        else ("", "", "")
                    ),
                    "" if c.consistent is None else str(c.consistent).lower(),
                ]
                for c in summary.milestones
            ],
        ),
    ]
    return "\n".join(blocks)


# ---------------------------------------------------------------- CSV, Markdown

CSV_COLUMNS = (
    "number",
    "id",
    "title",
    "title_confirmed",
    "sphere",
    "status",
    "linked_conditions",
    "open_conditions",
    "last_event_date",
    "notes",
)


# A spreadsheet takes a cell starting with one of these for a formula (`=HYPERLINK(...)`,
# `@SUM(...)`, `+cmd|...`): OWASP's advice is to prefix a single quote, which shows the text
# as typed and is what the spreadsheet itself writes for "text that looks like a formula".
_FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text: terminal-safe, never a formula."""
    return ("'" if text.startswith(_FORMULA_FIRST) else "") + clean(text)


def to_csv(rows: Iterable[RoadmapState]) -> str:
    """One CSV row per roadmap (export --format csv); no cell is ever a formula."""
    import csv  # only the CSV export needs it

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        r = row.roadmap
        values = [
            str(r.number),
            r.id,
            r.title,
            str(r.title_confirmed).lower(),
            r.sphere,
            row.label,
            ";".join(r.linked_conditions),
            ";".join(row.open_conditions),
            row.last_event.text,
            r.notes,
        ]
        writer.writerow([csv_cell(value) for value in values])
    return buffer.getvalue()


# Markdown inline syntax: escaped so that text stays text (no emphasis, links, code, tables).
# Our text never starts a line, so `#`, `-`, `+` and `1.` cannot start a block.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _md(text: str) -> str:
    """Text for a Markdown line: one line, HTML escaped, Markdown syntax inert."""
    import html

    text = html.escape(cell(text), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_link(label: str, url: str) -> str:
    """A link only to an http(s) URL, percent-encoded so it cannot end early; else text."""
    from urllib.parse import quote

    if not re.match(r"https?://", url, re.IGNORECASE):
        return f"{_md(label)} ({_md(url)})"
    # Keep what structures a URL; encode spaces, parentheses, brackets, quotes, <>, controls.
    safe = quote(cell(url), safe="/:?#@!$&'*+,;=%-._~")
    safe = safe.replace("'", "%27").replace("*", "%2A")
    return f"[{_md(label)}](<{safe}>)"


def _md_code(text: str) -> str:
    """An id as inline code; plain escaped text if it could close the code span."""
    return f"`{cell(text)}`" if "`" not in text else _md(text)


def to_markdown(dataset: Dataset, summary: Summary, rows: Sequence[RoadmapState]) -> str:
    """A readable report: progress, conditions, then every roadmap with its history."""
    sources = {s.id: s for s in dataset.sources}
    out = [f"# {_md(dataset.title)}", "", f"State as of {summary.as_of.isoformat()}.", ""]
    out += ["## Progress", "", "| status | roadmaps | share |", "|---|---:|---:|"]
    for status, count in summary.by_status.items():
        out.append(f"| {status} | {count} | {_share(count, summary.total):.0%} |")
    out += ["", "## Belarus's linked conditions", ""]
    out += ["| condition | status | holds up |", "|---|---|---|"]
    for report in summary.conditions:
        blocks = _md(", ".join(report.blocks)) or "—"
        out.append(
            f"| {_md(report.condition.title)} ({_md_code(report.condition.id)}) "
            f"| {report.status} | {blocks} |"
        )
    out += ["", "## Roadmaps", ""]
    for row in rows:
        r = row.roadmap
        confirmed = "" if r.title_confirmed else " (title not confirmed by a source)"
        out += [f"### {r.number}. {_md(r.title)}{confirmed}", ""]
        out.append(f"- id: {_md_code(r.id)} · sphere: {_md(r.sphere)} · status: **{row.label}**")
        if r.linked_conditions:
            out.append(f"- linked conditions: {_md(', '.join(r.linked_conditions))}")
        out.append("")
        for event in r.history:
            cited = ", ".join(_md_link(sources[s].publisher, sources[s].url) for s in event.sources)
            when = event.date.display
            out.append(
                f"- {when} — {event.status.value}: {_md(event.note)}"
                + (f" ({cited})" if cited else "")
            )
        if r.notes:
            out += ["", f"_{_md(r.notes)}_"]
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------- progress chart, schema

PROGRESS_COLUMNS = ("month", *STATUSES)


def progress_cells(month: MonthProgress) -> list[str]:
    """The cells of one month of `history --chart`, in PROGRESS_COLUMNS order."""
    return [month.label, *(str(month.counts[s]) for s in STATUSES)]


def progress_object(month: MonthProgress) -> dict[str, Any]:
    """The JSON object of one month of `history --chart`."""
    return {"month": month.label, **month.counts}


def schema_json() -> str:
    """The JSON Schema of a data file as text: 2-space indent, a final newline, stable."""
    return to_json(json_schema())
