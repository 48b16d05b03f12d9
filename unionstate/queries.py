"""Pure reads of a dataset: find records by name, filter, rebuild past states, summarise."""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unionstate.errors import Refused
from unionstate.models import (
    DOCUMENT_UNITS,
    UNRESOLVED,
    Amount,
    Assessment,
    Condition,
    ConditionStatus,
    Dataset,
    Directions,
    Document,
    Event,
    ImplementationState,
    Implemented,
    Milestone,
    Observation,
    OpenQuestion,
    PlannedDate,
    Program,
    RoadmapStatus,
    Target,
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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` — did you mean 'x'?` for the choices close to `word`, or ""."""
    return _did_you_mean(word, choices)


def find_roadmap(dataset: Dataset, name: str, *, or_condition: bool = False) -> Document:
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
    for kind in (Program, Directions):
        if key[:1] in (kind.PREFIX, kind.PREFIX.lower()) and key[1:].isascii():
            if not key[1:].isdigit() or len(key) > 18:
                continue
            records = dataset.programs if kind is Program else dataset.directions
            for record in records:
                if record.number == int(key[1:]):
                    return record
            p = kind.PREFIX
            known = f"{p}1 to {p}{len(records)}" if records else "none recorded"
            raise Refused(f"unknown {kind.KIND} {name!r}: {kind.KIND} numbers run {known}")
    lowered = key.lower()
    documents = dataset.documents
    for document in documents:
        if document.id == lowered:
            return document
    if lowered in {c.id for c in dataset.conditions}:
        raise Refused(
            f"{name!r} is a condition, not a roadmap, program or Main Directions document: "
            f"`unionstate show {lowered}`, `history`, `resolve`, `reopen` and `note` take it"
        )
    matches = [d for d in documents if d.id.startswith(lowered)] if lowered else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(d.id for d in matches)
        raise Refused(f"{name!r} is ambiguous: it could be {ids}")
    if or_condition:  # the caller takes a condition too: suggest either kind
        either = [*(d.id for d in documents), *(c.id for c in dataset.conditions)]
        raise Refused(f"unknown roadmap or condition {name!r}{_did_you_mean(lowered, either)}")
    hint = _did_you_mean(lowered, (d.id for d in documents))
    raise Refused(f"unknown roadmap {name!r}{hint}")


def find_condition(dataset: Dataset, name: str) -> Condition:
    """The condition with this id."""
    key = name.strip().lower()
    for condition in dataset.conditions:
        if condition.id == key:
            return condition
    for document in dataset.documents:  # a record of another kind: say which
        if key in (document.id, f"{document.PREFIX}{document.number}".lower()):
            known = ", ".join(c.id for c in dataset.conditions)
            raise Refused(f"{name!r} is {document.label}, not a condition (conditions: {known})")
    hint = _did_you_mean(key, (c.id for c in dataset.conditions))
    if not hint:
        hint = f" (known: {', '.join(c.id for c in dataset.conditions)})"
    raise Refused(f"unknown condition {name!r}{hint}")


def is_condition(dataset: Dataset, name: str) -> bool:
    """Whether `name` names a condition (and no roadmap, program or Main Directions)."""
    key = name.strip().lower()
    return key in {c.id for c in dataset.conditions} and key not in {
        d.id for d in dataset.documents
    }


def find_record(dataset: Dataset, name: str) -> Document | Condition:
    """The roadmap, program, Main Directions document (as `find_roadmap`) or condition."""
    if is_condition(dataset, name):
        return find_condition(dataset, name)
    return find_roadmap(dataset, name, or_condition=True)


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


# ----------------------------------------------------------- the implementation axis

DISPUTED = "disputed"  # assessors who spoke at overlapping times disagree
# Every implementation state a view can show, in the order views list them.
IMPLEMENTATION_STATES = (*(s.value for s in ImplementationState), UNDETERMINED, DISPUTED)


@dataclass(frozen=True)
class Implementation:
    """How far a program or Main Directions document was implemented on a date.

    `state` is one of IMPLEMENTATION_STATES: the latest assessment made by then, unless
    no assessment was (undetermined: never "not started") or assessments by different
    assessors whose dates overlap the latest one's disagree (disputed: `assessments`
    holds them all, never an average or the last word).
    """

    state: str
    assessments: tuple[Assessment, ...] = ()  # the latest, or every one in the dispute

    @property
    def latest(self) -> Assessment | None:
        """The newest assessment that counts on that date."""
        return self.assessments[-1] if self.assessments else None


def implementation_on(document: Document, day: dt.date) -> Implementation | None:
    """`document`'s implementation on `day`; None for a roadmap (its programs carry it on)."""
    if not isinstance(document, Implemented):
        return None
    known = [a for a in document.implementation if a.date.happened_by(day)]
    if not known:
        return Implementation(UNDETERMINED)
    latest = known[-1]
    around = [
        a for a in known if a.date.last >= latest.date.first and a.date.first <= latest.date.last
    ]
    states = {a.state for a in around}
    if len(states) > 1 and len({a.assessor for a in around}) > 1:
        return Implementation(DISPUTED, tuple(around))
    return Implementation(latest.state.value, (latest,))


