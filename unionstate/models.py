"""The record types: plain dataclasses for the dataset, their field rules, dates as windows.

No I/O here, and no pydantic at import time: a command that reads a dataset the cache has
already seen builds these records directly (`plain.trusted`) and never pays for building
validators. The field rules live in the annotations (`Slug`, `Line`, `Day`, ...):
`Annotated` types whose `Rule` metadata tells pydantic how to check them (`checks`) and
how to describe them in the JSON Schema. Every view, serialiser and the cache derive a
record's shape from these classes; nothing else spells it out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from unionstate.text import LINE_SEPARATORS, unsafe_characters

SCHEMA_VERSION = 4
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


class TitleBasis(str, Enum):
    """How far a source vouches for a record's title (the fact sheet's grades, strongest first)."""

    VERBATIM = "verbatim"  # a source gives the title word for word
    NAMED = "named"  # a source names this very document; the wording here is descriptive
    SPHERE_AND_POSITION = "sphere-and-position"  # its sphere and place in the list confirmed
    SPHERE = "sphere"  # only the sphere is confirmed (the title and stand-alone status are not)
    RECONSTRUCTED = "reconstructed"  # no source names it: inferred from context, may be wrong

    def __str__(self) -> str:
        return self.value

    @property
    def confirmed(self) -> bool:
        """Whether a source names the document itself (verbatim or by name)."""
        return self in (TitleBasis.VERBATIM, TitleBasis.NAMED)

    @property
    def words(self) -> str:
        """As a reader sees it beside the title."""
        return TITLE_WORDS[self]


TITLE_WORDS = {
    TitleBasis.VERBATIM: "verbatim from a source",
    TitleBasis.NAMED: "named by a source; the wording is descriptive",
    TitleBasis.SPHERE_AND_POSITION: "sphere and position confirmed; the title is descriptive",
    TitleBasis.SPHERE: "only the sphere is confirmed; the title is descriptive",
    TitleBasis.RECONSTRUCTED: "reconstructed: no source names it",
}


class ImplementationState(str, Enum):
    """How far a program or Main Directions document is carried out, as someone assessed it."""

    NOT_STARTED = "not-started"
    UNDER_WAY = "under-way"
    COMPLETED = "completed"

    def __str__(self) -> str:
        return self.value


UNRESOLVED = frozenset({RoadmapStatus.PENDING, RoadmapStatus.BLOCKED})


class Side(str, Enum):
    """Who said it: one government, both together, or someone else (an analyst, a reporter)."""

    RUSSIA = "russia"
    BELARUS = "belarus"
    JOINT = "joint"
    THIRD_PARTY = "third-party"

    def __str__(self) -> str:
        return self.value


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://[^\s/?#]+\S*$")


def _safe_text(value: str) -> str:
    bad = unsafe_characters(value)
    if bad:
        raise ValueError(f"control or bidi characters are not allowed ({', '.join(bad)})")
    return value


def _one_line(value: str) -> str:
    value = _safe_text(value)
    if any(sep in value for sep in LINE_SEPARATORS):
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


_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError("expected a language code such as 'ru', 'be' or 'en'")
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
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    if not isinstance(value, (str, dt.date)) or isinstance(value, dt.datetime):
        raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r}")
    return value


class Rule:
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


Day = Annotated[dt.date, Rule(before=_date_text)]
Text = Annotated[str, Rule(strict=True, after=_safe_text)]
Line = Annotated[str, Rule(strict=True, after=_one_line)]
Slug = Annotated[str, Rule(strict=True, after=_slug, pattern=_SLUG.pattern)]
Url = Annotated[str, Rule(strict=True, after=_url, pattern=_URL.pattern)]
Language = Annotated[str, Rule(strict=True, after=_language, pattern=_LANGUAGE.pattern)]
Flag = Annotated[bool, Rule(strict=True)]
Count = Annotated[int, Rule(strict=True, ge=0)]
Number = Annotated[int, Rule(strict=True, ge=1)]
Percent = Annotated[float, Rule(ge=0, le=100, before=_number, after=_whole)]
_AT_LEAST_ONE = Rule(min_length=1)


# ------------------------------------------------------------------- dates as windows


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def js_pattern(pattern: re.Pattern[str]) -> str:
    """A regular expression as JSON Schema (JavaScript) reads it: no named groups."""
    return re.sub(r"\(\?P<\w+>", "(", pattern.pattern)


_POINT = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_WHEN = re.compile(
    rf"^(?:~(?P<approx>\d{{4}}-\d{{2}}-\d{{2}})|(?P<point>{_POINT})"
    rf"|(?P<lo>{_POINT})?\.\.(?P<hi>{_POINT})?)$",
    re.ASCII,  # digits are 0-9: `٢٠٢١` is refused, not stored as typed
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
            # Without Python's named groups: editors check it as JavaScript (ECMA-262).
            "pattern": js_pattern(_WHEN),
            "description": f"A date or a window of dates: {WHEN_FORMS}.",
        }


_AMOUNT = re.compile(r"^(?P<lo>\d{1,9})?\.\.(?P<hi>\d{1,9})?$")
AMOUNT_FORMS = "a whole number N, N..M (between), N.. (at least) or ..M (at most)"


@dataclass(frozen=True, slots=True)
class Amount:
    """A count as officials gave it: exact (7) or a range ("6..7", "20.." at least, "..7").

    `lo` is the least it may be, `hi` the most (None: no upper bound).
    """

    text: str
    lo: int = field(compare=False)
    hi: int | None = field(compare=False)

    @classmethod
    def parse(cls, value: object) -> Amount:
        """A count from a whole number or a range's spelling (ValueError if malformed)."""
        if isinstance(value, Amount):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return cls(str(value), value, value)
        match = _AMOUNT.match(value) if isinstance(value, str) else None
        if not match or value == "..":
            raise ValueError(f"expected {AMOUNT_FORMS}; got {value!r}")
        lo, hi = int(match["lo"] or 0), (int(match["hi"]) if match["hi"] else None)
        if hi is not None and lo > hi:
            raise ValueError(f"{value!r} ends below where it begins")
        return cls(str(value), lo, hi)

    @property
    def exact(self) -> bool:
        """Whether it is one number."""
        return self.lo == self.hi and self.text.isdigit()

    def allows(self, low: int, high: int) -> bool:
        """Whether some count between `low` and `high` (both included) lies in this range."""
        return high >= self.lo and (self.hi is None or low <= self.hi)

    @property
    def display(self) -> str:
        """As a reader sees it: 7, 6–7, ≥20, ≤7."""
        if self.exact:
            return self.text
        if self.hi is None:
            return f"≥{self.lo}"
        if self.text.startswith(".."):
            return f"≤{self.hi}"
        return f"{self.lo}–{self.hi}"

    def __str__(self) -> str:
        return self.display

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(cls.parse)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Callable[[Any], Any]) -> Any:
        return {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": js_pattern(_AMOUNT)},
            ],
            "description": f"A count: {AMOUNT_FORMS}.",
        }


