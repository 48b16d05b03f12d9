"""Pure reads of a dataset: find records by name, filter, rebuild past states, summarise."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unionstate.errors import Refused
from unionstate.models import (
    DOCUMENT_UNITS,
    UNRESOLVED,
    Condition,
    ConditionStatus,
    Dataset,
    Document,
    Event,
    Milestone,
    OpenQuestion,
    Program,
    RoadmapStatus,
    When,
    month_end,
)

# ---------------------------------------------------------------- naming records


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" hint: close to a whole id or to one of its dash-separated parts."""
    word = word.lower()

    def score(choice: str) -> float:
        parts = [choice, *choice.split("-")]
        return max(difflib.SequenceMatcher(None, word, part).ratio() for part in parts)

    scored = sorted(((score(c), c) for c in choices), key=lambda item: -item[0])
    close = [c for s, c in scored if s >= 0.6][:3]
    return f" — did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def find_roadmap(dataset: Dataset, name: str) -> Document:
    """The roadmap or program named by number ("14"), program number ("P12"), id
    ("gas-market") or a unique id prefix ("gas")."""
    key = name.strip()
    # Only ASCII digits are a number: "١٤", "１４" or "²" name no roadmap by number (they fall
    # through to the id lookup and its "unknown roadmap"), and 5,000 digits are no number.
    if key.isascii() and key.isdigit():
        number = int(key) if len(key) <= 18 else -1
        for roadmap in dataset.roadmaps:
            if roadmap.number == number:
                return roadmap
        raise Refused(f"unknown roadmap {name!r}: numbers run from 1 to {len(dataset.roadmaps)}")
    if key[:1] in "Pp" and key[1:].isdigit():
        for program in dataset.programs:
            if program.number == int(key[1:]):
                return program
        known = f"P1 to P{len(dataset.programs)}" if dataset.programs else "none recorded"
        raise Refused(f"unknown program {name!r}: program numbers run {known}")
    lowered = key.lower()
    documents = dataset.documents
    for document in documents:
        if document.id == lowered:
            return document
    matches = [d for d in documents if d.id.startswith(lowered)] if lowered else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(d.id for d in matches)
        raise Refused(f"{name!r} is ambiguous: it could be {ids}")
    hint = _did_you_mean(lowered, (d.id for d in documents))
    raise Refused(f"unknown roadmap {name!r}{hint}")


def find_condition(dataset: Dataset, name: str) -> Condition:
    """The condition with this id."""
    key = name.strip().lower()
    for condition in dataset.conditions:
        if condition.id == key:
            return condition
    hint = _did_you_mean(key, (c.id for c in dataset.conditions))
    if not hint:
        hint = f" (known: {', '.join(c.id for c in dataset.conditions)})"
    raise Refused(f"unknown condition {name!r}{hint}")


# ----------------------------------------------------------- states on any date

UNDETERMINED = "undetermined"  # on that date the record allows more than one status
UNLISTED = "unlisted"  # not drawn up yet: no event of it can have happened by then
# Every status a view can show, in the order views list them.
STATUSES = (*(s.value for s in RoadmapStatus), UNDETERMINED)


def possible_statuses(history: Sequence[Event], when: dt.date) -> tuple[str, ...]:
    """The statuses a history allows on `when`, oldest first ("unlisted" before its start).

    An event surely happened by `when` if its window ends by then, surely not if it starts
    after; in between it may or may not have. Histories are ordered, so the events that
    happened are the first k, for every k between the sure ones and the possible ones.
    """
    sure = possible = 0
    for index, event in enumerate(history):
        happened = event.date.happened_by(when)
        if happened is False:
            break
        possible = index + 1
        if happened:
            sure = index + 1
    out: list[str] = []
    for k in range(sure, possible + 1):
        status = history[k - 1].status.value if k else UNLISTED  # type: ignore[attr-defined]
        if status not in out:
            out.append(status)
    return tuple(out)


