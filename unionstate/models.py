"""The data model: pydantic v2 records for the dataset, with every cross-record rule.

No I/O here. `Dataset.model_validate(data)` either returns a dataset that obeys every
rule below, or raises `pydantic.ValidationError`; cross-record problems arrive as one
`value_error` whose `ctx["error"]` is a `CrossRecordError` listing each problem with
the location (a pydantic-style `loc`) of the offending value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

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


def unsafe_characters(text: str) -> list[str]:
    """The characters in `text` that could drive a terminal, named as U+XXXX."""
    return sorted({f"U+{ord(ch):04X}" for ch in _UNSAFE.findall(text)})


def _safe_text(value: str) -> str:
    bad = unsafe_characters(value)
    if bad:
        raise ValueError(f"control or bidi characters are not allowed ({', '.join(bad)})")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be a single line")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("expected a lowercase slug such as 'gas-market' (a-z, 0-9, '-')")
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _date_text(value: object) -> object:
    # Lax pydantic would read a number as unix seconds (`as_of: 1622160000`): refuse it.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    if not isinstance(value, (str, dt.date)) or isinstance(value, dt.datetime):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    return value


Day = Annotated[dt.date, BeforeValidator(_date_text)]
Text = Annotated[str, Field(strict=True), AfterValidator(_safe_text)]
Line = Annotated[Text, AfterValidator(_one_line)]
# The patterns only describe the rule for JSON Schema (editors); the validators enforce it.
Slug = Annotated[
    str, Field(strict=True, json_schema_extra={"pattern": _SLUG.pattern}), AfterValidator(_slug)
]
Url = Annotated[
    Line, Field(json_schema_extra={"pattern": r"^https?://[^\s/]+"}), AfterValidator(_url)
]


class Record(BaseModel):
    """Strict base: an unknown field is an error."""

    model_config = ConfigDict(extra="forbid")


class Source(Record):
    """A publication that a fact is taken from; everything else cites it by `id`."""

    id: Slug
    publisher: Line
    url: Url
    title: Line | None = None
    date: Day | None = None
    reprint_of: Line | None = None  # the agency whose copy the page carries, if it says so


class Event(Record):
    """A dated entry in a history: what happened, and the status it left behind."""

    date: Day
    date_precision: DatePrecision = DatePrecision.DAY
    note: Text
    sources: list[Slug] = Field(default_factory=list)


class RoadmapEvent(Event):
    """A roadmap's history entry; `status` is the roadmap's status after the event."""

    status: RoadmapStatus


class ConditionEvent(Event):
    """A condition's history entry; `status` is the condition's status after the event."""

    status: ConditionStatus


class Condition(Record):
    """One of Belarus's conditions for signing; the roadmaps it holds up link to it."""

    id: Slug
    title: Line
    description: Text
    status: ConditionStatus
    history: list[ConditionEvent] = Field(min_length=1)
    sources: list[Slug] = Field(default_factory=list)


class Milestone(Record):
    """A dated count that officials reported, in their own wording."""

    date: Day
    date_precision: DatePrecision = DatePrecision.DAY
    reported: Line  # the wording as reported: "28.5 of 30", "6–7 open", "at least 20"
    speaker: Line | None = None
    agreed: StrictInt | None = Field(default=None, ge=0)
    open: StrictInt | None = Field(default=None, ge=0)
    total: StrictInt | None = Field(default=None, ge=0)
    unit: Literal["roadmaps", "programs", "directions"] = "roadmaps"
    note: Text = ""
    sources: list[Slug] = Field(default_factory=list)


class Roadmap(Record):
    """One of the 31 sectoral roadmaps drafted in 2019."""

    number: StrictInt = Field(ge=1)
    id: Slug
    title: Line
    title_confirmed: StrictBool
    sphere: Line
    status: RoadmapStatus
    linked_conditions: list[Slug] = Field(default_factory=list)
    history: list[RoadmapEvent] = Field(min_length=1)
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

    @model_validator(mode="after")
    def _records_agree(self) -> Dataset:
        problems = list(cross_record_problems(self))
        if problems:
            raise CrossRecordError(problems)
        return self

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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a data file, from `Dataset` (for editors; loading checks more)."""
    schema = Dataset.model_json_schema()
    schema["title"] = f"unionstate data file (schema_version {SCHEMA_VERSION})"
    definitions = schema.pop("$defs")  # last, so the file opens with the top-level fields
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "$defs": definitions,
    }