# ------------------------------------------------------------------------- records

# Field metadata that tells the views where a field is shown (the default: everywhere).
# A field is written once, here; every view finds it through `dataclasses.fields()`.
DETAIL = {"shown": "detail"}  # long text: in `show`, exports and the report, not list rows
HIDDEN = {"shown": "never"}  # kept in the file and the JSON export, shown in no view


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
    language: Language | None = None  # of the text: an ISO 639 code (ru, be, en)
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
    # Signed past the rules (`sign --force`): which rule was overridden; the note says why.
    override: Line | None = None
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Observation(Event):
    """A dated statement that changes no status ("the gas market is still not created")."""

    note: Text
    by: Line | None = None  # who said it, where the source names someone
    side: Side | None = None
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Assessment(Event):
    """How far a program or Main Directions document is implemented, according to whom.

    A figure of progress is a `percent`, or `done` of `total` in a `unit` (tasks,
    measures); `late` counts the parts behind schedule, where the assessor says so.
    """

    state: ImplementationState
    assessor: Line
    side: Side
    percent: Percent | None = None
    done: Count | None = None
    total: Count | None = None
    unit: Line | None = None
    late: Count | None = None
    note: Text = ""
    sources: Annotated[list[Slug], _AT_LEAST_ONE]


@dataclass(kw_only=True, slots=True)
class PlannedDate(Record):
    """One planned date of a target: the date, when it was set (or last confirmed), by whom."""

    date: When
    set: When
    by: Line | None = None
    side: Side | None = None
    note: Text = ""
    sources: Annotated[list[Slug], _AT_LEAST_ONE]


@dataclass(kw_only=True, slots=True)
class Outcome(Record):
    """How a target ended: met (on its date) or missed."""

    state: Literal["met", "missed"]
    date: When
    note: Text = ""
    sources: Annotated[list[Slug], _AT_LEAST_ONE]


@dataclass(kw_only=True, slots=True)
class Target(Record):
    """Something to be achieved by a planned date; a moved deadline is a second `due` entry.

    Without an `outcome` it is open, and overdue once its latest planned date has passed.
    A deadline is never an event that happened.
    """

    id: Slug
    title: Line
    due: Annotated[list[PlannedDate], _AT_LEAST_ONE]
    outcome: Outcome | None = None
    note: Text = ""


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
    # A demand can be met; a red line (sovereignty) is a standing limit, not a demand.
    kind: Literal["demand", "red-line"] = "demand"
    history: Annotated[list[ConditionEvent], _AT_LEAST_ONE]
    observations: list[Observation] = field(default_factory=list)
    sources: list[Slug] = field(default_factory=list)