@dataclass(frozen=True)
class RoadmapState:
    """A roadmap (or program) as it stood on a date: status, open conditions, last event."""

    roadmap: Document
    status: RoadmapStatus | None  # None: undetermined on that date
    possible: tuple[str, ...]  # the statuses it may have had ("unlisted": not yet drawn up)
    open_conditions: tuple[str, ...]
    last_event: When  # the newest event that surely happened (else the first possible one)

    @property
    def label(self) -> str:
        """The status as a word: one of STATUSES."""
        return self.status.value if self.status else UNDETERMINED


def condition_standing(condition: Condition, when: dt.date | None) -> str | None:
    """open, resolved or undetermined on `when`; None if not yet raised by then."""
    if when is None:
        return condition.status.value
    possible = possible_statuses(condition.history, when)
    if possible == (UNLISTED,):
        return None
    return possible[0] if len(possible) == 1 else UNDETERMINED


def states(
    dataset: Dataset, when: dt.date | None = None, documents: Sequence[Document] | None = None
) -> list[RoadmapState]:
    """Every roadmap's state on `when` (default: the dataset's current state).

    `documents` are the roadmaps by default; pass `dataset.programs` for the programs. A
    past state is rebuilt from the histories: a record none of whose events can have
    happened by then is left out, and one whose status the record does not settle is
    undetermined. Links to conditions are today's (links carry no dates).
    """
    open_ids = {
        c.id
        for c in dataset.conditions
        if condition_standing(c, when) == ConditionStatus.OPEN.value
    }
    result = []
    for document in dataset.roadmaps if documents is None else documents:
        history = document.history
        if when is None:
            possible: tuple[str, ...] = (document.status.value,)
            last = document.last_event.date
        else:
            possible = possible_statuses(history, when)
            if possible == (UNLISTED,):
                continue
            sure = [e for e in history if e.date.happened_by(when)]
            last = (sure[-1] if sure else history[0]).date
        status = RoadmapStatus(possible[0]) if len(possible) == 1 else None
        result.append(
            RoadmapState(
                roadmap=document,
                status=status,
                possible=possible,
                open_conditions=tuple(c for c in document.linked_conditions if c in open_ids),
                last_event=last,
            )
        )
    return result


def state_of(dataset: Dataset, document: Document, when: dt.date | None = None) -> RoadmapState:
    """One roadmap's or program's state on `when` (Refused if not yet drawn up by then)."""
    kind = dataset.programs if isinstance(document, Program) else dataset.roadmaps
    for row in states(dataset, when, [document] if document in kind else []):
        return row
    raise Refused(f"{document.label} was not yet drawn up on {when}")


def select(
    rows: Iterable[RoadmapState],
    *,
    statuses: Sequence[str] = (),
    unresolved: bool = False,
    sphere: str | None = None,
    condition: str | None = None,
    search: str | None = None,
) -> list[RoadmapState]:
    """Filter states: any of `statuses`, unresolved only, sphere, linked condition, text.

    Unresolved means pending or blocked; an undetermined row counts when one of the
    statuses it may have had is unresolved. Set-aside roadmaps are not unresolved.
    """
    wanted = {str(s) for s in statuses}  # a RoadmapStatus prints as its value
    unresolved_values = {s.value for s in UNRESOLVED}
    needle = search.casefold() if search else None
    sphere_key = sphere.casefold() if sphere else None
    out = []
    for row in rows:
        roadmap = row.roadmap
        if wanted and row.label not in wanted:
            continue
        if unresolved and not unresolved_values & set(row.possible):
            continue
        if sphere_key and sphere_key not in roadmap.sphere.casefold():
            continue
        if condition and condition not in roadmap.linked_conditions:
            continue
        if needle and needle not in f"{roadmap.title}\n{roadmap.notes}".casefold():
            continue
        out.append(row)
    return out