@dataclass(frozen=True)
class TargetState:
    """A target on a date: its latest planned date by then and whether it is met."""

    target: Target
    state: str  # "open", "overdue", "met" or "missed"
    due: PlannedDate  # the latest planned date set by then

    @property
    def moved(self) -> bool:
        """Whether the planned date was moved (more than one set by then)."""
        return self.target.due.index(self.due) > 0


TARGET_STATES = ("open", "overdue", "met", "missed")


def targets_on(document: Document, day: dt.date) -> list[TargetState]:
    """The targets of `document` set by `day`, each with its state then.

    A target is overdue when its latest planned date has passed with no outcome recorded;
    an outcome dated after `day` is not known on `day`.
    """
    out = []
    for target in document.targets:
        set_by = [d for d in target.due if d.set.happened_by(day)]
        if not set_by:
            continue
        due = set_by[-1]
        outcome = target.outcome
        state: str
        if outcome is not None and outcome.date.happened_by(day):
            state = outcome.state
        elif due.date.last < day:
            state = "overdue"
        else:
            state = "open"
        out.append(TargetState(target, state, due))
    return out


# Why a record is unresolved on a date: stable codes (`--json`), in this order, and words.
REASONS = {
    "not-adopted": "not adopted",
    "adoption-undetermined": "adoption undetermined",
    "not-implemented": "not implemented",
    "implementation-undetermined": "implementation undetermined",
    "implementation-disputed": "implementation disputed",
    "target-open": "target open",
    "target-overdue": "target overdue",
    "open-condition": "open condition",
}


def unresolved_because(
    possible: Sequence[str],
    implementation: Implementation | None,
    targets: Sequence[TargetState],
    open_conditions: Sequence[str],
) -> tuple[str, ...]:
    """The REASONS codes that hold for a record: empty when it is resolved.

    Not adopted: pending or blocked (undetermined: may be). Implementation not known
    completed, once it may be adopted (a document surely not adopted has nothing to carry
    out yet). A target open or overdue. Tied to an open demand. A record set aside is off
    the table: nothing about it is unresolved.
    """
    if tuple(possible) == (RoadmapStatus.SET_ASIDE.value,):
        return ()
    reasons: list[str] = []
    unresolved = {s.value for s in UNRESOLVED}
    if len(possible) == 1 and possible[0] in unresolved:
        reasons.append("not-adopted")
    elif len(possible) > 1 and unresolved & set(possible):
        reasons.append("adoption-undetermined")
    not_yet = {*unresolved, UNLISTED}
    if implementation is not None and not set(possible) <= not_yet:
        state = implementation.state
        if state == UNDETERMINED:
            reasons.append("implementation-undetermined")
        elif state == DISPUTED:
            reasons.append("implementation-disputed")
        elif state != ImplementationState.COMPLETED.value:
            reasons.append("not-implemented")
    states = {t.state for t in targets}
    reasons += [f"target-{s}" for s in ("open", "overdue") if s in states]
    if open_conditions:
        reasons.append("open-condition")
    return tuple(reasons)