Unit = Literal["roadmaps", "programs", "directions", "percent", "tasks", "activities", "measures"]
DOCUMENT_UNITS = ("roadmaps", "programs", "directions")  # counts of records the dataset holds


@dataclass(kw_only=True, slots=True)
class Milestone(Record):
    """A dated figure that officials reported, in their own wording.

    A count of documents agreed (`agreed`/`open` of `total`), or progress in implementing
    them (`done` of `total` fully implemented, or `percent`), in the `unit` the officials
    counted. A count may be a range (`Amount`) and may be over a named subset (`members`).
    """

    date: When
    reported: Line  # the wording as reported: "28.5 of 30", "6–7 open", "~70%"
    speaker: Line | None = None
    side: Side | None = None
    agreed: Amount | None = None
    open: Amount | None = None
    done: Amount | None = None
    total: Count | None = None
    percent: Percent | None = None
    unit: Unit = "roadmaps"
    subject: Slug | None = None  # the record the figure is about, if only one
    members: list[Slug] = field(default_factory=list)  # the records counted, if named
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
    title_basis: TitleBasis
    sphere: Line
    status: RoadmapStatus
    linked_conditions: list[Slug] = field(default_factory=list)
    history: Annotated[list[RoadmapEvent], _AT_LEAST_ONE]
    notes: Text = field(default="", metadata=DETAIL)
    observations: list[Observation] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    @property
    def title_confirmed(self) -> bool:
        """Whether a source names this document itself (its title verbatim or by name)."""
        return self.title_basis.confirmed

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
class Implemented(Document):
    """A document that is carried out after it is adopted: it has an implementation axis."""

    implementation: list[Assessment] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Program(Implemented):
    """One of the 28 union programs of 2021, into which the roadmaps were reformatted."""

    KIND: ClassVar[str] = "program"
    PREFIX: ClassVar[str] = "P"

    succeeds: list[Slug] = field(default_factory=list)  # roadmap ids it continues
    succession: Literal["reported", "hypothesis"] | None = None  # how that is known


@dataclass(kw_only=True, slots=True)
class Directions(Implemented):
    """A Main Directions document (2021–2023, 2024–2026, 2027–2029): the programme of
    integration that contains the union programs and sectoral measures of its years."""

    KIND: ClassVar[str] = "directions"
    PREFIX: ClassVar[str] = "D"

    contains: list[Slug] = field(default_factory=list)  # the programs it takes in


@dataclass(kw_only=True, slots=True)
class OpenQuestion(Record):
    """Something the record does not know, kept visible instead of guessed."""

    id: Slug
    question: Line
    note: Text = ""
    sources: list[Slug] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Dataset(Record):
    """The whole data file: metadata, sources, conditions, milestones, roadmaps, programs."""

    schema_version: Literal[4]
    title: Line
    as_of: Day
    description: Text
    numbering: Text
    sources: list[Source]
    conditions: list[Condition]
    milestones: list[Milestone]
    roadmaps: list[Roadmap]
    programs: list[Program] = field(default_factory=list)
    directions: list[Directions] = field(default_factory=list)
    open_questions: list[OpenQuestion] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        """Roadmaps, then programs, then Main Directions."""
        return [*self.roadmaps, *self.programs, *self.directions]

    def kind_of(self, document: Document) -> list[Any]:
        """The list of the dataset that holds records of `document`'s kind."""
        if isinstance(document, Directions):
            return self.directions
        return self.programs if isinstance(document, Program) else self.roadmaps

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


def _histories(dataset: Dataset) -> Iterator[Sequence[Event]]:
    for condition in dataset.conditions:
        yield condition.history
        yield condition.observations
    for document in dataset.documents:
        yield document.history
        yield document.observations
        if isinstance(document, Implemented):
            yield document.implementation


def _standalone(dataset: Dataset) -> Iterator[Any]:
    """Dated records that stand alone (a window not placed after a predecessor)."""
    yield from dataset.milestones
    for document in dataset.documents:
        for target in document.targets:
            yield from target.due
            if target.outcome is not None:
                yield target.outcome


def place_dates(dataset: Dataset) -> Dataset:
    """Fill in every window's `earliest`/`latest` from its place in its history and as_of."""
    as_of = dataset.as_of
    for history in _histories(dataset):
        after: dt.date | None = None
        for event in history:
            event.date = event.date.resolved(after, as_of)
            after = event.date.earliest
    for item in _standalone(dataset):
        item.date = item.date.resolved(None, as_of)
        if isinstance(item, PlannedDate):
            item.set = item.set.resolved(None, as_of)
    return dataset