def successors(dataset: Dataset, roadmap: Document) -> list[Program]:
    """The programs said to continue `roadmap` (by a report or, mostly, by hypothesis)."""
    return [p for p in dataset.programs if roadmap.id in p.succeeds]


def nothing_unresolved(dataset: Dataset, when: dt.date | None, programs: bool) -> str:
    """What to say when `list --unresolved` finds nothing: what is still open instead."""
    day = when or dataset.as_of
    kind = "program" if programs else "roadmap"
    still = [r.condition.id for r in condition_reports(dataset, when) if r.status == "open"]
    parts = [f"no {kind} is unresolved on {day}"]
    if (
        not programs
        and dataset.programs
        and (when is None or when >= dataset.programs[0].history[0].date.first)
    ):
        parts.append(
            "the roadmaps were reformatted into union programs: see `unionstate list --programs`"
        )
    if still:
        parts.append(f"still open: {', '.join(still)} (`unionstate conditions`)")
    return "; ".join(parts)


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True)
class ConditionReport:
    """A condition, its status, the roadmaps linked to it and those it holds up."""

    condition: Condition
    status: str  # open, resolved or undetermined on that date
    roadmaps: tuple[str, ...]  # linked (all of them, whatever their status)
    blocks: tuple[str, ...]  # held up: linked roadmaps blocked on that date, while it is open


def condition_reports(dataset: Dataset, when: dt.date | None = None) -> list[ConditionReport]:
    """Conditions ranked by how many roadmaps each holds up (most first).

    A condition holds up only the linked roadmaps that are blocked on that date; the others
    are merely linked to it.
    """
    rows = states(dataset, when)
    reports = []
    for condition in dataset.conditions:
        status = condition_standing(condition, when)
        if status is None:
            continue
        linked = tuple(r.roadmap.id for r in rows if condition.id in r.roadmap.linked_conditions)
        blocks = tuple(
            r.roadmap.id
            for r in rows
            if condition.id in r.open_conditions and r.status is RoadmapStatus.BLOCKED
        )
        reports.append(ConditionReport(condition, status, linked, blocks))
    reports.sort(key=lambda rep: (-len(rep.blocks), rep.status == "resolved"))
    return reports


# -------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEvent:
    """One event of the merged timeline of roadmaps, programs, conditions and milestones."""

    date: When
    kind: str  # "roadmap", "program", "condition" or "milestone"
    subject: str  # roadmap, program or condition id, or the milestone's reported wording
    status: str | None
    note: str
    sources: tuple[str, ...]


