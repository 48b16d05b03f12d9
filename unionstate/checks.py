"""Validation: every rule a dataset obeys, the JSON Schema, and upgrades of older files.

`validate(data)` checks plain data with pydantic (imported on first use) and either returns
a dataset that obeys every rule, or raises `Invalid`, whose `errors` are pydantic's error
dicts. Cross-record problems arrive as one `value_error` whose `ctx["error"]` is a
`CrossRecordError` listing each problem with the location (a pydantic-style `loc`) of the
offending value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

from unionstate.models import (
    DOCUMENT_UNITS,
    SCHEMA_VERSION,
    ConditionStatus,
    Dataset,
    Document,
    Event,
    ImplementationState,
    Implemented,
    Loc,
    Record,
    RoadmapStatus,
    Rule,
    When,
    place_dates,
)

ADOPTED = frozenset({RoadmapStatus.AGREED, RoadmapStatus.SIGNED})


class Problem:
    """One cross-record problem: where it is (a pydantic-style loc) and what is wrong."""

    __slots__ = ("loc", "message")

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = loc
        self.message = message

    def __repr__(self) -> str:
        return f"Problem({self.loc!r}, {self.message!r})"


class CrossRecordError(ValueError):
    """Raised inside validation when records disagree with each other."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.message}" for p in problems))
        self.problems = list(problems)


class Invalid(ValueError):
    """Plain data that is not a valid dataset; `errors` are pydantic's error dicts."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def _exported(item: dict[str, Any]) -> dict[str, Any]:
    """A record as `export --format json` writes it, back as data: the derived days of each
    window field (`plain.when_object`) are dropped, and its precision when it is the
    spelling's own."""
    windows = [k for k in item if isinstance(item[k], str) and f"{k}_precision" in item]
    if not windows:
        return item
    item = dict(item)
    for name in windows:
        prefix = "" if name == "date" else f"{name}_"
        derived = (f"{prefix}earliest", f"{prefix}latest")
        if not all(k in item for k in derived):
            continue
        for key in derived:
            del item[key]
        try:
            same = When.parse(item[name]).precision.value == item[f"{name}_precision"]
        except ValueError:
            same = False
        if same:
            del item[f"{name}_precision"]
    return item


