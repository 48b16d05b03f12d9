"""Pure changes to the records themselves: sources, official counts, new records, edits.

`updates` moves records through their histories; this module adds what those histories
stand on. A source (`add_source`, `edit_source`), an official count (`add_count`, a
`Milestone`, checked at once against the record by `queries.compare_milestone`), a new
roadmap, program, Main Directions document or condition with its first event
(`add_record`), and a change of a record's fields (`edit_record`: title, sphere, linked
conditions, succession), which is recorded as a dated, sourced observation so that it
shows in the record's history and in `diff`. Each returns a new, re-validated dataset and
never touches the disk; `store.update` runs them under the lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from unionstate import sources as srcs
from unionstate.checks import field_problem
from unionstate.errors import Refused, UsageError
from unionstate.models import (
    AMOUNT_FORMS,
    Amount,
    Condition,
    ConditionStatus,
    Dataset,
    Directions,
    Document,
    Milestone,
    Program,
    Record,
    Roadmap,
    RoadmapStatus,
    Source,
    TitleBasis,
)
from unionstate.plain import fields_of
from unionstate.queries import MilestoneComparison, compare_milestone, find_condition, find_roadmap
from unionstate.updates import (
    Entry,
    _as_of,
    _dated,
    _editable,
    _in_time,
    _index,
    _needs_source,
    _replace,
    _revalidate,
)


def check_fields(record_type: type[Record], fields: dict[str, Any]) -> None:
    """Each given value (not None) checked against its field's rule in `record_type`: a
    value given on the command line that no record could hold is a usage error (exit 2)."""
    for name, value in fields.items():
        problem = None if value is None else field_problem(record_type, name, value)
        if problem:
            raise UsageError(f"--{name.replace('_', '-')} {value!r}: {problem}")


# ------------------------------------------------------------------------- sources


@dataclass
class SourceAdded:
    """What `add_source` did: the new dataset, the source's id, and whether it was there."""

    dataset: Dataset
    id: str
    existed: bool = False
    ignored: list[str] = field(default_factory=list)  # given fields that differ from it


SOURCE_FIELDS = ("publisher", "title", "date", "language", "reprint_of", "url")


def add_source(
    dataset: Dataset, url: str, fields: dict[str, Any], source_id: str | None = None
) -> SourceAdded:
    """Add the source at `url` with `fields` (publisher, title, date, language, reprint_of).

    A URL the record already holds keeps its source and id (nothing is written; the fields
    given that differ are named, for `source edit`). A given id must be free; without one,
    it is derived from the URL.
    """
    ref = srcs.reference(url)
    if not srcs.is_url(ref):
        raise UsageError(f"{url!r} is not an http(s) URL")
    given = {k: v for k, v in fields.items() if v is not None}
    check_fields(Source, given)
    existing = srcs.by_url(dataset.sources, ref)
    if existing is not None:
        differ = [k for k, v in given.items() if getattr(existing, k) != v]
        if source_id is not None and source_id != existing.id:
            differ.insert(0, "id")
        return SourceAdded(dataset, existing.id, existed=True, ignored=differ)
    taken = {s.id for s in dataset.sources}
    if source_id is None:
        source_id = srcs.derived_id(ref, taken)
    elif srcs.reference(source_id) != source_id or srcs.is_url(source_id):
        raise UsageError(f"{source_id!r} is not an id: use a-z, 0-9 and '-' ('tass-1295507')")
    elif source_id in taken:
        other = next(s for s in dataset.sources if s.id == source_id)
        raise Refused(f"source id {source_id!r} is taken by {other.url}; choose another --id")
    data = _editable(dataset)
    data["sources"].append({"id": source_id, "url": ref, **given})
    return SourceAdded(_revalidate(data), source_id)


def edit_source(
    dataset: Dataset, given: str, fields: dict[str, Any]
) -> tuple[Dataset, Source, list[str]]:
    """Change fields of the source named by id or URL: the new dataset, the source as it
    was, and the names of the fields that changed ([]: nothing to change)."""
    fields = {k: v for k, v in fields.items() if v is not None}
    if not fields:
        raise UsageError(f"say what to change: {', '.join('--' + k for k in SOURCE_FIELDS)}")
    check_fields(Source, fields)
    found = srcs.find(dataset, given)
    if "url" in fields:
        url = srcs.reference(fields["url"])
        if not srcs.is_url(url):
            raise UsageError(f"{fields['url']!r} is not an http(s) URL")
        other = srcs.by_url(dataset.sources, url)
        if other is not None and other is not found:
            raise Refused(f"{url} is already source {other.id}")
        fields["url"] = url
    changed = [k for k, v in fields.items() if getattr(found, k) != v]
    if not changed:
        return dataset, found, []
    data = _editable(dataset)
    data["sources"][dataset.sources.index(found)] = {**fields_of(found), **fields}
    return _revalidate(data), found, changed


