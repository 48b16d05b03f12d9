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

import dataclasses
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from unionstate.checks import json_schema
from unionstate.errors import UsageError
from unionstate.models import (
    Condition,
    Dataset,
    Directions,
    Document,
    Implemented,
    Milestone,
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
    REASONS,
    STATUSES,
    ConditionReport,
    Implementation,
    MilestoneComparison,
    MonthProgress,
    RoadmapState,
    Summary,
    TimelineEvent,
    sphere_count,
    successors,
    timeline,
)
from unionstate.text import LOOKS, cell, clean

# ---------------------------------------------------------------- one way out


LIST_SEP = ","  # between the items of a list in one cell: TSV, CSV and `show` alike


@dataclass
class Section:
    """One table of a command that has several (`summary`, `show`): its name for
    `--section`, its tab-separated header and rows, and the keys of the JSON it comes from."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    keys: Sequence[str] = ()
    status_column: int | None = None
    about: str = ""
    document: Any = None  # its JSON, where it is not a part of the command's (`keys`)


@dataclass
class View:
    """What a command shows, in each of its shapes; `terminal.Output.emit` picks one.

    `document` is the JSON; `header` and `rows` the tab-separated lines through a pipe (or
    `text` where the output is text already); a command with several tables has
    `sections` instead, the first of them through a pipe, any by name (`section`); `kind`
    names how `tables.render` draws it on a terminal, from `data` (None: the plain shape
    there too); `fields` are what --fields may pick.
    """

    document: Any
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    status_column: int | None = None
    text: str | None = None
    kind: str | None = None
    data: Any = None
    fields: Sequence[str] = ()
    sections: Sequence[Section] = ()

    def plain(self, colored: bool) -> str:
        """The output through a pipe: one table (the first section, if it has several)."""
        if self.text is not None:
            return self.text
        if self.sections:
            return self.section(self.sections[0].name).plain(colored)
        return tsv(self.header, self.rows, self.status_column if colored else None)

    def section(self, name: str) -> View:
        """The view of one section: its rows, its part of the JSON, drawn as a plain table.

        UsageError naming the sections there are for a name that is not one of them.
        """
        names = [s.name for s in self.sections]
        if name not in names:
            hint = close_to(name, names)
            there = f"; sections are: {', '.join(names)}" if names else " (it has one table)"
            raise UsageError(f"unknown section {name!r}{hint}{there}")
        chosen = self.sections[names.index(name)]
        document = chosen.document if chosen.document is not None else self.document
        if chosen.document is None and isinstance(document, dict) and chosen.keys:
            document = {k: document[k] for k in chosen.keys if k in document}
        return View(
            document,
            chosen.header,
            chosen.rows,
            chosen.status_column,
            kind="table",
            data=chosen,
            fields=_keys(document) or list(self.fields),
        )


def _keys(document: Any) -> list[str]:
    """The keys --fields may pick from a JSON object, or from the objects of a list."""
    if isinstance(document, dict):
        return list(document)
    if isinstance(document, list):
        return list(dict.fromkeys(k for item in document if isinstance(item, dict) for k in item))
    return []


def close_to(word: str, choices: Sequence[str]) -> str:
    """ " (did you mean 'x'?)" for the choices close to `word`, or ""."""
    from unionstate.queries import did_you_mean

    hint = did_you_mean(word, choices).removeprefix(" — ")
    return f" ({hint})" if hint else ""


def select_fields(document: Any, wanted: Sequence[str], known: Sequence[str]) -> Any:
    """Only the `wanted` fields of a JSON object (or of each object of a list), in that order;
    a field that an object has no value for is null, never left out.

    UsageError, naming the fields there are (and the close ones), for a field that is not
    one of `known`: the fields of that command's records.
    """
    if not wanted:
        raise UsageError(f"--fields names no field; choose from: {', '.join(known)}")
    unknown = [f for f in wanted if f not in known]
    if unknown:
        hint = close_to(unknown[0], known)
        raise UsageError(
            f"unknown field {', '.join(map(repr, unknown))} for --fields{hint}; "
            f"choose from: {', '.join(known)}"
        )
    if isinstance(document, list):
        return [{f: item.get(f) for f in wanted} for item in document]
    return {f: document.get(f) for f in wanted}


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
    "title_basis",
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
            dataset_on=comparison.on.isoformat() if comparison.on else None,
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
            {**dataclasses.asdict(sphere_count(sphere, counts)), "by_status": dict(counts)}
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
        _short(r),
        r.id,
        r.title,
        r.sphere,
        row.label,
        LIST_SEP.join(row.open_conditions),
        row.last_event.text,
        LIST_SEP.join(row.unresolved_because),
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
        LIST_SEP.join(event.sources),
    ]


def _figure(value: object) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _percent(count: int, total: int) -> str:
    return f"{_share(count, total):.0%}"


MILESTONE_COLUMNS = (
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
)


def milestone_cells(c: MilestoneComparison) -> list[str]:
    """The cells of one reported count beside the record's (summary's `counts`)."""
    m = c.milestone
    return [
        m.date.text,
        m.reported,
        m.speaker or "",
        m.unit,
        *(_figure(v) for v in (m.agreed, m.open, m.done, m.total, m.percent)),
        *(
            (str(c.known_agreed), str(c.known_open), str(c.undetermined))
            if c.comparable
            else ("", "", "")
        ),
        "" if c.consistent is None else str(c.consistent).lower(),
    ]


def _short(record: Document) -> str:
    return f"{record.PREFIX}{record.number}"


def summary_sections(summary: Summary) -> list[Section]:
    """The tables of `summary`, each a `--section`; `status` is the one through a pipe."""
    as_of = summary.as_of.isoformat()
    status_rows = [
        [as_of, "roadmaps", "adoption", s, str(n), _percent(n, summary.total)]
        for s, n in summary.by_status.items()
    ]
    status_rows += [
        [as_of, "programs", "adoption", s, str(n), _percent(n, summary.programs_total)]
        for s, n in summary.programs_by_status.items()
    ]
    status_rows += [
        [as_of, "programs", "implementation", s, str(n), _percent(n, summary.programs_total)]
        for s, n in summary.programs_implementation.items()
    ]
    spheres = [sphere_count(name, counts) for name, counts in summary.by_sphere]
    return [
        Section(
            "status",
            ("as_of", "records", "axis", "status", "count", "share"),
            status_rows,
            ("as_of", "total", "by_status", "shares", "programs"),
            3,
            "records per status on both axes",
        ),
        Section(
            "open",
            ("number", "id", "kind", "status", "implementation", "unresolved_because"),
            [
                [
                    _short(r.roadmap),
                    r.roadmap.id,
                    r.roadmap.KIND,
                    r.label,
                    r.implementation.state if r.implementation else "",
                    LIST_SEP.join(r.unresolved_because),
                ]
                for r in summary.open
            ],
            ("open",),
            3,
            "what is still open, and why",
        ),
        Section(
            "directions",
            ("number", "id", "title", "status", "implementation"),
            [
                [
                    _short(r.roadmap),
                    r.roadmap.id,
                    r.roadmap.title,
                    r.label,
                    r.implementation.state if r.implementation else "",
                ]
                for r in summary.directions
            ],
            ("directions",),
            3,
            "the Main Directions documents",
        ),
        Section(
            "spheres",
            SPHERE_COLUMNS,
            [
                [
                    c.sphere,
                    str(c.total),
                    str(c.agreed_or_signed),
                    str(c.unresolved),
                    str(c.undetermined),
                    str(c.set_aside),
                ]
                for c in spheres
            ],
            ("by_sphere",),
            about="roadmaps per sphere",
        ),
        Section(
            "conditions",
            CONDITION_COLUMNS,
            condition_rows(summary.conditions),
            ("conditions",),
            2,
            "Belarus's linked conditions",
        ),
        Section(
            "latest",
            TIMELINE_COLUMNS,
            [timeline_cells(e) for e in summary.latest],
            ("latest",),
            3,
            "the latest events",
        ),
        Section(
            "counts",
            MILESTONE_COLUMNS,
            [milestone_cells(c) for c in summary.milestones],
            ("milestones", "implementation"),
            about="counts officials reported, beside the record's",
        ),
        Section(
            "questions",
            ("id", "question", "note"),
            [[q.id, q.question, q.note] for q in summary.open_questions],
            ("open_questions",),
            about="what the record does not know",
        ),
    ]


SPHERE_COLUMNS = (
    "sphere",
    "roadmaps",
    "agreed_or_signed",
    "unresolved",
    "undetermined",
    "set_aside",
)


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


def csv_value(value: Any) -> str:
    """A JSON value as one CSV (or TSV) cell: a list's items joined by LIST_SEP, booleans
    as true/false, nothing as ""."""
    if isinstance(value, list):
        return LIST_SEP.join(csv_value(item) for item in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def json_columns(kind: type[Record]) -> list[str]:
    """The flat JSON keys of a record type's fields that a table has room for: every field
    but its lists of records and its hidden ones, a date window as its four keys."""
    import typing

    hints = typing.get_type_hints(kind)
    out: list[str] = []
    for name in plain_fields(kind):
        if shown(kind, name) == "never":
            continue
        hint = hints[name]
        if hint is When or When in typing.get_args(hint):
            prefix = "" if name == "date" else f"{name}_"
            out += [name, f"{name}_precision", f"{prefix}earliest", f"{prefix}latest"]
        else:
            out.append(name)
    return out


def csv_row(row: RoadmapState) -> dict[str, Any]:
    """One CSV row of a roadmap, program or Main Directions document: every field of the
    record but its histories (its number as the tool takes it back: P25), then its state
    on the date: status, implementation, open conditions, why unresolved, last event."""
    record = row.roadmap
    out = _object(record, _table_fields(type(record)), {})
    out["number"] = _short(record)
    out.update(_derived(row))
    out.pop("possible_statuses", None)
    if isinstance(record, Implemented):
        out["implementation"] = row.implementation.state if row.implementation else ""
    return out


def _table_fields(kind: type[Record]) -> list[str]:
    """The fields of `kind` a CSV row shows: `json_columns` before a window is expanded."""
    return [n for n in plain_fields(kind) if shown(kind, n) != "never"]


def csv_text(columns: Sequence[str], objects: Iterable[dict[str, Any]]) -> str:
    """CSV of `objects` (JSON-like) in `columns`: a header, one line per object; no cell is
    ever a formula."""
    import csv  # only the CSV export needs it

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for item in objects:
        writer.writerow([csv_cell(csv_value(item.get(column))) for column in columns])
    return buffer.getvalue()


def to_csv(rows: Sequence[RoadmapState], kind: type[Document] | None = None) -> str:
    """One CSV row per roadmap, program or Main Directions document (`kind`, else that of
    the first row)."""
    kind = kind or (type(rows[0].roadmap) if rows else Roadmap)
    derived = [d for d in DERIVED_ROW[1:] if d != "implementation" or issubclass(kind, Implemented)]
    return csv_text([*json_columns(kind), *derived], (csv_row(row) for row in rows))


CSV_TABLES = ("roadmaps", "programs", "directions", "conditions", "events", "counts", "sources")
DOCUMENT_TYPES: dict[str, type[Document]] = {
    "roadmaps": Roadmap,
    "programs": Program,
    "directions": Directions,
}


def csv_table(dataset: Dataset, name: str) -> str:
    """One table of the record as CSV (export --format csv --table NAME; the report's
    downloads): a row per record of that kind, per event, per reported count or source."""
    from unionstate.queries import compare_milestone, condition_reports, states

    if name in DOCUMENT_TYPES:
        documents: Sequence[Document] = getattr(dataset, name)
        kind = type(documents[0]) if documents else DOCUMENT_TYPES[name]
        return to_csv(states(dataset, None, documents), kind)
    if name == "conditions":
        extra = ["holds_up", "blocks", "roadmaps", "programs", "last_event_date"]
        rows = [
            {
                **_object(r.condition, _table_fields(Condition), {}),
                "status": r.status,
                "holds_up": len(r.blocks),
                "blocks": list(r.blocks),
                "roadmaps": list(r.roadmaps),
                "programs": list(r.programs),
                "last_event_date": r.condition.history[-1].date.text,
            }
            for r in condition_reports(dataset)
        ]
        return csv_text([*json_columns(Condition), *extra], rows)
    if name == "events":
        events = [timeline_object(e) for e in timeline(dataset)]
        columns = ["date", "date_precision", "earliest", "latest", *TIMELINE_COLUMNS[1:]]
        return csv_text(columns, events)
    if name == "counts":
        checks = ["consistent", "dataset_listed", "dataset_agreed", "dataset_open"]
        columns = [*json_columns(Milestone), *checks, "dataset_undetermined"]
        return csv_text(
            columns, (milestone_object(compare_milestone(dataset, m)) for m in dataset.milestones)
        )
    if name == "sources":
        return csv_text(json_columns(Source), (source_object(s) for s in dataset.sources))
    raise UsageError(
        f"unknown table {name!r}{close_to(name, CSV_TABLES)}; tables are: " + ", ".join(CSV_TABLES)
    )


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


def _md_cited(ids: Iterable[str], sources: dict[str, Source]) -> str:
    """The sources of an entry as links: "publisher, title" to its URL."""
    cited = []
    for sid in ids:
        if sid not in sources:
            continue
        source = sources[sid]
        label = source.publisher + (f", {source.title}" if source.title else "")
        cited.append(_md_link(label, source.url))
    return ", ".join(cited)


def _md_counts(counts: dict[str, int], total: int) -> list[str]:
    return [f"| {s} | {n} | {_share(n, total):.0%} |" for s, n in counts.items() if n]


def _md_document(dataset: Dataset, row: RoadmapState, sources: dict[str, Source]) -> list[str]:
    """One roadmap, program or Main Directions document: both axes, its targets, its whole
    timeline (status changes, assessments, notes) with sources."""
    r = row.roadmap
    confirmed = "" if r.title_confirmed else f" (title {r.title_basis.words})"
    out = [f"### {_short(r)}. {_md(r.title)}{confirmed}", ""]
    line = f"- id: {_md_code(r.id)} · sphere: {_md(r.sphere)} · adopted: **{row.label}**"
    if row.implementation is not None:
        line += f" · implemented: **{row.implementation.state}**"
    out.append(line)
    if row.unresolved_because:
        reasons = ", ".join(REASONS[code] for code in row.unresolved_because)
        out.append(f"- unresolved: {_md(reasons)}")
    if r.linked_conditions:
        out.append(f"- linked conditions: {_md(', '.join(r.linked_conditions))}")
    if row.successors:
        out.append(f"- continued by: {_md(', '.join(row.successors))}")
    for t in row.targets:
        planned = " → ".join(d.date.display for d in t.target.due)
        out.append(f"- target: {_md(t.target.title)}, due {_md(planned)}: **{t.state}**")
    out.append("")
    for event in timeline(dataset, r):
        cited = _md_cited(event.sources, sources)
        what = event.status or "note"
        out.append(
            f"- {event.date.display} — {what}: {_md(event.note)}" + (f" ({cited})" if cited else "")
        )
    if r.notes:
        out += ["", f"_{_md(r.notes)}_"]
    extra = other_fields(r, (*LAID_OUT, "contains"))
    if extra:
        out += [""] + [f"- {_md(name)}: {_md(text)}" for name, text in extra]
    out.append("")
    return out


def to_markdown(dataset: Dataset, summary: Summary) -> str:
    """A readable report of the whole record: what is still open, both axes, the
    conditions, the counts officials reported, the open questions, every roadmap, program
    and Main Directions document with its history, and the sources."""
    from unionstate.queries import states

    sources = {s.id: s for s in dataset.sources}
    when = summary.as_of if summary.as_of != dataset.as_of else None
    out = [f"# {_md(dataset.title)}", "", f"State as of {summary.as_of.isoformat()}.", ""]
    out += ["## What is still open", ""]
    if not summary.open:
        out.append("Nothing is unresolved.")
    for row in summary.open:
        reasons = ", ".join(REASONS[code] for code in row.unresolved_because)
        conditions = f" ({', '.join(row.open_conditions)})" if row.open_conditions else ""
        out.append(f"- {_short(row.roadmap)} {_md(row.roadmap.title)}: {_md(reasons + conditions)}")
    out += ["", "## Where they stand", ""]
    out += [f"Roadmaps (2019), {summary.total}:", "", "| status | roadmaps | share |"]
    out += ["|---|---:|---:|", *_md_counts(summary.by_status, summary.total), ""]
    if summary.programs_total:
        n = summary.programs_total
        out += [f"Union programs (2021), {n}, adopted:", "", "| status | programs | share |"]
        out += ["|---|---:|---:|", *_md_counts(summary.programs_by_status, n), ""]
        out += ["Union programs, implemented:", "", "| state | programs | share |"]
        out += ["|---|---:|---:|", *_md_counts(summary.programs_implementation, n), ""]
    out += ["## Belarus's linked conditions", ""]
    out += ["| condition | status | holds up | linked |", "|---|---|---|---|"]
    for report in summary.conditions:
        blocks = _md(", ".join(report.blocks)) or "—"
        linked = _md(", ".join([*report.roadmaps, *report.programs])) or "—"
        out.append(
            f"| {_md(report.condition.title)} ({_md_code(report.condition.id)}) "
            f"| {report.status} | {blocks} | {linked} |"
        )
    out.append("")
    for condition in dataset.conditions:
        out += [f"### {_md(condition.title)} ({_md_code(condition.id)})", ""]
        out += [_md(condition.description), ""]
        for ce in condition.history:
            cited = _md_cited(ce.sources, sources)
            out.append(
                f"- {ce.date.display} — {ce.status.value}: {_md(ce.note)}"
                + (f" ({cited})" if cited else "")
            )
        for o in condition.observations:
            cited = _md_cited(o.sources, sources)
            out.append(
                f"- {o.date.display} — note: {_md(o.note)}" + (f" ({cited})" if cited else "")
            )
        out.append("")
    out += ["## Counts officials reported", ""]
    out += ["| date | reported | by | the record then |", "|---|---|---|---|"]
    for c in summary.milestones:
        m = c.milestone
        if not c.comparable:
            verdict = "not a count it can check"
        else:
            verdict = f"agreed {c.known_agreed}, open {c.known_open}, undetermined "
            verdict += f"{c.undetermined}: " + ("consistent" if c.consistent else "contradicts it")
        out.append(
            f"| {m.date.display} | {_md(m.reported)} | {_md(m.speaker or '')} | {_md(verdict)} |"
        )
    out += ["", "## What the record does not know", ""]
    if not summary.open_questions:
        out.append("No open question is recorded.")
    for q in summary.open_questions:
        out.append(f"- {_md(q.question)}" + (f" {_md(q.note)}" if q.note else ""))
    out.append("")
    for heading, documents in (
        ("Main Directions", dataset.directions),
        ("Union programs", dataset.programs),
        ("Roadmaps", dataset.roadmaps),
    ):
        if not documents:
            continue
        out += [f"## {heading}", ""]
        for row in states(dataset, when, documents):
            out += _md_document(dataset, row, sources)
    out += ["## Sources", ""]
    for source in dataset.sources:
        about = ", ".join(
            x for x in (source.title, source.date.isoformat() if source.date else None) if x
        )
        out.append(
            f"- {_md_code(source.id)}: {_md_link(source.publisher, source.url)}"
            + (f", {_md(about)}" if about else "")
        )
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


SOURCE_COLUMNS = tuple(plain_fields(Source))  # id, publisher, url, title, date, ... in order


def source_cells(source: Source) -> list[str]:
    """A source in its own columns, one per field of the record type."""
    return [value_text(getattr(source, name), LIST_SEP) for name in SOURCE_COLUMNS]


def show_view(dataset: Dataset, row: RoadmapState) -> View:
    """`show`: the facts of one roadmap or program, then its history with sources; through
    a pipe, one `--section` (facts, history, sources, conditions, targets)."""
    detail = roadmap_detail(dataset, row)
    r = row.roadmap
    facts = [
        [name, value_text(getattr(r, name), LIST_SEP)]
        for name in plain_fields(type(r))
        if shown(r, name) != "never"
    ]
    for fact in facts:
        if fact[0] == "status":
            fact[1] = row.label
        elif fact[0] == "number":
            fact[1] = _short(r)  # P25, as `show` takes it back (25 is roadmap 25)
    facts.insert(
        [f[0] for f in facts].index("linked_conditions") + 1,
        ["open_conditions", LIST_SEP.join(row.open_conditions)],
    )
    if row.implementation is not None:
        facts.append(["implementation_state", row.implementation.state])
    if row.unresolved_because:
        facts.append(["unresolved_because", LIST_SEP.join(row.unresolved_because)])
    if "successors" in detail:  # a roadmap's programs (a program or Main Directions has none)
        facts.append(["successors", LIST_SEP.join(f"P{p['number']}" for p in detail["successors"])])
    events = timeline(dataset, r)
    cited: list[str] = []
    for event in events:
        cited += [sid for sid in event.sources if sid not in cited]
    by_id = {s.id: s for s in dataset.sources}
    conditions = {c.id: c for c in dataset.conditions}
    sections = [
        Section(
            "facts",
            ("field", "value"),
            facts,
            tuple(k for k in detail if k in {f[0] for f in facts}),
            about="every field of the record",
        ),
        Section(
            "history",
            ("date", "kind", "status", "note", "sources"),
            [
                [e.date.text, e.kind, e.status or "", e.note, LIST_SEP.join(e.sources)]
                for e in events
            ],
            ("history", "observations", "implementation"),
            2,
            "status changes, assessments and notes, oldest first (sources by id)",
        ),
        Section(
            "sources",
            SOURCE_COLUMNS,
            [source_cells(by_id[sid]) for sid in cited if sid in by_id],
            document=[source_object(by_id[sid]) for sid in cited if sid in by_id],
            about="the sources the history cites, in order of first citation",
        ),
        Section(
            "conditions",
            ("id", "status", "title"),
            [
                [c, conditions[c].status.value, conditions[c].title]
                for c in r.linked_conditions
                if c in conditions
            ],
            ("conditions",),
            1,
            "the linked conditions",
        ),
        Section(
            "targets",
            ("id", "state", "due", "title"),
            [[t.target.id, t.state, t.due.date.text, t.target.title] for t in row.targets],
            ("target_states",),
            1,
            "its targets and where they stand",
        ),
    ]
    return View(detail, kind="show", data=(dataset, row), fields=list(detail), sections=sections)


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
        [
            name,
            report.status if name == "status" else value_text(getattr(condition, name), LIST_SEP),
        ]
        for name in plain_fields(Condition)
        if shown(condition, name) != "never"
    ]
    facts += [
        ["roadmaps", LIST_SEP.join(report.roadmaps)],
        ["programs", LIST_SEP.join(report.programs)],
        ["holds_up", LIST_SEP.join(report.blocks)],
    ]

    by_id = {s.id: s for s in dataset.sources}
    cited: list[str] = []
    for ids in [e.sources for e in condition.history] + [o.sources for o in condition.observations]:
        cited += [sid for sid in ids if sid not in cited]
    sections = [
        Section(
            "facts",
            ("field", "value"),
            facts,
            tuple(k for k in detail if k in {f[0] for f in facts}),
            about="every field of the condition, what it is linked to and holds up",
        ),
        Section(
            "history",
            ("date", "status", "note", "sources"),
            [
                [e.date.text, e.status.value, e.note, LIST_SEP.join(e.sources)]
                for e in condition.history
            ],
            ("history",),
            1,
            "its status changes, oldest first (sources by id)",
        ),
        Section(
            "observations",
            ("date", "by", "note", "sources"),
            [
                [o.date.text, o.by or "", o.note, LIST_SEP.join(o.sources)]
                for o in condition.observations
            ],
            ("observations",),
            about="statements that changed nothing, oldest first (sources by id)",
        ),
        Section(
            "sources",
            SOURCE_COLUMNS,
            [source_cells(by_id[sid]) for sid in cited if sid in by_id],
            document=[source_object(by_id[sid]) for sid in cited if sid in by_id],
            about="the sources its history cites, in order of first citation",
        ),
    ]
    return View(
        detail, kind="condition", data=(dataset, report), fields=list(detail), sections=sections
    )


CONDITION_COLUMNS = ("id", "title", "status", "holds_up", "blocks", "roadmaps", "programs")


def condition_rows(reports: Sequence[ConditionReport]) -> list[list[str]]:
    """The cells of `conditions` (and summary's `conditions`), in CONDITION_COLUMNS order."""
    return [
        [
            r.condition.id,
            r.condition.title,
            r.status,
            str(len(r.blocks)),
            LIST_SEP.join(r.blocks),
            LIST_SEP.join(r.roadmaps),
            LIST_SEP.join(r.programs),
        ]
        for r in reports
    ]


def conditions_view(reports: Sequence[ConditionReport], dataset: Dataset | None = None) -> View:
    """`conditions`: ranked by how many roadmaps each holds up."""
    document = [condition_object(r) for r in reports]
    fields = [*row_fields(Condition), "roadmaps", "programs", "blocks", "blocks_because"]
    return View(
        document,
        CONDITION_COLUMNS,
        condition_rows(reports),
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
        sections=summary_sections(summary),
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


SOURCES_COLUMNS = ("id", "publisher", "date", "language", "cited", "title", "url")


def sources_view(found: Sequence[Source], cited: Mapping[str, int]) -> View:
    """`sources`: each source with how many times the record cites it."""
    document = [{**source_object(s), "cited": cited.get(s.id, 0)} for s in found]
    rows = [
        [value_text(item[name]) if item[name] is not None else "" for name in SOURCES_COLUMNS]
        for item in document
    ]
    names = [*plain_fields(Source), "cited"]
    return View(document, SOURCES_COLUMNS, rows, fields=names)


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