def upgrade(data: Any) -> Any:
    """Plain data of an older schema_version as the current one (4); anything else unchanged.

    Version 1 spelled a window as a day plus `date_precision`; version 3 adds fields
    (observations, assessments, targets, Main Directions, count ranges), all optional, so
    a version 2 file is a version 3 file with none of them; version 4 grades a title
    (`title_basis`) where earlier versions had a flag (`title_confirmed`). A JSON export
    (`plain.jsonable`) loads as the data it came from. The next save writes version 4.
    """
    if not isinstance(data, dict):
        return data
    if data.get("schema_version") not in (1, 2, 3, 4):
        return _title_bases(dict(data))  # what is wrong is the version: say only that
    version = data["schema_version"]
    data = dict(data, schema_version=SCHEMA_VERSION)
    if version < 4:
        data = _title_bases(data)

    def convert(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        if version > 1:
            return _exported(item)
        return _precise(item) if "date_precision" in item else item

    def walk(item: Any) -> Any:
        if isinstance(item, list):
            return [walk(i) for i in item]
        if isinstance(item, dict):
            return convert({k: walk(v) for k, v in item.items()})
        return item

    for kind in ("conditions", "roadmaps", "programs", "directions", "milestones"):
        if kind in data:
            data[kind] = walk(data[kind])
    return data


def _title_bases(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3's `title_confirmed` flag as a `title_basis`: a confirmed title was named by
    a source; an unconfirmed one claims no more than a reconstruction (the weakest grade)."""
    for kind in ("roadmaps", "programs", "directions"):
        records = data.get(kind)
        if not isinstance(records, list):
            continue
        upgraded = []
        for record in records:
            if isinstance(record, dict) and "title_confirmed" in record:
                record = dict(record)
                flag = record.pop("title_confirmed")
                if "title_basis" not in record:
                    basis = {True: "named", False: "reconstructed"}.get(flag, flag)
                    record["title_basis"] = basis
            upgraded.append(record)
        data[kind] = upgraded
    return data


def _precise(item: dict[str, Any]) -> dict[str, Any]:
    """A version 1 window (a day plus `date_precision`) as its version 2 spelling."""
    item = dict(item)
    precision, day = item.pop("date_precision"), item.get("date")
    text = day.isoformat() if isinstance(day, dt.date) else day
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
        item["date"] = {"approximate": f"~{text}", "month": text[:7], "year": text[:4]}.get(
            precision, text
        )
    else:
        item["date_precision"] = precision  # let validation name the problem
    return item


def _records_agree(dataset: Dataset) -> Dataset:
    place_dates(dataset)
    problems = list(cross_record_problems(dataset))
    if problems:
        raise CrossRecordError(problems)
    return dataset


_VALIDATOR: list[Any] = []  # pydantic's TypeAdapter for a dataset, built on first use


def _validator() -> Any:
    if not _VALIDATOR:
        from pydantic import TypeAdapter

        rule = Rule(before=upgrade, after=_records_agree)
        _VALIDATOR.append(TypeAdapter(Annotated[Dataset, rule]))
    return _VALIDATOR[0]


def validate(data: Any) -> Dataset:
    """The dataset that plain `data` describes, checked against every rule (else `Invalid`).

    Records inside `data` that are already `Record` instances are taken as they are
    (they were validated when they were made); cross-record rules always run.
    """
    from pydantic import ValidationError

    try:
        dataset: Dataset = _validator().validate_python(data)
    except ValidationError as exc:
        raise Invalid([dict(error) for error in exc.errors()]) from None
    return dataset


def field_problem(record_type: type[Record], name: str, value: Any) -> str | None:
    """What is wrong with `value` as `record_type`'s field `name` by that field's own rule
    (None: nothing, or no such field); cross-record rules are not checked."""
    import typing

    from pydantic import TypeAdapter, ValidationError

    hints = typing.get_type_hints(record_type, include_extras=True)
    if name not in hints:
        return None
    try:
        TypeAdapter(hints[name]).validate_python(value)
    except ValidationError as exc:
        message: str = exc.errors()[0]["msg"]
        return message.removeprefix("Value error, ")
    return None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a data file, from `Dataset` (for editors; loading checks more)."""
    schema: dict[str, Any] = _validator().json_schema()
    schema["title"] = f"unionstate data file (schema_version {SCHEMA_VERSION})"
    definitions = schema.pop("$defs")  # last, so the file opens with the top-level fields
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$defs": definitions,
    }


def _duplicates(field: str, items: Iterable[tuple[int, str | int]], what: str) -> Iterator[Problem]:
    items = list(items)
    counts = Counter(value for _, value in items)
    for index, value in items:
        if counts[value] > 1:
            yield Problem((field, index, what), f"duplicate {what} {value!r}")


def _dates(base: Loc, history: Sequence[Event], as_of: dt.date) -> Iterator[Problem]:
    previous: When | None = None
    for index, event in enumerate(history):
        when = event.date
        loc = (*base, index, "date")
        if when.earliest is not None and when.earliest > as_of:
            yield Problem(loc, f"{when.display} is after the dataset's as_of ({as_of})")
        elif previous is not None and when.last < previous.first:
            yield Problem(
                loc, f"history out of order: {when.display} comes after {previous.display}"
            )
        elif when.earliest is not None and when.earliest > when.last:
            yield Problem(loc, f"{when.display} ends before the previous event begins")
        previous = when


def _cited(base: Loc, cited: Sequence[str], known: set[str]) -> Iterator[Problem]:
    for index, source_id in enumerate(cited):
        if source_id not in known:
            yield Problem((*base, index), f"unknown source {source_id!r}")


def _document_problems(
    kind: str, documents: Sequence[Document], dataset: Dataset
) -> Iterator[Problem]:
    sources = {s.id for s in dataset.sources}
    conditions = {c.id for c in dataset.conditions}
    open_conditions = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
    yield from _duplicates(kind, ((i, d.number) for i, d in enumerate(documents)), "number")
    yield from _duplicates(kind, ((i, d.id) for i, d in enumerate(documents)), "id")
    for i, document in enumerate(documents):
        base: Loc = (kind, i)
        seen: set[str] = set()
        for j, condition_id in enumerate(document.linked_conditions):
            if condition_id not in conditions:
                yield Problem(
                    (*base, "linked_conditions", j), f"unknown condition {condition_id!r}"
                )
            elif condition_id in seen:
                yield Problem(
                    (*base, "linked_conditions", j), f"condition {condition_id!r} listed twice"
                )
            seen.add(condition_id)
        yield from _dates((*base, "history"), document.history, dataset.as_of)
        for j, event in enumerate(document.history):
            yield from _cited((*base, "history", j, "sources"), event.sources, sources)
        if document.status is not document.last_event.status:
            yield Problem(
                (*base, "status"),
                f"is {document.status} but the last history event leaves it "
                f"{document.last_event.status}",
            )
        if document.status is RoadmapStatus.BLOCKED and not open_conditions & seen:
            yield Problem((*base, "status"), "is blocked but none of its linked conditions is open")
        yield from _statements(
            (*base, "observations"), document.observations, dataset.as_of, sources
        )
        yield from _targets((*base, "targets"), document, sources)
        if isinstance(document, Implemented):
            yield from _implementation((*base, "implementation"), document, dataset.as_of, sources)


def _statements(
    base: Loc, items: Sequence[Event], as_of: dt.date, known: set[str]
) -> Iterator[Problem]:
    """Dated, sourced statements in date order (observations, assessments), citing only
    `known` sources."""
    yield from _dates(base, items, as_of)
    for j, item in enumerate(items):
        yield from _cited((*base, j, "sources"), getattr(item, "sources", []), known)


def _implementation(
    base: Loc, document: Implemented, as_of: dt.date, known: set[str]
) -> Iterator[Problem]:
    yield from _statements(base, document.implementation, as_of, known)
    begun = document.history[0].date
    adopted = [e.date for e in document.history if e.status in ADOPTED]
    for j, item in enumerate(document.implementation):
        if item.date.last < begun.first:
            yield Problem(
                (*base, j, "date"),
                f"{item.date.display} is before {document.label}'s first event ({begun.display})",
            )
        elif item.state is ImplementationState.COMPLETED and (
            not adopted or item.date.last < adopted[0].first
        ):
            yield Problem(
                (*base, j, "state"),
                f"completed on {item.date.display}, before {document.label} was adopted",
            )
        if item.done is not None and item.total is not None and item.done > item.total:
            yield Problem((*base, j, "done"), f"{item.done} done of only {item.total}")
        if (item.done is None) != (item.total is None):
            yield Problem((*base, j, "total"), "give done and total together, or neither")


def _targets(base: Loc, document: Document, known: set[str]) -> Iterator[Problem]:
    ids = Counter(t.id for t in document.targets)
    for i, target in enumerate(document.targets):
        if ids[target.id] > 1:
            yield Problem((*base, i, "id"), f"duplicate target id {target.id!r}")
    for i, target in enumerate(document.targets):
        loc: Loc = (*base, i)
        previous: When | None = None
        for j, planned in enumerate(target.due):
            yield from _cited((*loc, "due", j, "sources"), planned.sources, known)
            if previous is not None and planned.set.last < previous.first:
                yield Problem(
                    (*loc, "due", j, "set"),
                    f"planned dates out of order: set {planned.set.display}, after one set "
                    f"{previous.display}",
                )
            previous = planned.set
        outcome = target.outcome
        if outcome is not None:
            yield from _cited((*loc, "outcome", "sources"), outcome.sources, known)
            first = target.due[0].set
            if outcome.date.last < first.first:
                yield Problem(
                    (*loc, "outcome", "date"),
                    f"{outcome.state} on {outcome.date.display}, before the target was set "
                    f"({first.display})",
                )


def cross_record_problems(dataset: Dataset) -> Iterator[Problem]:
    """Every way the records of `dataset` disagree with each other."""
    yield from _duplicates("sources", ((i, s.id) for i, s in enumerate(dataset.sources)), "id")
    yield from _duplicates(
        "conditions", ((i, c.id) for i, c in enumerate(dataset.conditions)), "id"
    )
    yield from _duplicates(
        "open_questions", ((i, q.id) for i, q in enumerate(dataset.open_questions)), "id"
    )

    sources = {s.id for s in dataset.sources}
    as_of = dataset.as_of

    for i, condition in enumerate(dataset.conditions):
        base: Loc = ("conditions", i)
        yield from _cited((*base, "sources"), condition.sources, sources)
        yield from _dates((*base, "history"), condition.history, as_of)
        for j, condition_event in enumerate(condition.history):
            yield from _cited((*base, "history", j, "sources"), condition_event.sources, sources)
        if condition.status is not condition.history[-1].status:
            yield Problem(
                (*base, "status"),
                f"is {condition.status} but the last history event leaves it "
                f"{condition.history[-1].status}",
            )
        yield from _statements((*base, "observations"), condition.observations, as_of, sources)

    documents = {d.id for d in dataset.documents}
    for i, milestone in enumerate(dataset.milestones):
        yield from _cited(("milestones", i, "sources"), milestone.sources, sources)
        when = milestone.date
        if when.earliest is not None and when.earliest > as_of:
            yield Problem(
                ("milestones", i, "date"), f"{when.display} is after the dataset's as_of ({as_of})"
            )
        if milestone.subject is not None and milestone.subject not in documents:
            yield Problem(
                ("milestones", i, "subject"),
                f"unknown roadmap, program or directions {milestone.subject!r}",
            )
        for j, member in enumerate(milestone.members):
            if member not in documents:
                yield Problem(
                    ("milestones", i, "members", j),
                    f"unknown roadmap, program or directions {member!r}",
                )
        if milestone.members and milestone.unit not in DOCUMENT_UNITS:
            yield Problem(
                ("milestones", i, "members"),
                f"members name records, but the count is of {milestone.unit}",
            )

    yield from _document_problems("roadmaps", dataset.roadmaps, dataset)
    yield from _document_problems("programs", dataset.programs, dataset)
    yield from _document_problems("directions", dataset.directions, dataset)
    owner: dict[str, str] = {}
    for kind in ("roadmaps", "programs", "directions"):
        for i, document in enumerate(getattr(dataset, kind)):
            if document.id in owner and owner[document.id] != kind:
                other = {"roadmaps": "a roadmap", "programs": "a program"}[owner[document.id]]
                yield Problem((kind, i, "id"), f"{document.id!r} is also {other}'s id")
            owner.setdefault(document.id, kind)
    program_ids = {p.id for p in dataset.programs}
    for i, directions in enumerate(dataset.directions):
        for j, program_id in enumerate(directions.contains):
            if program_id not in program_ids:
                yield Problem(("directions", i, "contains", j), f"unknown program {program_id!r}")
    roadmap_ids = {r.id for r in dataset.roadmaps}
    for i, program in enumerate(dataset.programs):
        base = ("programs", i)
        for j, roadmap_id in enumerate(program.succeeds):
            if roadmap_id not in roadmap_ids:
                yield Problem((*base, "succeeds", j), f"unknown roadmap {roadmap_id!r}")
        if program.succeeds and program.succession is None:
            yield Problem(
                (*base, "succession"), "say how the succession is known: reported or hypothesis"
            )
        if not program.succeeds and program.succession is not None:
            yield Problem((*base, "succession"), "is set but succeeds names no roadmap")

    for i, question in enumerate(dataset.open_questions):
        yield from _cited(("open_questions", i, "sources"), question.sources, sources)