def timeline(
    dataset: Dataset,
    roadmap: Document | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[TimelineEvent]:
    """All dated events, oldest first; only one roadmap's (or program's) when it is given.

    `since` keeps the events that may have happened on or after it, `until` those that may
    have happened on or before it.
    """
    events: list[TimelineEvent] = []
    for r in [roadmap] if roadmap else dataset.documents:
        for e in r.history:
            events.append(
                TimelineEvent(e.date, r.KIND, r.id, e.status.value, e.note, tuple(e.sources))
            )
    if roadmap is None:
        for c in dataset.conditions:
            for ce in c.history:
                events.append(
                    TimelineEvent(
                        ce.date, "condition", c.id, ce.status.value, ce.note, tuple(ce.sources)
                    )
                )
        for m in dataset.milestones:
            note = m.note or (f"{m.speaker}" if m.speaker else "")
            events.append(
                TimelineEvent(m.date, "milestone", m.reported, None, note, tuple(m.sources))
            )
    kind_order = {"milestone": 0, "condition": 1, "roadmap": 2, "program": 3}
    events = [
        e
        for e in events
        if (since is None or e.date.last >= since) and (until is None or e.date.first <= until)
    ]
    # A stable sort keeps each history's own order within a day.
    events.sort(key=lambda e: (e.date.first, e.date.last, kind_order[e.kind]))
    return events


# --------------------------------------------------------------------- summary


@dataclass(frozen=True)
class MilestoneComparison:
    """A figure officials reported, beside what the dataset says on that date.

    Only counts of agreed or open roadmaps (or programs) can be checked: the dataset's
    known agreed count and that count plus its undetermined records bound the agreed
    count a reader may expect, and likewise for the open count.
    """

    milestone: Milestone
    comparable: bool  # a count of agreed/open documents of a kind the dataset records
    listed: int = 0  # records of that kind listed by then (undetermined ones included)
    known_agreed: int = 0  # surely agreed or signed
    known_open: int = 0  # surely pending or blocked (and set aside, when officials counted it)
    undetermined: int = 0
    consistent: bool | None = None  # None: not comparable

    @property
    def agreed_range(self) -> tuple[int, int]:
        """The agreed counts the dataset allows on that date."""
        return self.known_agreed, self.known_agreed + self.undetermined

    @property
    def open_range(self) -> tuple[int, int]:
        """The open counts the dataset allows on that date."""
        return self.known_open, self.known_open + self.undetermined


def compare_milestone(dataset: Dataset, milestone: Milestone) -> MilestoneComparison:
    """Whether the dataset on a milestone's date allows the counts officials reported."""
    m = milestone
    if m.unit not in DOCUMENT_UNITS or (m.agreed is None and m.open is None):
        return MilestoneComparison(m, comparable=False)
    documents = dataset.roadmaps if m.unit == "roadmaps" else dataset.programs
    rows = states(dataset, m.date.last, documents)
    if not rows:
        return MilestoneComparison(m, comparable=False)
    counts = _count(rows)
    set_aside = counts[RoadmapStatus.SET_ASIDE.value]
    counted_set_aside = m.total is None or m.total >= len(rows)
    known_agreed = counts["agreed"] + counts["signed"]
    known_open = counts["pending"] + counts["blocked"] + (set_aside if counted_set_aside else 0)
    undetermined = counts[UNDETERMINED]
    consistent = (m.agreed is None or known_agreed <= m.agreed <= known_agreed + undetermined) and (
        m.open is None or known_open <= m.open <= known_open + undetermined
    )
    return MilestoneComparison(
        m, True, len(rows), known_agreed, known_open, undetermined, consistent
    )


@dataclass(frozen=True)
class Summary:
    """Everything `unionstate summary` shows, as plain data."""

    as_of: dt.date
    total: int
    by_status: dict[str, int]  # every status in STATUSES, undetermined included
    by_sphere: list[tuple[str, dict[str, int]]]
    conditions: list[ConditionReport]
    latest: list[TimelineEvent]
    milestones: list[MilestoneComparison] = field(default_factory=list)
    programs_total: int = 0
    programs_by_status: dict[str, int] = field(default_factory=dict)
    implementation: Milestone | None = None  # the latest reported implementation figure
    open_questions: list[OpenQuestion] = field(default_factory=list)


def _count(rows: Iterable[RoadmapState]) -> dict[str, int]:
    counts = Counter(r.label for r in rows)
    return {status: counts.get(status, 0) for status in STATUSES}


IMPLEMENTATION_UNITS = ("percent", "tasks", "activities")


def summarise(dataset: Dataset, when: dt.date | None = None, latest: int = 5) -> Summary:
    """Progress on `when` (default: now): counts by status and sphere, blockers, news."""
    as_of = when or dataset.as_of
    rows = states(dataset, when)
    spheres: dict[str, list[RoadmapState]] = {}
    for row in rows:
        spheres.setdefault(row.roadmap.sphere, []).append(row)
    by_sphere = [(name, _count(group)) for name, group in spheres.items()]
    news = [e for e in timeline(dataset, until=as_of) if e.kind != "milestone"][-latest:]
    reported = [m for m in dataset.milestones if m.date.first <= as_of]
    programs = states(dataset, when, dataset.programs)
    figures = [m for m in reported if m.unit in IMPLEMENTATION_UNITS and m.date.last <= as_of]
    return Summary(
        as_of=as_of,
        total=len(rows),
        by_status=_count(rows),
        by_sphere=by_sphere,
        conditions=condition_reports(dataset, when),
        latest=list(reversed(news)),
        milestones=[compare_milestone(dataset, m) for m in reported],
        programs_total=len(programs),
        programs_by_status=_count(programs),
        implementation=figures[-1] if figures else None,
        open_questions=list(dataset.open_questions),
    )


# ------------------------------------------------------------ progress over time


@dataclass(frozen=True)
class MonthProgress:
    """How many roadmaps stood in each status at the end of one month."""

    month: dt.date  # the first day of the month
    counts: dict[str, int]  # every status in STATUSES

    @property
    def label(self) -> str:
        """The month as YYYY-MM."""
        return f"{self.month.year:04d}-{self.month.month:02d}"


CHART_MONTHS = 1200  # a century of month rows; the shipped record spans a few years


def progress_by_month(
    dataset: Dataset, documents: Sequence[Document] | None = None
) -> list[MonthProgress]:
    """Roadmaps (or `documents`) per status at the end of each month, from the month of the
    first event to the dataset's as_of.

    Rebuilt from the histories, as `states` does; a record with no event yet is not counted,
    and one the record does not settle that month is counted as undetermined.
    """
    documents = dataset.roadmaps if documents is None else documents
    windows = [e.date for r in documents for e in r.history]
    if not windows:
        return []
    first = min(w.first for w in windows)
    last = dataset.as_of
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    # Each month re-derives every record's state: centuries of months would take minutes.
    if span > CHART_MONTHS:
        raise Refused(
            f"the roadmap events span {span:,} months ({first:%Y-%m} to {last:%Y-%m}), "
            f"more than the chart's {CHART_MONTHS:,}; check the dates, or use "
            "`history --json` for the events themselves"
        )
    if last.year == dt.MAXYEAR and last.month == 12:
        raise Refused(f"an event in {last:%Y-%m} is past the last month a chart can show")
    month, out = first.replace(day=1), []
    while month <= last:
        out.append(MonthProgress(month, _count(states(dataset, month_end(month), documents))))
        month = month_end(month) + dt.timedelta(days=1)
    return out


# ------------------------------------------------------------- shell completion


def roadmap_choices(
    dataset: Dataset, incomplete: str, taken: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(name, description) pairs completing `incomplete`: numbers once a digit is typed, else ids.

    Roadmaps already named in `taken` (by number, id or prefix) are left out.
    """
    skip: set[str] = set()
    for name in taken:
        try:
            skip.add(find_roadmap(dataset, name).id)
        except Refused:
            continue
    left = [r for r in dataset.roadmaps if r.id not in skip]
    if incomplete[:1].isdigit():
        pairs = [(str(r.number), f"{r.id}: {r.title}") for r in left]
    else:
        pairs = [(r.id, r.title) for r in left]
    return [(name, about) for name, about in pairs if name.startswith(incomplete)]


def condition_choices(dataset: Dataset, incomplete: str) -> list[tuple[str, str]]:
    """(id, description) pairs of the conditions whose id starts with `incomplete`."""
    return [
        (c.id, f"{c.status.value}: {c.title}")
        for c in dataset.conditions
        if c.id.startswith(incomplete)
    ]


def source_choices(dataset: Dataset, incomplete: str) -> list[tuple[str, str]]:
    """(id, publisher) pairs of the sources whose id starts with `incomplete`."""
    return [(s.id, s.publisher) for s in dataset.sources if s.id.startswith(incomplete)]


def open_conditions_of(dataset: Dataset, document: Document) -> list[str]:
    """The ids of the still-open conditions that `document` is linked to, in link order."""
    open_ids = {c.id for c in dataset.conditions if c.status is ConditionStatus.OPEN}
    return [c for c in document.linked_conditions if c in open_ids]
