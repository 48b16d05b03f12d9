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
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

SCHEMA_VERSION = 2
SCHEMA_NAME = "roadmaps.schema.json"  # kept beside the data file; editors read the header
HEADER = (
    f"# yaml-language-server: $schema={SCHEMA_NAME}\n"
    "# unionstate dataset: the Russia–Belarus Union State integration roadmaps.\n"
    "# Written by unionstate. Hand edits are fine (run `unionstate validate`), but comments\n"
    "# are not kept on save: notes belong in the `notes`/`note` fields.\n"
)

Loc = tuple[str | int, ...]


class RoadmapStatus(str, Enum):
    """Where a roadmap stands."""

    PENDING = "pending"
    AGREED = "agreed"
    BLOCKED = "blocked"
    SIGNED = "signed"
    SET_ASIDE = "set-aside"  # taken off the table (roadmap 31, Dec 2019); `reopen` brings it back

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
    MONTH = "month"  # "late May 2021": some day of that month
    YEAR = "year"  # some day of that year
    RANGE = "range"  # "no later than", "not before", or between two dates

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


def _number(value: object) -> object:
    # A percentage may be written 46 or 46.5, but never as text or a boolean.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def _whole(value: float) -> float:
    # 46 stays 46 (written without ".0"); 46.5 stays a fraction.
    return int(value) if float(value).is_integer() else value


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
Percent = Annotated[float, _Rule(ge=0, le=100, before=_number, after=_whole)]
_AT_LEAST_ONE = _Rule(min_length=1)


# ------------------------------------------------------------------- dates as windows


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


_POINT = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_WHEN = re.compile(
    rf"^(?:~(?P<approx>\d{{4}}-\d{{2}}-\d{{2}})|(?P<point>{_POINT})"
    rf"|(?P<lo>{_POINT})?\.\.(?P<hi>{_POINT})?)$"
)
WHEN_FORMS = (
    "YYYY-MM-DD, ~YYYY-MM-DD (about that day), YYYY-MM, YYYY, ..YYYY-MM-DD (no later than), "
    "YYYY-MM-DD.. (not before) or YYYY-MM-DD..YYYY-MM-DD (between)"
)


def span(text: str) -> tuple[dt.date, dt.date, DatePrecision]:
    """The first and last day of YYYY, YYYY-MM or YYYY-MM-DD (ValueError if not a real date)."""
    parts = text.split("-")
    year = int(parts[0])
    if len(parts) == 1:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), DatePrecision.YEAR
    first = dt.date(year, int(parts[1]), 1)
    if len(parts) == 2:
        return first, month_end(first), DatePrecision.MONTH
    day = dt.date(year, int(parts[1]), int(parts[2]))
    return day, day, DatePrecision.DAY


