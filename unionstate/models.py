"""The data model: plain dataclass records for the dataset, and every rule they obey.

No I/O here, and no pydantic at import time: a command that reads a dataset the cache
has already seen builds these records directly (`trusted`) and never pays for building
validators. `validate(data)` checks plain data with pydantic (imported on first use) and
either returns a dataset that obeys every rule below, or raises `Invalid`, whose
`errors` are pydantic's error dicts. Cross-record problems arrive as one `value_error`
whose `ctx["error"]` is a `CrossRecordError` listing each problem with the location (a
pydantic-style `loc`) of the offending value.

The field rules live in the annotations (`Slug`, `Line`, `Day`, ...): `Annotated` types
whose `_Rule` metadata tells pydantic how to check them, and `json_schema()` how to
describe them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

SCHEMA_VERSION = 1

Loc = tuple[str | int, ...]


class RoadmapStatus(str, Enum):
    """Where a roadmap stands."""

    PENDING = "pending"
    AGREED = "agreed"
    BLOCKED = "blocked"
    SIGNED = "signed"

    def __str__(self) -> str:
        return self.value


class ConditionStatus(str, Enum):
    """Whether one of Belarus's linked conditions is still open."""

    OPEN = "open"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return self.value


class DatePrecision(str, Enum):
    """How exactly an event's date is known (the record is often vaguer than a day)."""

    DAY = "day"
    APPROXIMATE = "approximate"  # "~29 Sep 2020": the source's own estimate of the day
    MONTH = "month"  # "late May 2021": the day is unknown; `date` is the 1st
    YEAR = "year"  # the month is unknown too; `date` is 1 January

    def __str__(self) -> str:
        return self.value


UNRESOLVED = frozenset({RoadmapStatus.PENDING, RoadmapStatus.BLOCKED})

# Text that reaches a terminal must not be able to drive it: C0/C1 controls (ESC starts
# ANSI CSI and OSC sequences), DEL, and the bidirectional overrides and isolates.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://[^\s/]+")


def unsafe_characters(text: str) -> list[str]:
    """The characters in `text` that could drive a terminal, named as U+XXXX."""
    return sorted({f"U+{ord(ch):04X}" for ch in _UNSAFE.findall(text)})


def _safe_text(value: str) -> str:
    bad = unsafe_characters(value)
    if bad:
        raise ValueError(f"control or bidi characters are not allowed ({', '.join(bad)})")
    return value


# Line breaks besides "\n": NEL is a C1 control (refused above); these two break a line in
# YAML, in JavaScript and in many viewers, while looking like nothing at all.
_LINE_SEPARATORS = ("\n", "\t", "\u2028", "\u2029")


def _one_line(value: str) -> str:
    value = _safe_text(value)
    if any(sep in value for sep in _LINE_SEPARATORS):
        raise ValueError("must be a single line (no line break, line or paragraph separator)")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("expected a lowercase slug such as 'gas-market' (a-z, 0-9, '-')")
    return value