# -------------------------------------------------------------------------- counts


@dataclass
class CountAdded:
    """What `add_count` did: the new dataset, the count, and how it compares to the record."""

    dataset: Dataset
    milestone: Milestone
    comparison: MilestoneComparison
    new_source: str | None = None


def _amount(value: str | None, name: str) -> Amount | None:
    if value is None:
        return None
    try:
        return Amount.parse(int(value) if value.isascii() and value.isdigit() else value)
    except ValueError:
        raise UsageError(f"--{name}: expected {AMOUNT_FORMS}; got {value!r}") from None


def count_figures(
    *,
    done: str | None = None,
    total: int | None = None,
    agreed: str | None = None,
    open_: str | None = None,
    percent: float | None = None,
    no_figure: bool = False,
) -> dict[str, Any]:
    """A count's figures, checked: one kind (done of total, agreed and open, a percentage, or
    a total alone) whose parts agree, or (`no_figure`) none at all, for a report whose words
    give nothing to check ("under 80%", a plan); UsageError (exit 2) naming what does not."""
    if no_figure:
        given = [name for name, value in (("--done", done), ("--total", total),
                 ("--agreed", agreed), ("--open", open_), ("--percent", percent))
                 if value is not None]  # fmt: skip
        if given:
            raise UsageError(f"--no-figure goes with no figure (got {', '.join(given)})")
        return {"done": None, "agreed": None, "open": None, "total": None, "percent": None}
    if total is not None and done is None and agreed is None and open_ is None and percent is None:
        return {"done": None, "agreed": None, "open": None, "total": total, "percent": None}
    kinds = [
        name
        for name, given in (
            ("--done", done is not None),
            ("--agreed/--open", agreed is not None or open_ is not None),
            ("--percent", percent is not None),
        )
        if given
    ]
    if len(kinds) != 1:
        what = " and ".join(kinds) if kinds else "none"
        raise UsageError(
            "give one kind of count: --done N --total M, --agreed N and/or --open M "
            f"[--total M], --percent P, --total M alone, or --no-figure (got {what})"
        )
    if percent is not None and not 0 <= percent <= 100:
        raise UsageError(f"--percent {percent:g} is not between 0 and 100")
    if done is not None and total is None:
        raise UsageError("give --done and --total together")
    if percent is not None and total is not None:
        raise UsageError("--total goes with --done or --agreed/--open, not --percent")
    amounts = {"done": _amount(done, "done"), "agreed": _amount(agreed, "agreed")}
    amounts["open"] = _amount(open_, "open")
    if total is not None:
        for name, amount in amounts.items():
            if amount is not None and amount.lo > total:
                raise UsageError(f"--{name} {amount.display} is more than --total {total}")
        least = sum(a.lo for k, a in amounts.items() if a is not None and k != "done")
        if least > total:
            raise UsageError(
                f"--agreed {amounts['agreed']} and --open {amounts['open']} make at least "
                f"{least}, more than --total {total}"
            )
    return {**amounts, "total": total, "percent": percent}


def add_count(
    dataset: Dataset,
    entry: Entry,
    today: dt.date,
    *,
    unit: str,
    figures: dict[str, Any],
    reported: str,
    by: str | None = None,
    side: str | None = None,
    members: list[str] | None = None,
    subject: str | None = None,
) -> CountAdded:
    """Record a count officials reported (`figures` from `count_figures`), in their wording;
    the result says whether the record on that date allows it. `subject`: the one record
    the figure is about (a roadmap, program or Main Directions document), if only one."""
    _needs_source(entry, "a count")
    for option, name, value in (("--reported", "reported", reported), ("--by", "speaker", by)):
        problem = None if value is None else field_problem(Milestone, name, value)
        if problem:
            raise UsageError(f"{option} {value!r}: {problem}")
    _in_time(entry, today)
    named = []
    for name in members or []:
        found = find_roadmap(dataset, name)
        if found.id not in named:
            named.append(found.id)
    about = find_roadmap(dataset, subject).id if subject is not None else None
    data = _editable(dataset)
    cited, new_source = srcs.cite(data, entry.source)
    item = {
        "date": entry.on,
        "subject": about,
        "reported": reported,
        "speaker": by,
        "side": side,
        **{k: v for k, v in figures.items() if v is not None},
        "unit": unit,
        "members": named,
        "note": entry.note or "",
        "sources": cited,
    }
    data["milestones"] = _dated(data["milestones"], item)
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    new = _revalidate(data)
    milestone = new.milestones[data["milestones"].index(item)]
    return CountAdded(new, milestone, compare_milestone(new, milestone), new_source)