@dataclass(frozen=True, slots=True)
class When:
    """When an event happened, as a window of days [earliest, latest] (both included).

    `text` is the spelling in the data file (see WHEN_FORMS) and the only part compared.
    `lo`/`hi` are the window the text itself gives (None where it leaves a side open);
    `earliest`/`latest` are the window in its history: an open start ("..2021-08-09", no
    later than) begins the day after the previous event began, an open end
    ("2019-11-13..", not before) ends on the dataset's `as_of`. The dataset fills those in
    (`resolved`) whenever it is validated or rebuilt; `earliest` None means unbounded.
    """

    text: str
    precision: DatePrecision = field(compare=False)
    lo: dt.date | None = field(compare=False)
    hi: dt.date | None = field(compare=False)
    earliest: dt.date | None = field(default=None, compare=False)
    latest: dt.date | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, value: object) -> When:
        """A window from its spelling (or a date, or a whole year); ValueError if malformed."""
        if isinstance(value, When):
            return value
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999:
            value = f"{value:04d}"
        if not isinstance(value, str):
            raise ValueError(f"expected a date as {WHEN_FORMS}; got {value!r}")
        text = value.strip()
        match = _WHEN.match(text)
        if not match or text == "..":
            raise ValueError(f"expected a date as {WHEN_FORMS}; got {value!r}")
        try:
            if match["approx"]:
                day = dt.date.fromisoformat(match["approx"])
                return cls(text, DatePrecision.APPROXIMATE, day, day, day, day)
            if match["point"]:
                first, last, precision = span(match["point"])
                return cls(text, precision, first, last, first, last)
            lo = span(match["lo"])[0] if match["lo"] else None
            hi = span(match["hi"])[1] if match["hi"] else None
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"{value!r} ends before it begins")
        return cls(text, DatePrecision.RANGE, lo, hi, lo, hi)

    def resolved(self, after: dt.date | None, until: dt.date) -> When:
        """This window placed in a history: `after` is when the previous event began (None:
        there is none), `until` the dataset's as_of."""
        earliest = self.lo
        if after is not None:
            if earliest is None:
                following = after + dt.timedelta(days=1)
                earliest = following if self.hi is None else min(following, self.hi)
            else:
                earliest = max(earliest, after)
        latest = self.hi if self.hi is not None else max(until, earliest or until)
        if earliest == self.earliest and latest == self.latest:
            return self
        return When(self.text, self.precision, self.lo, self.hi, earliest, latest)

    @property
    def first(self) -> dt.date:
        """The earliest day, or the latest where the start is unbounded (for sorting)."""
        return self.earliest or self.latest or dt.date.min

    @property
    def last(self) -> dt.date:
        """The latest day (the dataset's as_of for an open end)."""
        return self.latest or self.earliest or dt.date.max

    def happened_by(self, day: dt.date) -> bool | None:
        """True if this surely happened on or before `day`, False if surely not, else None."""
        if self.last <= day:
            return True
        if self.earliest is not None and self.earliest > day:
            return False
        return None

    @property
    def display(self) -> str:
        """As a reader sees it: 2021-05-26, ~2021-05-26, 2021-05, 2021, ≤2021-08-09, ≥2019-11-13."""
        if self.precision is DatePrecision.RANGE:
            if self.lo is None:
                return "≤" + self.text[2:]
            if self.hi is None:
                return "≥" + self.text[:-2]
        return self.text

    def __str__(self) -> str:
        return self.display

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(cls.parse)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Callable[[Any], Any]) -> Any:
        return {
            "type": "string",
            "pattern": _WHEN.pattern,
            "description": f"A date or a window of dates: {WHEN_FORMS}.",
        }


# ------------------------------------------------------------------------- records


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
    """A dated entry in a history: when, the status it left behind, what happened, sources.

    The subclasses give `status` its type; it is declared in each (before `note`) so that
    a history entry reads date, status, note, sources in the file.
    """

    date: When


@dataclass(kw_only=True, slots=True)
class RoadmapEvent(Event):
    """A roadmap's or program's history entry; `status` is its status after the event."""

    status: RoadmapStatus
    note: Text
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class ConditionEvent(Event):
    """A condition's history entry; `status` is the condition's status after the event."""

    status: ConditionStatus
    note: Text
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Condition(Record):
    """One of Belarus's conditions for signing; the roadmaps it holds up link to it."""

    id: Slug
    title: Line
    description: Text
    status: ConditionStatus
    history: Annotated[list[ConditionEvent], _AT_LEAST_ONE]
    sources: list[Slug] = field(default_factory=list)


Unit = Literal["roadmaps", "programs", "directions", "percent", "tasks", "activities"]
DOCUMENT_UNITS = ("roadmaps", "programs")  # counts the dataset can check against its records


@dataclass(kw_only=True, slots=True)
class Milestone(Record):
    """A dated figure that officials reported, in their own wording.

    A count of documents agreed (`agreed`/`open` of `total`), or progress in implementing
    them (`done` of `total`, or `percent`), in the `unit` the officials counted.
    """

    date: When
    reported: Line  # the wording as reported: "28.5 of 30", "6–7 open", "~70%"
    speaker: Line | None = None
    agreed: Count | None = None
    open: Count | None = None
    done: Count | None = None
    total: Count | None = None
    percent: Percent | None = None
    unit: Unit = "roadmaps"
    subject: Slug | None = None  # the roadmap or program the figure is about, if only one
    note: Text = ""
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Document(Record):
    """What roadmaps and programs share: a numbered, titled document with a status history."""

    KIND: ClassVar[str] = "document"
    PREFIX: ClassVar[str] = ""

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

    @property
    def label(self) -> str:
        """How messages name it: "roadmap 8 (customs)", "program P12 (customs-program)"."""
        return f"{self.KIND} {self.PREFIX}{self.number} ({self.id})"


