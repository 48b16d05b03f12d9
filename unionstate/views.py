"""What each command shows, in every shape: JSON, tab-separated rows, CSV, Markdown.

Prints nothing. A view of a whole record starts from its plain form (`plain.jsonable`) and
adds derived keys (its status on the date asked about, its open conditions, ...); each list
shape takes its fields from the record type (`plain.row_fields`), so a field added to a
record type reaches every view without a line here, unless it is declared hidden in the
models. A `View` carries every shape of one command's output; `terminal.Output.emit` picks
one, and `tables.render` draws it on a terminal (this module never imports rich, so the
`--json` and piped paths start fast).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from unionstate.checks import json_schema
from unionstate.errors import UsageError
from unionstate.models import (
    Condition,
    Dataset,
    Document,
    Implemented,
    Program,
    Record,
    Roadmap,
    Source,
    When,
)
from unionstate.plain import (
    field_names,
    jsonable,
    plain_fields,
    row_fields,
    shown,
    when_object,
)
from unionstate.queries import (
    STATUSES,
    UNDETERMINED,
    ConditionReport,
    Implementation,
    MilestoneComparison,
    MonthProgress,
    RoadmapState,
    Summary,
    TimelineEvent,
    successors,
)
from unionstate.text import LOOKS, cell, clean

# ---------------------------------------------------------------- one way out


@dataclass
class View:
    """What a command shows, in each of its shapes; `terminal.Output.emit` picks one.

    `document` is the JSON; `header` and `rows` the tab-separated lines through a pipe (or
    `text` where the output is more than one table); `kind` names how `tables.render`
    draws it on a terminal, from `data` (None: the plain shape there too); `fields` are
    what --fields may pick.
    """

    document: Any
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    status_column: int | None = None
    text: str | None = None
    kind: str | None = None
    data: Any = None
    fields: Sequence[str] = ()

    def plain(self, colored: bool) -> str:
        """The output through a pipe."""
        if self.text is not None:
            return self.text
        return tsv(self.header, self.rows, self.status_column if colored else None)


def select_fields(document: Any, wanted: Sequence[str], known: Sequence[str]) -> Any:
    """Only the `wanted` fields of a JSON object (or of each object of a list), in that order.

    UsageError, naming the fields there are, for a field that is not one of `known`.
    """
    if not wanted:
        raise UsageError(f"--fields names no field; choose from: {', '.join(known)}")
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise UsageError(
            f"unknown field {', '.join(map(repr, unknown))} for --fields; "
            f"choose from: {', '.join(known)}"
        )
    if isinstance(document, list):
        return [{f: item[f] for f in wanted if f in item} for item in document]
    return {f: document[f] for f in wanted if f in document}


# ---------------------------------------------------------------- short names


def record_names(dataset: Dataset | None) -> dict[str, str]:
    """Each roadmap, program and Main Directions id → the short name the tool accepts back
    ("14", "P13", "D2"): what a table shows where room is short."""
    if dataset is None:
        return {}
    return {d.id: f"{d.PREFIX}{d.number}" for d in dataset.documents}


def subject_names(dataset: Dataset | None) -> dict[str, str]:
    """What a timeline row is about, for a reader: "P13 <title>" for a record, its title
    for a condition (a milestone's subject is its own wording)."""
    if dataset is None:
        return {}
    out = {d.id: f"{d.PREFIX}{d.number} {d.title}" for d in dataset.documents}
    out.update({c.id: c.title for c in dataset.conditions})
    return out


# ----------------------------------------------------------------------- JSON


def to_json(document: Any) -> str:
    """The JSON text of a document: 2-space indent, UTF-8 kept, a final newline.

    json escapes C0 controls itself; DEL, C1 and bidi controls are escaped here too
    (they can only occur inside strings, so `\\uXXXX` is lossless and still JSON).
    """
    return clean(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


# --------------------------------------------------------- records, from their fields

DERIVED_ROW = (
    "possible_statuses",
    "implementation",
    "open_conditions",
    "unresolved_because",
    "last_event_date",
)


def _object(record: Record, names: Iterable[str], derived: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(record, name)
        if isinstance(value, When):
            out.update(when_object(value, name))
        else:
            out[name] = jsonable(value)
    out.update(derived)
    return out


def row_object(record: Record, **derived: Any) -> dict[str, Any]:
    """A record as one row of a list: its row fields (`plain.row_fields`) as JSON, then the
    `derived` keys (a derived key of a field's name replaces its value in place)."""
    return _object(record, row_fields(type(record)), derived)


def record_object(record: Record, **derived: Any) -> dict[str, Any]:
    """A whole record as JSON, but its hidden fields, then the `derived` keys."""
    names = [f for f in field_names(type(record)) if shown(record, f) != "never"]
    return _object(record, names, derived)


def document_fields(kind: type[Document]) -> list[str]:
    """What --fields may pick from `list` rows of roadmaps or programs (`kind`): the row
    fields of that record type, then the derived."""
    derived = [d for d in DERIVED_ROW if d != "implementation" or issubclass(kind, Implemented)]
    return [*row_fields(kind), *derived]


def implementation_object(standing: Implementation) -> dict[str, Any]:
    """A record's implementation on a date: its state and the assessments behind it (the
    latest, or all those in dispute)."""
    return {
        "state": standing.state,
        "assessments": [jsonable(a) for a in standing.assessments],
    }


def _derived(row: RoadmapState) -> dict[str, Any]:
    """What a row's state adds to the record: the DERIVED_ROW keys."""
    derived: dict[str, Any] = {"status": row.label}
    if row.status is None:
        derived["possible_statuses"] = list(row.possible)
    if row.implementation is not None:
        derived["implementation"] = row.implementation.state
    derived["open_conditions"] = list(row.open_conditions)
    derived["unresolved_because"] = list(row.unresolved_because)
    derived["last_event_date"] = row.last_event.text
    return derived


def roadmap_row(row: RoadmapState) -> dict[str, Any]:
    """The JSON object of a record in `list` output: its row fields, its status on that date
    (with `possible_statuses` where it is undetermined), its implementation state (programs
    and Main Directions), its open conditions, why it is unresolved (REASONS codes) and the
    date of its last event."""
    return row_object(row.roadmap, **_derived(row))


def source_object(source: Source) -> dict[str, Any]:
    """A source as JSON."""
    document: dict[str, Any] = jsonable(source)
    return document


def _cited(item: Any, sources: dict[str, Source]) -> Any:
    """`item` (JSON data) with every `sources` list of ids given as the sources themselves."""
    if isinstance(item, list):
        return [_cited(x, sources) for x in item]
    if not isinstance(item, dict):
        return item
    out = {k: _cited(v, sources) for k, v in item.items()}
    cited = item.get("sources")
    if isinstance(cited, list) and all(isinstance(s, str) for s in cited):
        out["sources"] = [source_object(sources[s]) for s in cited if s in sources]
    return out


def roadmap_detail(dataset: Dataset, row: RoadmapState) -> dict[str, Any]:
    """The JSON object of `show`: every field of the record (its status on that date, each
    event's sources in full), then what is derived: open conditions, the date of the last
    event, the linked conditions with their titles and, for a roadmap, its successors."""
    sources = {s.id: s for s in dataset.sources}
    conditions = {c.id: c for c in dataset.conditions}
    record = row.roadmap
    detail = {k: _cited(v, sources) for k, v in record_object(record, status=row.label).items()}
    derived = _derived(row)
    if row.implementation is not None:  # the field is the history; its state on the date:
        detail["implementation_state"] = implementation_object(row.implementation)
        del derived["implementation"]
    detail.update(derived)
    detail["target_states"] = [
        {"id": t.target.id, "state": t.state, **when_object(t.due.date, "due")} for t in row.targets
    ]
    detail["conditions"] = [
        {"id": c, "title": conditions[c].title, "status": conditions[c].status.value}
        for c in record.linked_conditions
    ]
    if not isinstance(record, Implemented):
        detail["successors"] = [
            {"number": p.number, "id": p.id, "title": p.title, "succession": p.succession}
            for p in successors(dataset, record)
        ]
    return detail


def condition_object(report: ConditionReport) -> dict[str, Any]:
    """The JSON object of a condition in `conditions` output: its row fields, its status on
    that date, the roadmaps linked to it and those it holds up."""
    return row_object(
        report.condition,
        status=report.status,
        roadmaps=list(report.roadmaps),
        programs=list(report.programs),
        blocks=list(report.blocks),
        blocks_because={k: list(v) for k, v in report.because.items()},
    )


def value_text(value: Any, sep: str = ", ") -> str:
    """A field's value as a reader sees it in a table or a page: lists joined by `sep`,
    booleans as true/false, nothing as ""."""
    plain = jsonable(value)
    if isinstance(value, list):
        return sep.join(str(item) for item in plain)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return str(plain).lower()
    return value.display if isinstance(value, When) else str(plain)


# The fields of a roadmap or program that `show`, Markdown and the report lay out themselves;
# `other_fields` gives them the rest.
LAID_OUT = (
    "number",
    "id",
    "title",
    "title_confirmed",
    "sphere",
    "status",
    "notes",
    "linked_conditions",
    "succeeds",
    "succession",
)


def other_fields(record: Record, shown_already: Iterable[str]) -> list[tuple[str, str]]:
    """(name, text) of the fields of `record` that a view does not lay out itself: every
    field not in `shown_already`, neither hidden nor a list of records, with a value. This
    is how a field added to a record type appears in `show`, Markdown and the report."""
    skip = set(shown_already)
    out = []
    for name in plain_fields(type(record)):
        if name in skip or shown(record, name) == "never":
            continue
        text = value_text(getattr(record, name))
        if text:
            out.append((name, text))
    return out


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
    """A reported figure (every field of the milestone) and whether the record on that
    date allows it (`consistent` null: not a count the record can check), with the
    record's own counts where it can."""
    out: dict[str, Any] = jsonable(comparison.milestone)
    out["consistent"] = comparison.consistent
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
            "implementation": dict(summary.programs_implementation),
        },
        "directions": [roadmap_row(r) for r in summary.directions],
        "open": [open_object(r) for r in summary.open],
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


def open_object(row: RoadmapState) -> dict[str, Any]:
    """An unresolved record in `summary`'s "what is still open": who, why, how far."""
    r = row.roadmap
    out: dict[str, Any] = {"kind": r.KIND, "number": r.number, "id": r.id, "title": r.title}
    out.update(_derived(row))
    latest = row.implementation.latest if row.implementation else None
    out["latest_assessment"] = jsonable(latest) if latest else None
    out["targets"] = [
        {"id": t.target.id, "title": t.target.title, "state": t.state}
        | when_object(t.due.date, "due")
        for t in row.targets
        if t.state in ("open", "overdue")
    ]
    return out


def dataset_object(dataset: Dataset) -> dict[str, Any]:
    """The whole dataset as JSON (export --format json)."""
    document: dict[str, Any] = jsonable(dataset)
    return document


# ------------------------------------------------------------ tab-separated

LIST_COLUMNS = (
    "number",
    "id",
    "title",
    "sphere",
    "status",
    "open_conditions",
    "last_event",
    "unresolved_because",
)


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
        ",".join(row.unresolved_because),
    ]


def _colored(value: str) -> str:
    look = LOOKS.get(value)
    return f"\x1b[{look.sgr}m{value}\x1b[0m" if look else value


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

# A spreadsheet takes a cell starting with one of these for a formula (`=HYPERLINK(...)`,
# `@SUM(...)`, `+cmd|...`): OWASP's advice is to prefix a single quote, which shows the text
# as typed and is what the spreadsheet itself writes for "text that looks like a formula".
_FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


# A spreadsheet may split a line at any of these (a `;` in ru, de, fr locales, a tab, a
# pipe), whatever the quoting: what follows one may start a cell too.
_FORMULA_AFTER = re.compile(r"([,;\t|\r\n][ \t]*)(?=[=+\-@\t\r])")


def csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text: terminal-safe, never a formula, even
    when the spreadsheet splits the line at a separator inside the cell."""
    text = _FORMULA_AFTER.sub(r"\1'", text)
    return ("'" if text.startswith(_FORMULA_FIRST) else "") + clean(text)


def csv_row(row: RoadmapState) -> dict[str, str]:
    """One CSV row: every field of the record but its history (lists joined by ";"), then
    the derived ones, as text."""
    record = row.roadmap
    out: dict[str, str] = {}
    for name in plain_fields(type(record)):
        value = getattr(record, name)
        if shown(record, name) == "never":
            continue
        if isinstance(value, list):
            out[name] = ";".join(str(item) for item in value)
        elif isinstance(value, When):
            out[name] = value.text
        else:
            text = jsonable(value)
            out[name] = (
                "" if text is None else str(text).lower() if isinstance(text, bool) else str(text)
            )
    out["status"] = row.label
    out["open_conditions"] = ";".join(row.open_conditions)
    out["last_event_date"] = row.last_event.text
    return out


def to_csv(rows: Sequence[RoadmapState]) -> str:
    """One CSV row per roadmap (export --format csv); no cell is ever a formula."""
    import csv  # only the CSV export needs it

    kind = type(rows[0].roadmap) if rows else Roadmap
    columns = [*(n for n in plain_fields(kind) if shown(kind, n) != "never"), *DERIVED_ROW[1:]]
    table = [csv_row(row) for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for values in table:
        writer.writerow([csv_cell(values.get(column, "")) for column in columns])
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
        extra = other_fields(r, LAID_OUT)
        if extra:
            out += [""] + [f"- {_md(name)}: {_md(text)}" for name, text in extra]
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------- progress chart, schema

PROGRESS_COLUMNS = ("month", *STATUSES)


def progress_cells(month: MonthProgress, states: Sequence[str] = STATUSES) -> list[str]:
    """The cells of one month of `history --chart`: the month, then a count per state."""
    return [month.label, *(str(month.counts[s]) for s in states)]


def progress_object(month: MonthProgress) -> dict[str, Any]:
    """The JSON object of one month of `history --chart`."""
    return {"month": month.label, **month.counts}


def schema_json() -> str:
    """The JSON Schema of a data file as text: 2-space indent, a final newline, stable."""
    return to_json(json_schema())


# ------------------------------------------------------ each command's view, one shape


def list_view(
    rows: Sequence[RoadmapState], title: str, kind: type[Document], reasons: bool = False
) -> View:
    """`list`: one row per roadmap, program or Main Directions (`kind`, the record type
    listed); with `reasons` (`--unresolved`), a last column says why each is unresolved."""
    width = len(LIST_COLUMNS) - (0 if reasons else 1)
    return View(
        [roadmap_row(r) for r in rows],
        LIST_COLUMNS[:width],
        [list_cells(r)[:width] for r in rows],
        status_column=4,
        kind="list",
        data=(rows, title, reasons),
        fields=document_fields(kind),
    )


def show_view(dataset: Dataset, row: RoadmapState) -> View:
    """`show`: the facts of one roadmap or program, then its history with sources."""
    detail = roadmap_detail(dataset, row)
    r = row.roadmap
    facts = [
        [name, value_text(getattr(r, name), ",")]
        for name in plain_fields(type(r))
        if shown(r, name) != "never"
    ]
    for fact in facts:
        if fact[0] == "status":
            fact[1] = row.label
    facts.insert(
        [f[0] for f in facts].index("linked_conditions") + 1,
        ["open_conditions", ",".join(row.open_conditions)],
    )
    if not isinstance(r, Program):
        facts.append(["successors", ",".join(f"P{p['number']}" for p in detail["successors"])])
    history = [
        [
            e["date"],
            e["status"],
            e["note"],
            " ".join(f"{src['publisher']} {src['url']}" for src in e["sources"]),
        ]
        for e in detail["history"]
    ]
    text = (
        tsv(("field", "value"), facts) + "\n" + tsv(("date", "status", "note", "sources"), history)
    )
    return View(detail, text=text, kind="show", data=(dataset, row), fields=list(detail))


def condition_detail(dataset: Dataset, report: ConditionReport) -> dict[str, Any]:
    """The JSON object of `show CONDITION`: every field of the condition (its status on
    that date, each event's sources in full), then the records linked to it and those it
    holds up."""
    sources = {s.id: s for s in dataset.sources}
    condition = report.condition
    detail = {
        k: _cited(v, sources) for k, v in record_object(condition, status=report.status).items()
    }
    detail.update(
        roadmaps=list(report.roadmaps),
        programs=list(report.programs),
        blocks=list(report.blocks),
        blocks_because={k: list(v) for k, v in report.because.items()},
    )
    return detail


def condition_show_view(dataset: Dataset, report: ConditionReport) -> View:
    """`show CONDITION`: its facts, what it is linked to and holds up, then its history and
    observations with their sources."""
    detail = condition_detail(dataset, report)
    condition = report.condition
    facts = [
        [name, report.status if name == "status" else value_text(getattr(condition, name), ",")]
        for name in plain_fields(Condition)
        if shown(condition, name) != "never"
    ]
    facts += [
        ["roadmaps", ",".join(report.roadmaps)],
        ["programs", ",".join(report.programs)],
        ["holds_up", ",".join(report.blocks)],
    ]

    def cited(item: dict[str, Any]) -> str:
        return " ".join(f"{src['publisher']} {src['url']}" for src in item["sources"])

    history = [[e["date"], e["status"], e["note"], cited(e)] for e in detail["history"]]
    text = (
        tsv(("field", "value"), facts) + "\n" + tsv(("date", "status", "note", "sources"), history)
    )
    observed = [[o["date"], o.get("by") or "", o["note"], cited(o)] for o in detail["observations"]]
    if observed:
        text += "\n" + tsv(("date", "by", "observation", "sources"), observed)
    return View(detail, text=text, kind="condition", data=(dataset, report), fields=list(detail))


CONDITION_COLUMNS = ("id", "title", "status", "holds_up", "blocks", "roadmaps")


def conditions_view(reports: Sequence[ConditionReport], dataset: Dataset | None = None) -> View:
    """`conditions`: ranked by how many roadmaps each holds up."""
    rows = [
        [
            r.condition.id,
            r.condition.title,
            r.status,
            str(len(r.blocks)),
            ",".join(r.blocks),
            ",".join(r.roadmaps),
        ]
        for r in reports
    ]
    document = [condition_object(r) for r in reports]
    fields = [*row_fields(Condition), "roadmaps", "blocks"]
    return View(
        document,
        CONDITION_COLUMNS,
        rows,
        2,
        kind="conditions",
        data=(reports, record_names(dataset)),
        fields=fields,
    )


def summary_view(summary: Summary, full: bool = False, dataset: Dataset | None = None) -> View:
    """`summary`: one screen on a terminal (all of it with `full`), everything otherwise."""
    document = summary_object(summary)
    return View(
        document,
        text=summary_text(summary),
        kind="summary-full" if full else "summary",
        data=(summary, record_names(dataset), subject_names(dataset)),
        fields=list(document),
    )


TIMELINE_COLUMNS = ("date", "kind", "subject", "status", "note", "sources")


def timeline_view(events: Sequence[TimelineEvent], dataset: Dataset | None = None) -> View:
    """`history`: one timeline, oldest first."""
    return View(
        [timeline_object(e) for e in events],
        TIMELINE_COLUMNS,
        [timeline_cells(e) for e in events],
        3,
        kind="timeline",
        data=(events, subject_names(dataset)),
        fields=("date", "date_precision", "earliest", "latest", *TIMELINE_COLUMNS[1:]),
    )


def progress_view(
    months: Sequence[MonthProgress],
    title: str = "Roadmaps by status at the end of each month",
    states: Sequence[str] = STATUSES,
) -> View:
    """`history --chart`: records per status (or implementation state, `states`) at the
    end of each month."""
    columns = ("month", *states)
    return View(
        [progress_object(m) for m in months],
        columns,
        [progress_cells(m, states) for m in months],
        kind="chart",
        data=(months, title, tuple(states)),
        fields=columns,
    )


def table_view(header: Sequence[str], rows: Sequence[Sequence[str]], document: Any) -> View:
    """Rows of plain cells (`info`, `undo --list`): tab-separated, or their JSON."""
    return View(document, header, rows, fields=list(header))


def text_view(text: str, document: Any) -> View:
    """Output that is already text (`diff`, `export`): as it is, or its JSON."""
    return View(document, text=text)


# ------------------------------------------------------------- the field reference


def _type_text(kind: Any) -> str:
    """A field's type in words, from its annotation."""
    import datetime as dt
    import types
    import typing
    from enum import Enum

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [_type_text(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (", or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if isinstance(kind, type):
        if issubclass(kind, Enum):
            return " or ".join(f"`{m.value}`" for m in kind)
        if issubclass(kind, Record):
            return kind.__name__
        words = {str: "text", int: "whole number", float: "number", bool: "true or false"}
        if kind is When:
            return "date window"
        if kind is dt.date:
            return "date"
        return words.get(kind, kind.__name__)
    return str(kind)


def field_reference() -> str:
    """Every record type of the data file and its fields, as a Markdown table (for
    docs/data.md: derived from the models, so a new field appears there too)."""
    import dataclasses
    import typing

    seen: list[type[Record]] = []

    def walk(kind: type[Record]) -> None:
        if kind in seen:
            return
        seen.append(kind)
        for hint in typing.get_type_hints(kind).values():
            for arg in (hint, *typing.get_args(hint)):
                for inner in (arg, *typing.get_args(arg)):
                    if isinstance(inner, type) and issubclass(inner, Record):
                        walk(inner)

    walk(Dataset)
    lines = ["| record | what it is | fields |", "|---|---|---|"]
    for kind in seen:
        hints = typing.get_type_hints(kind, include_extras=True)
        about = (kind.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        parts = []
        for f in dataclasses.fields(kind):
            optional = f.default is not dataclasses.MISSING or (
                f.default_factory is not dataclasses.MISSING
            )
            where = {"detail": "; not in list rows", "never": "; shown nowhere"}.get(
                f.metadata.get("shown", ""), ""
            )
            mark = " (optional" + where + ")" if optional else (f" ({where[2:]})" if where else "")
            parts.append(f"`{f.name}`: {_type_text(hints[f.name])}{mark}")
        lines.append(f"| `{kind.__name__}` | {about} | {'; '.join(parts)} |")
    return "\n".join(lines) + "\n"