@dataclass(frozen=True)
class RoadmapState:
    """A roadmap, program or Main Directions document as it stood on a date: both axes,
    its targets, its open conditions, why it is unresolved, its last event."""

    roadmap: Document
    status: RoadmapStatus | None  # None: undetermined on that date
    possible: tuple[str, ...]  # the statuses it may have had ("unlisted": not yet drawn up)
    open_conditions: tuple[str, ...]  # linked demands open on that date
    last_event: When  # the newest event that surely happened (else the first possible one)
    implementation: Implementation | None = None  # None: a roadmap (no implementation axis)
    targets: tuple[TargetState, ...] = ()
    unresolved_because: tuple[str, ...] = ()  # REASONS codes; empty: resolved
    successors: tuple[str, ...] = ()  # a roadmap's programs, as P-numbers

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

    `documents` are the roadmaps by default; pass `dataset.programs` (or `.directions`). A
    past state is rebuilt from the histories: a record none of whose events can have
    happened by then is left out, and one whose status the record does not settle is
    undetermined. Links to conditions are today's (links carry no dates).
    """
    open_ids = {
        c.id
        for c in dataset.conditions
        if c.kind == "demand" and condition_standing(c, when) == ConditionStatus.OPEN.value
    }
    day = when or dataset.as_of
    continued: dict[str, list[str]] = {}
    for program in dataset.programs:
        if when is None or program.history[0].date.happened_by(when):
            for rid in program.succeeds:
                continued.setdefault(rid, []).append(f"P{program.number}")
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
        implementation = implementation_on(document, day)
        targets = tuple(targets_on(document, day))
        open_conditions = tuple(c for c in document.linked_conditions if c in open_ids)
        result.append(
            RoadmapState(
                roadmap=document,
                status=status,
                possible=possible,
                open_conditions=open_conditions,
                last_event=last,
                implementation=implementation,
                targets=targets,
                unresolved_because=unresolved_because(
                    possible, implementation, targets, open_conditions
                ),
                successors=tuple(continued.get(document.id, ()))
                if document.KIND == "roadmap"
                else (),
            )
        )
    return result


def state_of(dataset: Dataset, document: Document, when: dt.date | None = None) -> RoadmapState:
    """One record's state on `when` (Refused if not yet drawn up by then)."""
    kind = dataset.kind_of(document)
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

    Unresolved: any of `RoadmapState.unresolved_because` holds (see `unresolved_because`).
    """
    wanted = {str(s) for s in statuses}  # a RoadmapStatus prints as its value
    needle = search.casefold() if search else None
    sphere_key = sphere.casefold() if sphere else None
    out = []
    for row in rows:
        roadmap = row.roadmap
        if wanted and row.label not in wanted:
            continue
        if unresolved and not row.unresolved_because:
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


def nothing_matches(
    rows: Sequence[RoadmapState],
    kind: str,
    *,
    statuses: Sequence[str] = (),
    sphere: str | None = None,
    condition: str | None = None,
    search: str | None = None,
    day: dt.date | None = None,
) -> str:
    """What to say when `list` finds nothing: the filter that matched nothing on its own
    (with what it could have matched), else the filters that together match nothing.

    `rows` are all the records of that `kind` ("roadmap", "program", ...) on that `day`.
    """
    if sphere and not select(rows, sphere=sphere):
        spheres = ", ".join(sorted({r.roadmap.sphere for r in rows}))
        return f"no {kind} matches sphere {sphere!r} (spheres are: {spheres})"
    if condition and not select(rows, condition=condition):
        return f"no {kind} is linked to condition {condition!r}"
    if search and not select(rows, search=search):
        return f"no {kind}'s title or notes contain {search!r}"
    if statuses and not select(rows, statuses=statuses):
        there = ", ".join(sorted({r.label for r in rows}))
        on = f" on {day}" if day else ""
        return f"no {kind} is {' or '.join(statuses)}{on} (they are: {there})"
    given = [
        f"{name} {value!r}"
        for name, value in (("sphere", sphere), ("condition", condition), ("search", search))
        if value
    ]
    if statuses:
        given.append(f"status {' or '.join(statuses)}")
    return f"no {kind} matches {' and '.join(given)} together"


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True)
class ConditionReport:
    """A condition, its status, the records linked to it and those it holds up."""

    condition: Condition
    status: str  # open, resolved or undetermined on that date
    roadmaps: tuple[str, ...]  # linked roadmaps (all of them, whatever their status)
    programs: tuple[str, ...]  # linked programs and Main Directions documents
    blocks: tuple[str, ...]  # held up: linked records it keeps unresolved on that date
    because: dict[str, tuple[str, ...]] = field(default_factory=dict)  # held id -> REASONS

    @property
    def demand(self) -> bool:
        """A negotiable demand (not a standing red line such as sovereignty)."""
        return self.condition.kind == "demand"


def condition_reports(dataset: Dataset, when: dt.date | None = None) -> list[ConditionReport]:
    """Conditions ranked by how many records each holds up (most first).

    An open demand holds up every linked record that is unresolved on that date (with the
    reasons why it is); a red line or a resolved condition holds up nothing.
    """
    rows = [
        *states(dataset, when),
        *states(dataset, when, dataset.programs),
        *states(dataset, when, dataset.directions),
    ]
    reports = []
    for condition in dataset.conditions:
        status = condition_standing(condition, when)
        if status is None:
            continue
        linked = [r for r in rows if condition.id in r.roadmap.linked_conditions]
        held = {
            r.roadmap.id: r.unresolved_because
            for r in linked
            if condition.id in r.open_conditions and r.unresolved_because
        }
        reports.append(
            ConditionReport(
                condition,
                status,
                tuple(r.roadmap.id for r in linked if r.roadmap.KIND == "roadmap"),
                tuple(r.roadmap.id for r in linked if r.roadmap.KIND != "roadmap"),
                tuple(held),
                held,
            )
        )
    reports.sort(key=lambda rep: (-len(rep.blocks), rep.status == "resolved", not rep.demand))
    return reports


def condition_report(
    dataset: Dataset, condition: Condition, when: dt.date | None = None
) -> ConditionReport:
    """One condition's report on `when` (Refused if not yet raised by then)."""
    for report in condition_reports(dataset, when):
        if report.condition is condition:
            return report
    raise Refused(f"condition {condition.id} was not yet raised on {when}")