@dataclass(kw_only=True, slots=True)
class Roadmap(Document):
    """One of the 31 sectoral roadmaps drafted in 2019."""

    KIND: ClassVar[str] = "roadmap"


@dataclass(kw_only=True, slots=True)
class Program(Document):
    """One of the 28 union programs of 2021, into which the roadmaps were reformatted."""

    KIND: ClassVar[str] = "program"
    PREFIX: ClassVar[str] = "P"

    succeeds: list[Slug] = field(default_factory=list)  # roadmap ids it continues
    succession: Literal["reported", "hypothesis"] | None = None  # how that is known


@dataclass(kw_only=True, slots=True)
class OpenQuestion(Record):
    """Something the record does not know, kept visible instead of guessed."""

    id: Slug
    question: Line
    note: Text = ""
    sources: list[Slug] = field(default_factory=list)


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
    """The whole data file: metadata, sources, conditions, milestones, roadmaps, programs."""

    schema_version: Literal[2]
    title: Line
    as_of: Day
    description: Text
    numbering: Text
    sources: list[Source]
    conditions: list[Condition]
    milestones: list[Milestone]
    roadmaps: list[Roadmap]
    programs: list[Program] = field(default_factory=list)
    open_questions: list[OpenQuestion] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        """Roadmaps, then programs."""
        return [*self.roadmaps, *self.programs]

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


def _exported(item: dict[str, Any]) -> dict[str, Any]:
    """An event or milestone as `export --format json` writes it, back as data: the derived
    `earliest`/`latest` are dropped, and `date_precision` when it is the date's own."""
    if not {"date_precision", "earliest", "latest"} <= item.keys():
        return item
    item = {k: v for k, v in item.items() if k not in ("earliest", "latest")}
    try:
        same = When.parse(item.get("date")).precision.value == item["date_precision"]
    except ValueError:
        same = False
    if same:
        del item["date_precision"]
    return item


def upgrade(data: Any) -> Any:
    """Plain data of schema_version 1 (a day plus `date_precision`) as schema_version 2.

    A v1 file still loads; the next save writes it as v2. A JSON export loads as the data
    it came from. Anything else passes unchanged.
    """
    if not isinstance(data, dict) or data.get("schema_version") not in (1, 2):
        return data
    version = data["schema_version"]
    data = dict(data, schema_version=2)

    def convert(item: Any) -> Any:
        if isinstance(item, dict) and version == 2:
            return _exported(item)
        if not isinstance(item, dict) or "date_precision" not in item:
            return item
        item = dict(item)
        precision, day = item.pop("date_precision"), item.get("date")
        text = day.isoformat() if isinstance(day, dt.date) else day
        if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            item["date"] = {"approximate": f"~{text}", "month": text[:7], "year": text[:4]}.get(
                precision, text
            )
        else:
            item["date_precision"] = precision  # let validation name the problem
        return item

    def each(items: Any, inner: str | None = None) -> Any:
        if not isinstance(items, list):
            return items
        out = []
        for item in items:
            if inner and isinstance(item, dict) and isinstance(item.get(inner), list):
                item = dict(item, **{inner: [convert(e) for e in item[inner]]})
            out.append(convert(item) if inner is None else item)
        return out

    for kind in ("conditions", "roadmaps", "programs"):
        if kind in data:
            data[kind] = each(data[kind], "history")
    if "milestones" in data:
        data["milestones"] = each(data["milestones"])
    return data


def _histories(dataset: Dataset) -> Iterator[Sequence[Event]]:
    for condition in dataset.conditions:
        yield condition.history
    for document in dataset.documents:
        yield document.history


def place_dates(dataset: Dataset) -> Dataset:
    """Fill in every window's `earliest`/`latest` from its place in its history and as_of."""
    as_of = dataset.as_of
    for history in _histories(dataset):
        after: dt.date | None = None
        for event in history:
            event.date = event.date.resolved(after, as_of)
            after = event.date.earliest
    for milestone in dataset.milestones:
        milestone.date = milestone.date.resolved(None, as_of)
    return dataset


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

        rule = _Rule(before=upgrade, after=_records_agree)
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