def comparison_text(comparison: MilestoneComparison) -> str:
    """One line saying whether the record allows a count (as `summary` checks it)."""
    if not comparison.comparable:
        return "not checked: the record cannot count this (it checks counts of its own records)"
    if comparison.axis == "implementation":
        lo, hi = comparison.agreed_range
        held = f"{lo}" if lo == hi else f"{lo}–{hi}"
        what = f"the record has {held} of {comparison.listed} completed on that date"
    else:
        lo, hi = comparison.agreed_range
        olo, ohi = comparison.open_range
        agreed = f"{lo}" if lo == hi else f"{lo}–{hi}"
        opened = f"{olo}" if olo == ohi else f"{olo}–{ohi}"
        what = f"the record has {agreed} agreed and {opened} open of {comparison.listed} then"
    verdict = "consistent with the record" if comparison.consistent else "contradicts the record"
    total = comparison.milestone.total
    if total is not None and comparison.listed < total:
        what += f" (it lists only {comparison.listed} of the {total} counted)"
    return f"{verdict}: {what}"


# --------------------------------------------------------------------- new records

KINDS = ("roadmap", "program", "directions", "condition")
_DOCUMENTS: dict[str, tuple[str, type[Document]]] = {
    "roadmap": ("roadmaps", Roadmap),
    "program": ("programs", Program),
    "directions": ("directions", Directions),
}


@dataclass
class RecordAdded:
    """What `add_record` did: the new dataset, the new record's label, a new source."""

    dataset: Dataset
    label: str
    new_source: str | None = None


def add_record(
    dataset: Dataset,
    kind: str,
    record_id: str,
    title: str,
    entry: Entry,
    today: dt.date,
    *,
    sphere: str | None = None,
    number: int | None = None,
    status: str | None = None,
    title_basis: TitleBasis = TitleBasis.RECONSTRUCTED,
    succeeds: list[str] | None = None,
    succession: str | None = None,
    contains: list[str] | None = None,
    description: str | None = None,
    condition_kind: str | None = None,
    link: list[str] | None = None,
    notes: str | None = None,
) -> RecordAdded:
    """A new roadmap, program, Main Directions document or condition, with its first event
    (dated `entry.on`, citing `entry.source`, status pending or open unless given)."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}: choose {', '.join(KINDS)}")
    _needs_source(entry, f"a new {kind}")
    _in_time(entry, today)
    key = record_id.strip().lower()
    record_type: type[Record] = Condition if kind == "condition" else _DOCUMENTS[kind][1]
    check_fields(
        record_type,
        {"id": key, "title": title, "sphere": sphere, "description": description, "number": number},
    )
    statuses = ConditionStatus if kind == "condition" else RoadmapStatus
    if status is not None and status not in {s.value for s in statuses}:
        raise UsageError(f"--status {status!r}: a {kind} is {', '.join(s.value for s in statuses)}")
    taken = {d.id: d.label for d in dataset.documents}
    taken.update({c.id: f"condition {c.id}" for c in dataset.conditions})
    if key in taken:
        raise Refused(f"the id {key!r} is taken: it is {taken[key]}")
    data = _editable(dataset)
    cited, new_source = srcs.cite(data, entry.source)
    if kind == "condition":
        if not description:
            raise UsageError("a new condition needs --description: what Belarus asks for")
        if sphere or succeeds or contains or number or link or notes:
            raise UsageError(
                "a condition has no --sphere, --number, --succeeds, --contains, --link or --notes"
            )
        first = status or ConditionStatus.OPEN.value
        record: dict[str, Any] = {
            "id": key,
            "title": title,
            "description": description,
            "status": first,
            "kind": condition_kind or "demand",
            "history": [
                {
                    "date": entry.on,
                    "status": first,
                    "note": entry.note or "Raised.",
                    "sources": cited,
                }
            ],
            "sources": [],
        }
        data["conditions"].append(record)
        label = f"condition {key}"
    else:
        if not sphere:
            raise UsageError(f"a new {kind} needs --sphere (such as 'energy')")
        if condition_kind or description:
            raise UsageError("--kind and --description are for conditions")
        if (succeeds and kind != "program") or (contains and kind != "directions"):
            raise UsageError("--succeeds is for programs, --contains for Main Directions")
        if succeeds and succession is None:
            raise UsageError("--succeeds needs --succession reported or --succession hypothesis")
        collection, document_type = _DOCUMENTS[kind]
        numbers = [d.number for d in getattr(dataset, collection)]
        number = number if number is not None else max(numbers, default=0) + 1
        if number in numbers:
            raise Refused(f"{kind} number {document_type.PREFIX}{number} is taken")
        first = status or RoadmapStatus.PENDING.value
        record = {
            "number": number,
            "id": key,
            "title": title,
            "title_basis": title_basis.value,
            "sphere": sphere,
            "status": first,
            "linked_conditions": list(
                dict.fromkeys(find_condition(dataset, c).id for c in link or [])
            ),
            "history": [
                {
                    "date": entry.on,
                    "status": first,
                    "note": entry.note or "First recorded.",
                    "sources": cited,
                }
            ],
            "notes": notes or "",
        }
        if kind == "program":
            record["succeeds"] = [find_roadmap(dataset, r).id for r in succeeds or []]
            record["succession"] = succession if succeeds else None
        if kind == "directions":
            record["contains"] = [find_roadmap(dataset, p).id for p in contains or []]
        data[collection].append(record)
        label = f"{kind} {document_type.PREFIX}{number} ({key})"
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return RecordAdded(_revalidate(data), label, new_source)


# ---------------------------------------------------------------------------- edits


@dataclass
class Edited:
    """What `edit_record` did: the new dataset, the record's label, each change in words."""

    dataset: Dataset
    label: str
    changes: list[str]
    new_source: str | None = None