# -------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEvent:
    """One event of the merged timeline of every record and milestone: a status change, an
    assessment (`status` its implementation state), or an observation (`status` None)."""

    date: When
    kind: str  # "roadmap", "program", "directions", "condition" or "milestone"
    subject: str  # the record's id, or the milestone's reported wording
    status: str | None
    note: str
    sources: tuple[str, ...]


def assessed(assessment: Assessment) -> str:
    """Who assessed it and the figure: "Lukashenko (belarus): 125 of 310 measures, 14 late"."""
    a = assessment
    figure = ""
    if a.done is not None and a.total is not None:
        figure = f"{a.done} of {a.total}" + (f" {a.unit}" if a.unit else "")
    if a.percent is not None:
        figure = f"{figure}, {a.percent:g}%" if figure else f"{a.percent:g}%"
    if a.late is not None:
        figure += f", {a.late} late"
    return f"{a.assessor} ({a.side})" + (f": {figure}" if figure else "")


def _observed(kind: str, subject: str, observation: Observation) -> TimelineEvent:
    o = observation
    who = f"{o.by}: " if o.by and not o.note.startswith(o.by) else ""
    return TimelineEvent(o.date, kind, subject, None, who + o.note, tuple(o.sources))


def timeline(
    dataset: Dataset,
    roadmap: Document | Condition | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[TimelineEvent]:
    """All dated events, oldest first; only one record's (roadmap, program, Main
    Directions or condition) when it is given.

    `since` keeps the events that may have happened on or after it, `until` those that may
    have happened on or before it.
    """
    events: list[TimelineEvent] = []
    if isinstance(roadmap, Condition):
        documents: list[Document] = []
        conditions = [roadmap]
    else:
        documents = [roadmap] if roadmap else dataset.documents
        conditions = [] if roadmap else dataset.conditions
    for r in documents:
        for e in r.history:
            note = f"{e.note} (Signed although {e.override}.)" if e.override else e.note
            events.append(
                TimelineEvent(e.date, r.KIND, r.id, e.status.value, note, tuple(e.sources))
            )
        events += [_observed(r.KIND, r.id, o) for o in r.observations]
        if isinstance(r, Implemented):
            for a in r.implementation:
                note = f"{assessed(a)}. {a.note}".rstrip(". ") + "."
                events.append(
                    TimelineEvent(a.date, r.KIND, r.id, a.state.value, note, tuple(a.sources))
                )
    for c in conditions:
        for ce in c.history:
            events.append(
                TimelineEvent(
                    ce.date, "condition", c.id, ce.status.value, ce.note, tuple(ce.sources)
                )
            )
        events += [_observed("condition", c.id, o) for o in c.observations]
    if roadmap is None:
        for m in dataset.milestones:
            note = m.note or (f"{m.speaker}" if m.speaker else "")
            events.append(
                TimelineEvent(m.date, "milestone", m.reported, None, note, tuple(m.sources))
            )
    kind_order = {"milestone": 0, "condition": 1, "roadmap": 2, "program": 3, "directions": 4}
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

    Counts of records can be checked: of agreed or open roadmaps, programs or Main
    Directions against their adoption (`axis` "adoption"), and of programs "fully
    implemented" (`done`) against their implementation ("implementation"). The known
    count and that count plus the records that could go either way bound what a reader
    may expect; agreed and open are checked jointly, since one record cannot be both.
    A count dated by a window ("before 22 Feb 2021") was made on some day of it: it fits
    the record if it fits on one of them (`on`: the latest such day, else the window's end).
    """

    milestone: Milestone
    comparable: bool  # a count of records of a kind the dataset holds
    axis: str = ""  # "adoption" or "implementation"
    on: dt.date | None = None  # the day of the count's window the record was read on
    listed: int = 0  # records counted: of that kind by then, or the named members
    known_agreed: int = 0  # surely agreed or signed (implementation: surely completed)
    known_open: int = 0  # surely pending or blocked (and set aside, when officials counted it)
    undetermined: int = 0  # could go either way
    consistent: bool | None = None  # None: not comparable

    @property
    def agreed_range(self) -> tuple[int, int]:
        """The agreed (or completed) counts the dataset allows on that date."""
        return self.known_agreed, self.known_agreed + self.undetermined

    @property
    def open_range(self) -> tuple[int, int]:
        """The open counts the dataset allows on that date."""
        return self.known_open, self.known_open + self.undetermined


Classes = frozenset[str]  # what one record can count as: "agreed", "open", "neither"


@dataclass
class Memo:
    """What comparing one count finds that the next count of the same day reuses: a summary
    compares every count, many share a day, and each is over every record of its kind."""

    rows: dict[tuple[str, dt.date], list[RoadmapState]] = field(default_factory=dict)
    tallies: dict[tuple[tuple[str, ...], dt.date, bool], Counter[Classes]] = field(
        default_factory=dict
    )
    changes: dict[tuple[str, ...], list[dt.date]] = field(default_factory=dict)


def _kind_documents(dataset: Dataset, m: Milestone) -> list[Document]:
    """The records a count is over: its members if it names them, else every one of its kind."""
    if m.members:
        return [d for d in dataset.documents if d.id in m.members]
    if m.unit == "roadmaps":
        return list(dataset.roadmaps)
    return list(dataset.programs if m.unit == "programs" else dataset.directions)


def _changes(dataset: Dataset, m: Milestone, memo: Memo) -> list[dt.date]:
    """Every day before which the records a count is over change (sorted), once per kind."""
    key = tuple(m.members) if m.members else (m.unit,)
    if key not in memo.changes:
        days: set[dt.date] = set()
        for document in _kind_documents(dataset, m):
            events: list[Event] = [*document.history]
            if isinstance(document, Implemented):
                events += document.implementation
            for event in events:
                for change in (event.date.earliest, event.date.latest):
                    if change is not None and change > dt.date.min:
                        days.add(change - dt.timedelta(days=1))
        memo.changes[key] = sorted(days)
    return memo.changes[key]


def _days_to_check(dataset: Dataset, m: Milestone, memo: Memo) -> list[dt.date]:
    """The days of a count's window on which the record can differ, latest first.

    A record's statuses (and implementation) change only on the first or last day of one of
    its events' windows: the record stands still from one such day to the day before the
    next, so those last days inside the count's window are all the days there are to look
    at (the latest of each stretch); a count dated to one day has only that day.
    """
    last, earliest = m.date.last, m.date.earliest
    if earliest == last:
        return [last]
    changes = _changes(dataset, m, memo)  # the last day each stretch stood still
    low = 0 if earliest is None else bisect.bisect_left(changes, earliest)
    days = {last, *changes[low : bisect.bisect_right(changes, last)]}
    if earliest is not None:
        days.add(earliest)
    return sorted(days, reverse=True)


def _kind_rows(
    dataset: Dataset, m: Milestone, memo: Memo, day: dt.date
) -> tuple[tuple[str, ...], list[RoadmapState]]:
    """The records a count is over, as they stood on `day`, and what names them (its kind,
    or its members)."""

    def on(key: str, documents: Sequence[Document]) -> list[RoadmapState]:
        if (key, day) not in memo.rows:
            memo.rows[key, day] = states(dataset, day, documents)
        return memo.rows[key, day]

    if m.members:
        named = [d for d in dataset.documents if d.id in m.members]
        return tuple(d.id for d in named), [row for d in named for row in on(d.id, [d])]
    if m.unit == "roadmaps":
        return ("roadmaps",), on("roadmaps", dataset.roadmaps)
    if m.unit == "programs":
        return ("programs",), on("programs", dataset.programs)
    return ("directions",), on("directions", dataset.directions)


def _consistent(group: Counter[Classes], agreed: Amount | None, open_: Amount | None) -> bool:
    """Whether records with these possible classes (how many records can count as only
    "agreed", as "agreed" or "open", ...) can make an agreed count `agreed` allows together
    with an open count `open_` allows.

    Fixing how many of the agreed-or-open ones
    count as agreed (x) and how many of the free ones do (y), the agreed count can be any
    number in one interval and the open count any number in another, independently (the
    agreed-or-neither and open-or-neither records move one count each): so the check is
    O(agreed-or-open x free) interval tests, not the set of every reachable pair.
    """
    a0 = group[frozenset({"agreed"})]
    o0 = group[frozenset({"open"})]
    either = group[frozenset({"agreed", "open"})]
    free = group[frozenset({"agreed", "open", "neither"})]
    a_or_none = group[frozenset({"agreed", "neither"})]
    o_or_none = group[frozenset({"open", "neither"})]
    for x in range(either + 1):  # agreed among the agreed-or-open
        for y in range(free + 1):  # agreed among the free; the rest may be open or neither
            a_lo = a0 + x + y
            o_lo = o0 + either - x
            if (agreed is None or agreed.allows(a_lo, a_lo + a_or_none)) and (
                open_ is None or open_.allows(o_lo, o_lo + o_or_none + free - y)
            ):
                return True
    return False


def compare_milestone(
    dataset: Dataset, milestone: Milestone, memo: Memo | None = None
) -> MilestoneComparison:
    """Whether the dataset on a milestone's date allows the counts officials reported (on
    some day of it, for a count dated by a window)."""
    m = milestone
    if m.unit not in DOCUMENT_UNITS or (m.agreed is None and m.open is None and m.done is None):
        return MilestoneComparison(m, comparable=False)
    memo = Memo() if memo is None else memo
    latest: MilestoneComparison | None = None
    for day in _days_to_check(dataset, m, memo):
        comparison = _compare_on(dataset, m, memo, day)
        if not comparison.comparable:
            break  # earlier still, none of these records was drawn up
        if comparison.consistent:
            return comparison
        latest = latest or comparison
    return latest or MilestoneComparison(m, comparable=False)


def _compare_on(dataset: Dataset, m: Milestone, memo: Memo, day: dt.date) -> MilestoneComparison:
    """A count against the records as they stood on `day`."""
    over, rows = _kind_rows(dataset, m, memo, day)
    if not rows:
        return MilestoneComparison(m, comparable=False)
    if m.agreed is None and m.open is None:
        return _compare_done(m, rows, day)
    counted_set_aside = m.total is None or m.total >= len(rows)
    key = (over, day, counted_set_aside)
    if key not in memo.tallies:
        word = {"agreed": "agreed", "signed": "agreed", "pending": "open", "blocked": "open"}
        word[RoadmapStatus.SET_ASIDE.value] = "open" if counted_set_aside else "neither"
        memo.tallies[key] = Counter(
            frozenset(word.get(status, "neither") for status in row.possible) for row in rows
        )
    group = memo.tallies[key]
    undetermined = sum(n for classes, n in group.items() if len(classes) > 1)
    return MilestoneComparison(
        m,
        True,
        "adoption",
        day,
        len(rows),
        known_agreed=group[frozenset({"agreed"})],
        known_open=group[frozenset({"open"})],
        undetermined=undetermined,
        consistent=_consistent(group, m.agreed, m.open),
    )


def _compare_done(m: Milestone, rows: Sequence[RoadmapState], day: dt.date) -> MilestoneComparison:
    """A count of records fully implemented, against their implementation states on `day`."""
    if m.done is None or any(r.implementation is None for r in rows):
        return MilestoneComparison(m, comparable=False)
    states = [r.implementation.state for r in rows if r.implementation is not None]
    known = states.count(ImplementationState.COMPLETED.value)
    either = sum(s in (UNDETERMINED, DISPUTED) for s in states)
    consistent = m.done.allows(known, known + either)
    return MilestoneComparison(
        m, True, "implementation", day, len(rows), known, 0, either, consistent
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
    # what is still open: every unresolved record (roadmaps, programs, Main Directions)
    open: list[RoadmapState] = field(default_factory=list)
    programs_implementation: dict[str, int] = field(default_factory=dict)  # by state
    directions: list[RoadmapState] = field(default_factory=list)

    @property
    def disputes(self) -> list[RoadmapState]:
        """The records whose implementation is disputed on that date."""
        return [r for r in self.open if "implementation-disputed" in r.unresolved_because]

    @property
    def open_demands(self) -> list[ConditionReport]:
        """The conditions still open that are demands (a red line is not counted)."""
        return [c for c in self.conditions if c.status == "open" and c.demand]


@dataclass(frozen=True)
class SphereCount:
    """One sphere's roadmaps, counted once for every view (terminal, pipe, JSON)."""

    sphere: str
    total: int
    agreed_or_signed: int
    unresolved: int  # pending or blocked; a record set aside is not unresolved
    undetermined: int
    set_aside: int


def sphere_count(sphere: str, counts: dict[str, int]) -> SphereCount:
    """The counts of one sphere from its records per status (`Summary.by_sphere`)."""
    get = counts.get
    return SphereCount(
        sphere=sphere,
        total=sum(counts.values()),
        agreed_or_signed=get(RoadmapStatus.AGREED.value, 0) + get(RoadmapStatus.SIGNED.value, 0),
        unresolved=sum(get(s.value, 0) for s in UNRESOLVED),
        undetermined=get(UNDETERMINED, 0),
        set_aside=get(RoadmapStatus.SET_ASIDE.value, 0),
    )


def _count(rows: Iterable[RoadmapState]) -> dict[str, int]:
    counts = Counter(r.label for r in rows)
    return {status: counts.get(status, 0) for status in STATUSES}


IMPLEMENTATION_UNITS = ("percent", "tasks", "activities", "measures")


_KIND_ORDER = {"directions": 0, "program": 1, "roadmap": 2}


def latest_fact(document: Document, on: dt.date) -> dt.date | None:
    """The day of the newest fact about `document` known on `on`: an event, an observation,
    an assessment, a planned date set or a target's outcome (each by its first day)."""
    days = [e.date.first for e in (*document.history, *document.observations)]
    days += [a.date.first for a in getattr(document, "implementation", ())]
    for target in document.targets:
        days += [d.set.first for d in target.due]
        if target.outcome is not None:
            days.append(target.outcome.date.first)
    known = [d for d in days if d <= on]
    return max(known) if known else None


def _live_first(rows: list[RoadmapState], on: dt.date) -> list[RoadmapState]:
    """What is still open, in the order a reader wants it: Main Directions, then programs,
    then roadmaps; within each, the record with the newest fact first (the live stories
    before the long-silent ones), then by number."""

    def key(row: RoadmapState) -> tuple[int, int, int]:
        newest = latest_fact(row.roadmap, on)
        return (
            _KIND_ORDER.get(row.roadmap.KIND, 3),
            -(newest.toordinal() if newest else 0),
            row.roadmap.number,
        )

    return sorted(rows, key=key)


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
    directions = states(dataset, when, dataset.directions)
    figures = [m for m in reported if m.unit in IMPLEMENTATION_UNITS and m.date.last <= as_of]
    implemented = Counter(r.implementation.state for r in programs if r.implementation)
    memo = Memo()
    return Summary(
        as_of=as_of,
        total=len(rows),
        by_status=_count(rows),
        by_sphere=by_sphere,
        conditions=condition_reports(dataset, when),
        latest=list(reversed(news)),
        milestones=[compare_milestone(dataset, m, memo) for m in reported],
        programs_total=len(programs),
        programs_by_status=_count(programs),
        implementation=figures[-1] if figures else None,
        open_questions=list(dataset.open_questions),
        open=_live_first(
            [r for r in [*rows, *programs, *directions] if r.unresolved_because], as_of
        ),
        programs_implementation={s: implemented.get(s, 0) for s in IMPLEMENTATION_STATES},
        directions=directions,
    )


# ------------------------------------------------------------ progress over time


@dataclass(frozen=True)
class MonthProgress:
    """How many roadmaps stood in each status at the end of one month."""

    month: dt.date  # the first day of the month
    counts: dict[str, int]  # every status in STATUSES (or implementation state)

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
    return [
        MonthProgress(month, _count(states(dataset, month_end(month), documents)))
        for month in _chart_months(dataset, documents)
    ]


def implementation_by_month(
    dataset: Dataset, documents: Sequence[Document] | None = None
) -> list[MonthProgress]:
    """Programs (or `documents`) per implementation state at the end of each month, from
    the month of their first event to the dataset's as_of.

    Each month counts the records drawn up by then, each in its state on the month's last
    day (`implementation_on`): undetermined where no assessment covers it yet, disputed
    where assessors disagree; `counts` holds every state of IMPLEMENTATION_STATES.
    """
    documents = dataset.programs if documents is None else documents
    out = []
    for month in _chart_months(dataset, documents):
        rows = states(dataset, month_end(month), documents)
        counted = Counter(r.implementation.state for r in rows if r.implementation)
        out.append(MonthProgress(month, {s: counted.get(s, 0) for s in IMPLEMENTATION_STATES}))
    return out


def _chart_months(dataset: Dataset, documents: Sequence[Document]) -> list[dt.date]:
    """The first day of every month from the documents' first event to the as_of."""
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
        out.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return out


# ------------------------------------------------------------- shell completion


def roadmap_choices(
    dataset: Dataset, incomplete: str, taken: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(name, description) pairs completing `incomplete`: roadmap numbers once a digit is
    typed, program and Main Directions numbers after a P or a D (P2, D1), else the ids of
    roadmaps, programs and Main Directions documents.

    Records already named in `taken` (by number, id or prefix) are left out.
    """
    skip: set[str] = set()
    for name in taken:
        try:
            skip.add(find_roadmap(dataset, name).id)
        except Refused:
            continue
    left = [r for r in dataset.documents if r.id not in skip]
    first = incomplete[:1]
    if first.isdigit():
        pairs = [(str(r.number), f"{r.id}: {r.title}") for r in left if not r.PREFIX]
    elif first in ("P", "D") and (incomplete[1:].isdigit() or len(incomplete) == 1):
        pairs = [(f"{r.PREFIX}{r.number}", f"{r.id}: {r.title}") for r in left if r.PREFIX]
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