def when_object(when: When) -> dict[str, Any]:
    """A window as JSON: its spelling, its precision, and its first and last day (ISO)."""
    return {
        "date": when.text,
        "date_precision": when.precision.value,
        "earliest": when.earliest.isoformat() if when.earliest else None,
        "latest": when.latest.isoformat() if when.latest else None,
    }


def jsonable(value: Any) -> Any:
    """Records, enums and dates as JSON-ready data: every field, dates as YYYY-MM-DD.

    A window (`When`) field named `date` becomes four keys: `date` (its spelling),
    `date_precision`, `earliest` and `latest`.
    """
    if isinstance(value, Record):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if isinstance(item, When):
                out.update(when_object(item))
            else:
                out[f.name] = jsonable(item)
        return out
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, When):
        return value.text
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ------------------------------------------------ plain data, derived from the records


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, When):
        # A plain day as a date, which YAML writes unquoted; every other spelling as text.
        return value.lo if value.precision is DatePrecision.DAY else value.text
    return value  # dates stay dates: the writer spells them, the cache's JSON too


def to_plain(dataset: Dataset) -> dict[str, Any]:
    """The canonical plain mapping of a dataset: what is written to disk (dates as dates).

    Every field of every record, in declaration order; `trusted` turns it back into the
    same dataset. Both are derived from the record classes, so a new field needs nothing here.
    """
    plain: dict[str, Any] = _plain(dataset)
    return plain


def _converter(kind: Any) -> Callable[[Any], Any] | None:
    """How plain data of type `kind` becomes a field value (None: it is used as it is)."""
    import typing

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is Annotated:
        return _converter(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [_converter(a) for a in args if a is not type(None)]
        if len(inner) == 1 and inner[0] is not None:
            convert = inner[0]
            return lambda value: None if value is None else convert(value)
        return None
    if origin is list:
        item = _converter(args[0])
        return None if item is None else (lambda items: [item(i) for i in items])
    if isinstance(kind, type):
        if issubclass(kind, Record):
            return _builder(kind)
        if issubclass(kind, Enum):
            return kind
        if kind is When:
            return When.parse
        if kind is dt.date:
            return lambda value: (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            )
    return None


_BUILDERS: dict[type[Record], Callable[[dict[str, Any]], Any]] = {}


def _builder(record: type[Record]) -> Callable[[dict[str, Any]], Any]:
    """A function that builds `record` from its plain fields with no checks, from its types."""
    if record in _BUILDERS:
        return _BUILDERS[record]
    import typing

    hints = typing.get_type_hints(record, include_extras=True)
    convert: dict[str, Callable[[Any], Any]] = {}

    def build(item: dict[str, Any]) -> Any:
        for name, to in convert.items():
            if name in item:
                item[name] = to(item[name])
        return record(**item)

    _BUILDERS[record] = build  # before the fields: a record type may nest itself
    for f in dataclasses.fields(record):
        to = _converter(hints[f.name])
        if to is not None:
            convert[f.name] = to
    return build


def trusted(plain: dict[str, Any]) -> Dataset:
    """The dataset from plain data that `validate` accepted before, with no checks at all.

    For data this program wrote itself (the parse cache); `plain` is consumed. Dates may
    be date objects or their text, enums their values, and omitted fields default.
    """
    dataset: Dataset = _builder(Dataset)(plain)
    return place_dates(dataset)


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
                ("milestones", i, "subject"), f"unknown roadmap or program {milestone.subject!r}"
            )

    yield from _document_problems("roadmaps", dataset.roadmaps, dataset)
    yield from _document_problems("programs", dataset.programs, dataset)
    roadmap_ids = {r.id for r in dataset.roadmaps}
    for i, program in enumerate(dataset.programs):
        base = ("programs", i)
        if program.id in roadmap_ids:
            yield Problem((*base, "id"), f"{program.id!r} is also a roadmap's id")
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


def open_conditions_of(dataset: Dataset, document: Document) -> list[str]:
    """The ids of the still-open conditions that `document` is linked to, in link order."""
    open_ids = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
    return [c for c in document.linked_conditions if c in open_ids]