def _url(value: str) -> str:
    value = _one_line(value)
    if not _URL.match(value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _date_text(value: object) -> object:
    # Lax pydantic would read a number as unix seconds (`as_of: 1622160000`): refuse it.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    if not isinstance(value, (str, dt.date)) or isinstance(value, dt.datetime):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    return value


class _Rule:
    """`Annotated` metadata that tells pydantic how to check a field, without importing it.

    `settings` go into the type's own core schema (`strict`, `ge`, `min_length`); `before`
    and `after` wrap it in plain validator functions; `pattern` only describes the rule
    in the JSON Schema (for editors): the `after` function enforces it, with a clearer
    message than a regular expression mismatch.
    """

    __slots__ = ("after", "before", "pattern", "settings")

    def __init__(
        self,
        *,
        before: Callable[[Any], Any] | None = None,
        after: Callable[[Any], Any] | None = None,
        pattern: str | None = None,
        **settings: Any,
    ) -> None:
        self.before, self.after, self.pattern, self.settings = before, after, pattern, settings

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import core_schema

        schema = handler(source)
        schema.update(self.settings)
        if self.before is not None:
            schema = core_schema.no_info_before_validator_function(self.before, schema)
        if self.after is not None:
            schema = core_schema.no_info_after_validator_function(self.after, schema)
        return schema

    def __get_pydantic_json_schema__(self, schema: Any, handler: Callable[[Any], Any]) -> Any:
        described = handler(schema)
        if self.pattern is not None:
            described["pattern"] = self.pattern
        return described


Day = Annotated[dt.date, _Rule(before=_date_text)]
Text = Annotated[str, _Rule(strict=True, after=_safe_text)]
Line = Annotated[str, _Rule(strict=True, after=_one_line)]
Slug = Annotated[str, _Rule(strict=True, after=_slug, pattern=_SLUG.pattern)]
Url = Annotated[str, _Rule(strict=True, after=_url, pattern=_URL.pattern)]
Flag = Annotated[bool, _Rule(strict=True)]
Count = Annotated[int, _Rule(strict=True, ge=0)]
Number = Annotated[int, _Rule(strict=True, ge=1)]
_AT_LEAST_ONE = _Rule(min_length=1)


@dataclass(kw_only=True, slots=True)
class Record:
    """Strict base: an unknown field is an error."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@dataclass(kw_only=True, slots=True)
class Source(Record):
    """A publication that a fact is taken from; everything else cites it by `id`."""

    id: Slug
    publisher: Line
    url: Url
    title: Line | None = None
    date: Day | None = None
    reprint_of: Line | None = None  # the agency whose copy the page carries, if it says so


@dataclass(kw_only=True, slots=True)
class Event(Record):
    """A dated entry in a history: what happened, and the status it left behind."""

    date: Day
    date_precision: DatePrecision = DatePrecision.DAY
    note: Text
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class RoadmapEvent(Event):
    """A roadmap's history entry; `status` is the roadmap's status after the event."""

    status: RoadmapStatus


@dataclass(kw_only=True, slots=True)
class ConditionEvent(Event):
    """A condition's history entry; `status` is the condition's status after the event."""

    status: ConditionStatus


@dataclass(kw_only=True, slots=True)
class Condition(Record):
    """One of Belarus's conditions for signing; the roadmaps it holds up link to it."""

    id: Slug
    title: Line
    description: Text
    status: ConditionStatus
    history: Annotated[list[ConditionEvent], _AT_LEAST_ONE]
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Milestone(Record):
    """A dated count that officials reported, in their own wording."""

    date: Day
    date_precision: DatePrecision = DatePrecision.DAY
    reported: Line  # the wording as reported: "28.5 of 30", "6–7 open", "at least 20"
    speaker: Line | None = None
    agreed: Count | None = None
    open: Count | None = None
    total: Count | None = None
    unit: Literal["roadmaps", "programs", "directions"] = "roadmaps"
    note: Text = ""
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Roadmap(Record):
    """One of the 31 sectoral roadmaps drafted in 2019."""

    number: Number
    id: Slug
    title: Line
    title_confirmed: Flag
    sphere: Line
    status: RoadmapStatus
    linked_conditions: list[Slug] = field(default_factory=list)
    history: Annotated[list[RoadmapEvent], _AT_LEAST_ONE]
    notes: Text = ""

    @property
    def last_event(self) -> RoadmapEvent:
        """The newest history entry."""
        return self.history[-1]


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


@dataclass(kw_only=True, slots=True)
class Dataset(Record):
    """The whole data file: metadata, sources, conditions, milestones and roadmaps."""

    schema_version: Literal[1]
    title: Line
    as_of: Day
    description: Text
    numbering: Text
    sources: list[Source]
    conditions: list[Condition]
    milestones: list[Milestone]
    roadmaps: list[Roadmap]

    def roadmap_by_id(self, roadmap_id: str) -> Roadmap:
        """The roadmap with this id (KeyError if there is none)."""
        for roadmap in self.roadmaps:
            if roadmap.id == roadmap_id:
                return roadmap
        raise KeyError(roadmap_id)

    def condition_by_id(self, condition_id: str) -> Condition:
        """The condition with this id (KeyError if there is none)."""
        for condition in self.conditions:
            if condition.id == condition_id:
                return condition
        raise KeyError(condition_id)


# --------------------------------------------------------------------------- validation


class Invalid(ValueError):
    """Plain data that is not a valid dataset; `errors` are pydantic's error dicts."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def _records_agree(dataset: Dataset) -> Dataset:
    problems = list(cross_record_problems(dataset))
    if problems:
        raise CrossRecordError(problems)
    return dataset


_VALIDATOR: list[Any] = []  # pydantic's TypeAdapter for a dataset, built on first use


def _validator() -> Any:
    if not _VALIDATOR:
        from pydantic import TypeAdapter

        _VALIDATOR.append(TypeAdapter(Annotated[Dataset, _Rule(after=_records_agree)]))
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


def field_names(record: type[Record]) -> list[str]:
    """The names of a record type's fields, in order."""
    return [f.name for f in dataclasses.fields(record)]


def fields_of(record: Record) -> dict[str, Any]:
    """A record's fields as a new mapping (the values themselves are not copied)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def jsonable(value: Any) -> Any:
    """Records, enums and dates as JSON-ready data: every field, dates as YYYY-MM-DD."""
    if isinstance(value, Record):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------- building trusted data


def _day(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _build(record: type[Record]) -> Callable[[dict[str, Any]], Any]:
    # Field types by their annotation's text: only these need converting from plain data.
    by_type: dict[str, Callable[[Any], Any]] = {
        "Day": _day,
        "Day | None": _optional(_day),
        "DatePrecision": DatePrecision,
        "RoadmapStatus": RoadmapStatus,
        "ConditionStatus": ConditionStatus,
    }
    nested = {
        "list[Source]": Source,
        "list[Milestone]": Milestone,
        "list[Condition]": Condition,
        "list[Roadmap]": Roadmap,
        "Annotated[list[ConditionEvent], _AT_LEAST_ONE]": ConditionEvent,
        "Annotated[list[RoadmapEvent], _AT_LEAST_ONE]": RoadmapEvent,
    }
    convert: dict[str, Callable[[Any], Any]] = {}
    for f in dataclasses.fields(record):
        kind = str(f.type)
        if kind in by_type:
            convert[f.name] = by_type[kind]
        elif kind in nested:
            convert[f.name] = _each(_build(nested[kind]))

    def build(item: dict[str, Any]) -> Any:
        for name, to in convert.items():
            if name in item:
                item[name] = to(item[name])
        return record(**item)

    return build


def _each(build: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda items: [build(item) for item in items]


def _event(event: ConditionEvent | RoadmapEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"date": event.date}
    if event.date_precision is not DatePrecision.DAY:
        out["date_precision"] = event.date_precision.value
    out["status"] = event.status.value
    out["note"] = event.note
    out["sources"] = list(event.sources)
    return out


def to_plain(dataset: Dataset) -> dict[str, Any]:
    """The canonical plain mapping of a dataset: what is written to disk (dates as dates).

    Only what differs from a default is left out (an event's `date_precision: day`);
    `trusted` turns it back into the same dataset.
    """
    milestones = []
    for m in dataset.milestones:
        item: dict[str, Any] = {"date": m.date}
        if m.date_precision is not DatePrecision.DAY:
            item["date_precision"] = m.date_precision.value
        item.update(
            reported=m.reported,
            speaker=m.speaker,
            agreed=m.agreed,
            open=m.open,
            total=m.total,
            unit=m.unit,
            note=m.note,
            sources=list(m.sources),
        )
        milestones.append(item)
    return {
        "schema_version": dataset.schema_version,
        "title": dataset.title,
        "as_of": dataset.as_of,
        "description": dataset.description,
        "numbering": dataset.numbering,
        "sources": [
            {
                "id": s.id,
                "publisher": s.publisher,
                "url": s.url,
                "title": s.title,
                "date": s.date,
                "reprint_of": s.reprint_of,
            }
            for s in dataset.sources
        ],
        "conditions": [
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "status": c.status.value,
                "history": [_event(e) for e in c.history],
                "sources": list(c.sources),
            }
            for c in dataset.conditions
        ],
        "milestones": milestones,
        "roadmaps": [
            {
                "number": r.number,
                "id": r.id,
                "title": r.title,
                "title_confirmed": r.title_confirmed,
                "sphere": r.sphere,
                "status": r.status.value,
                "linked_conditions": list(r.linked_conditions),
                "history": [_event(e) for e in r.history],
                "notes": r.notes,
            }
            for r in dataset.roadmaps
        ],
    }


def trusted(plain: dict[str, Any]) -> Dataset:
    """The dataset from plain data that `validate` accepted before, with no checks at all.

    For data this program wrote itself (the parse cache); `plain` is consumed. Dates may
    be date objects or YYYY-MM-DD text, enums their values, and omitted fields default.
    """
    dataset: Dataset = _build(Dataset)(plain)
    return dataset


def _duplicates(field: str, items: Iterable[tuple[int, str | int]], what: str) -> Iterator[Problem]:
    items = list(items)
    counts = Counter(value for _, value in items)
    for index, value in items:
        if counts[value] > 1:
            yield Problem((field, index, what), f"duplicate {what} {value!r}")


def _dates(base: Loc, history: Sequence[Event], as_of: dt.date) -> Iterator[Problem]:
    previous: dt.date | None = None
    for index, event in enumerate(history):
        if previous is not None and event.date < previous:
            yield Problem(
                (*base, index, "date"),
                f"history out of order: {event.date} comes after {previous}",
            )
        if event.date > as_of:
            yield Problem(
                (*base, index, "date"), f"{event.date} is after the dataset's as_of ({as_of})"
            )
        previous = event.date


def _cited(base: Loc, cited: Sequence[str], known: set[str]) -> Iterator[Problem]:
    for index, source_id in enumerate(cited):
        if source_id not in known:
            yield Problem((*base, index), f"unknown source {source_id!r}")


def cross_record_problems(dataset: Dataset) -> Iterator[Problem]:
    """Every way the records of `dataset` disagree with each other."""
    yield from _duplicates("sources", ((i, s.id) for i, s in enumerate(dataset.sources)), "id")
    yield from _duplicates(
        "conditions", ((i, c.id) for i, c in enumerate(dataset.conditions)), "id"
    )
    yield from _duplicates(
        "roadmaps", ((i, r.number) for i, r in enumerate(dataset.roadmaps)), "number"
    )
    yield from _duplicates("roadmaps", ((i, r.id) for i, r in enumerate(dataset.roadmaps)), "id")

    sources = {s.id for s in dataset.sources}
    open_conditions = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
    conditions = {c.id for c in dataset.conditions}
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

    for i, milestone in enumerate(dataset.milestones):
        yield from _cited(("milestones", i, "sources"), milestone.sources, sources)
        if milestone.date > as_of:
            yield Problem(
                ("milestones", i, "date"),
                f"{milestone.date} is after the dataset's as_of ({as_of})",
            )

    for i, roadmap in enumerate(dataset.roadmaps):
        base = ("roadmaps", i)
        seen: set[str] = set()
        for j, condition_id in enumerate(roadmap.linked_conditions):
            if condition_id not in conditions:
                yield Problem(
                    (*base, "linked_conditions", j), f"unknown condition {condition_id!r}"
                )
            elif condition_id in seen:
                yield Problem(
                    (*base, "linked_conditions", j), f"condition {condition_id!r} listed twice"
                )
            seen.add(condition_id)
        yield from _dates((*base, "history"), roadmap.history, as_of)
        for j, event in enumerate(roadmap.history):
            yield from _cited((*base, "history", j, "sources"), event.sources, sources)
        if roadmap.status is not roadmap.last_event.status:
            yield Problem(
                (*base, "status"),
                f"is {roadmap.status} but the last history event leaves it "
                f"{roadmap.last_event.status}",
            )
        if roadmap.status is RoadmapStatus.BLOCKED and not open_conditions & seen:
            yield Problem((*base, "status"), "is blocked but none of its linked conditions is open")


def open_conditions_of(dataset: Dataset, roadmap: Roadmap) -> list[str]:
    """The ids of the still-open conditions that `roadmap` is linked to, in link order."""
    open_ids = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
    return [c for c in roadmap.linked_conditions if c in open_ids]


def display_date(when: dt.date, precision: DatePrecision) -> str:
    """A date as precisely as it is known: 2021-05-28, ~2020-09-29, 2021-05 or 2018."""
    if precision is DatePrecision.MONTH:
        return when.strftime("%Y-%m")
    if precision is DatePrecision.YEAR:
        return str(when.year)
    if precision is DatePrecision.APPROXIMATE:
        return f"~{when.isoformat()}"
    return when.isoformat()