def _value(value: Any) -> str:
    """A field's value in an edit's note: 'text', [a, b], (none)."""
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(str(value))


def edit_record(
    dataset: Dataset,
    name: str,
    entry: Entry,
    today: dt.date,
    *,
    title: str | None = None,
    sphere: str | None = None,
    link: list[str] | None = None,
    unlink: list[str] | None = None,
    succeeds: list[str] | None = None,
    succession: str | None = None,
    title_basis: TitleBasis | None = None,
) -> Edited:
    """Change fields of a roadmap, program, Main Directions document or condition, and record
    the change as an observation dated `entry.on` citing `entry.source` (its note says
    what changed, then `entry.note`)."""
    _needs_source(entry, "an edit")
    _in_time(entry, today)
    asked = [title, sphere, link, unlink, succeeds, succession, title_basis]
    if all(value is None for value in asked):
        raise UsageError(
            "say what to change: --title, --sphere, --link, --unlink, --succeeds, --succession "
            "or --title-basis"
        )
    try:
        found: Any = find_roadmap(dataset, name)
    except Refused:
        if name.strip().lower() not in {c.id for c in dataset.conditions}:
            raise
        found = find_condition(dataset, name)
    is_condition = isinstance(found, Condition)
    check_fields(type(found), {"title": title, "sphere": sphere})
    if is_condition and any(v is not None for v in asked[1:]):
        raise UsageError(f"condition {found.id} has only a --title to edit here")
    if not isinstance(found, Program) and (succeeds is not None or succession is not None):
        raise UsageError(f"{found.label} is not a program: only programs succeed roadmaps")
    data = _editable(dataset)
    cited, new_source = srcs.cite(data, entry.source)
    if is_condition:
        record = _replace(data["conditions"], dataset.conditions.index(found))
        label = f"condition {found.id}"
    else:
        kind, position = _index(dataset)[found.id]
        record = _replace(data[kind], position)
        label = found.label
    said: list[str] = []

    def change(field_name: str, value: Any, text: str | None = None) -> None:
        if record[field_name] != value:
            said.append(text or f"{field_name} {_value(record[field_name])} → {_value(value)}")
            record[field_name] = value

    if title is not None:
        change("title", title)
    if sphere is not None:
        change("sphere", sphere)
    if title_basis is not None:
        change("title_basis", title_basis.value, f"title {title_basis.words}")
    for cid in link or []:
        condition = find_condition(dataset, cid).id
        if condition not in record["linked_conditions"]:
            linked = [*record["linked_conditions"], condition]
            change("linked_conditions", linked, f"linked to condition {condition}")
    for cid in unlink or []:
        condition = find_condition(dataset, cid).id
        if condition not in record["linked_conditions"]:
            raise Refused(f"{label} is not linked to condition {condition}")
        linked = [c for c in record["linked_conditions"] if c != condition]
        change("linked_conditions", linked, f"unlinked from condition {condition}")
    if not is_condition and found.status is RoadmapStatus.BLOCKED:
        open_ids = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
        if not open_ids & set(record["linked_conditions"]):
            raise Refused(
                f"{label} is blocked, and only by what --unlink removes: record what freed "
                f"it first (`unionstate resolve CONDITION`, or `agree {found.id}`)"
            )
    if succeeds is not None:
        change("succeeds", [find_roadmap(dataset, r).id for r in succeeds])
        if not record["succeeds"]:
            change("succession", None)
    if succession is not None:
        change("succession", succession)
    if not said:
        return Edited(dataset, label, [])
    text = "Edited: " + "; ".join(said) + "."
    note = f"{text} {entry.note}" if entry.note else text
    item = {"date": entry.on, "note": note, "sources": cited}
    record["observations"] = _dated(record["observations"], item)
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Edited(_revalidate(data), label, said, new_source)
