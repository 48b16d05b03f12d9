"""Pure reads of a dataset: find records by name, filter, rebuild past states, summarise."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from unionstate.errors import Refused
from unionstate.models import (
    UNRESOLVED,
    Condition,
    ConditionStatus,
    Dataset,
    DatePrecision,
    Milestone,
    Roadmap,
    RoadmapStatus,
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


def find_roadmap(dataset: Dataset, name: str) -> Roadmap:
    """The roadmap named by number ("14"), id ("gas-market") or a unique id prefix ("gas")."""
    key = name.strip()
    # Only ASCII digits are a number: "١٤", "１４" or "²" name no roadmap by number (they fall
    # through to the id lookup and its "unknown roadmap"), and 5,000 digits are no number.
    if key.isascii() and key.isdigit():
        number = int(key) if len(key) <= 18 else -1
        for roadmap in dataset.roadmaps:
            if roadmap.number == number:
                return roadmap
        raise Refused(f"unknown roadmap {name!r}: numbers run from 1 to {len(dataset.roadmaps)}")
    lowered = key.lower()
    for roadmap in dataset.roadmaps:
        if roadmap.id == lowered:
            return roadmap
    matches = [r for r in dataset.roadmaps if r.id.startswith(lowered)] if lowered else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(r.id for r in matches)
        raise Refused(f"roadmap {name!r} is ambiguous: it could be {ids}")
    hint = _did_you_mean(lowered, (r.id for r in dataset.roadmaps))
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


@dataclass(frozen=True)
class RoadmapState:
    """A roadmap as it stood on a date: status, open conditions, last event so far."""

    roadmap: Roadmap
    status: RoadmapStatus
    open_conditions: tuple[str, ...]
    last_event_date: dt.date
    last_event_precision: DatePrecision


def condition_status_on(condition: Condition, when: dt.date | None) -> ConditionStatus | None:
    """The condition's status on `when` (None: not yet raised); `when=None` means now."""
    if when is None:
        return condition.status
    status = None
    for event in condition.history:
        if event.date > when:
            break
        status = event.status
    return status


def states(dataset: Dataset, when: dt.date | None = None) -> list[RoadmapState]:
    """Every roadmap's state on `when` (default: the dataset's current state).

    A past state is rebuilt from the histories: a roadmap with no event yet on that date
    is left out. Links to conditions are today's (links carry no dates).
    """
    open_ids = {
        c.id for c in dataset.conditions if condition_status_on(c, when) is ConditionStatus.OPEN
    }
    result = []
    for roadmap in dataset.roadmaps:
        history = roadmap.history
        if when is not None:
            history = [e for e in history if e.date <= when]
            if not history:
                continue
        last = history[-1]
        result.append(
            RoadmapState(
                roadmap=roadmap,
                status=last.status,
                open_conditions=tuple(c for c in roadmap.linked_conditions if c in open_ids),
                last_event_date=last.date,
                last_event_precision=last.date_precision,
            )
        )
    return result


def select(
    rows: Iterable[RoadmapState],
    *,
    statuses: Sequence[RoadmapStatus] = (),
    unresolved: bool = False,
    sphere: str | None = None,
    condition: str | None = None,
    search: str | None = None,
) -> list[RoadmapState]:
    """Filter states: any of `statuses`, unresolved only, sphere, linked condition, text."""
    wanted = set(statuses)
    if unresolved:
        wanted = (wanted & UNRESOLVED) if wanted else set(UNRESOLVED)
    needle = search.casefold() if search else None
    sphere_key = sphere.casefold() if sphere else None
    out = []
    for row in rows:
        roadmap = row.roadmap
        if (statuses or unresolved) and row.status not in wanted:
            continue
        if sphere_key and sphere_key not in roadmap.sphere.casefold():
            continue
        if condition and condition not in roadmap.linked_conditions:
            continue
        if needle and needle not in f"{roadmap.title}\n{roadmap.notes}".casefold():
            continue
        out.append(row)
    return out


# ------------------------------------------------------------------ conditions


@dataclass(frozen=True)
class ConditionReport:
    """A condition, its status, the roadmaps linked to it and those it holds up."""

    condition: Condition
    status: ConditionStatus
    roadmaps: tuple[str, ...]
    blocks: tuple[str, ...]  # unresolved roadmaps linked to it, while it is open


def condition_reports(dataset: Dataset, when: dt.date | None = None) -> list[ConditionReport]:
    """Conditions ranked by how many unresolved roadmaps each holds up (most first)."""
    rows = states(dataset, when)
    reports = []
    for condition in dataset.conditions:
        status = condition_status_on(condition, when)
        if status is None:
            continue
        linked = tuple(r.roadmap.id for r in rows if condition.id in r.roadmap.linked_conditions)
        blocks = tuple(
            r.roadmap.id
            for r in rows
            if condition.id in r.open_conditions and r.status in UNRESOLVED
        )
        reports.append(ConditionReport(condition, status, linked, blocks))
    reports.sort(key=lambda rep: (-len(rep.blocks), rep.status is ConditionStatus.RESOLVED))
    return reports


# -------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineEvent:
    """One event of the merged timeline of roadmaps, conditions and milestones."""

    date: dt.date
    date_precision: DatePrecision
    kind: str  # "roadmap", "condition" or "milestone"
    subject: str  # roadmap id, condition id, or the milestone's reported wording
    status: str | None
    note: str
    sources: tuple[str, ...]


def timeline(
    dataset: Dataset,
    roadmap: Roadmap | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[TimelineEvent]:
    """All dated events, oldest first; only one roadmap's when `roadmap` is given."""
    events: list[TimelineEvent] = []
    for r in [roadmap] if roadmap else dataset.roadmaps:
        for e in r.history:
            events.append(
                TimelineEvent(
                    e.date,
                    e.date_precision,
                    "roadmap",
                    r.id,
                    e.status.value,
                    e.note,
                    tuple(e.sources),
                )
            )
    if roadmap is None:
        for c in dataset.conditions:
            for ce in c.history:
                events.append(
                    TimelineEvent(
                        ce.date,
                        ce.date_precision,
                        "condition",
                        c.id,
                        ce.status.value,
                        ce.note,
                        tuple(ce.sources),
                    )
                )
        for m in dataset.milestones:
            note = m.note or (f"{m.speaker}" if m.speaker else "")
            events.append(
                TimelineEvent(
                    m.date,
                    m.date_precision,
                    "milestone",
                    m.reported,
                    None,
                    note,
                    tuple(m.sources),
                )
            )
    kind_order = {"milestone": 0, "condition": 1, "roadmap": 2}
    events = [
        e
        for e in events
        if (since is None or e.date >= since) and (until is None or e.date <= until)
    ]
    # A stable sort keeps each history's own order within a day.
    events.sort(key=lambda e: (e.date, kind_order[e.kind]))
    return events


# --------------------------------------------------------------------- summary


@dataclass(frozen=True)
class MilestoneComparison:
    """An official count beside the dataset's own count on the same date."""

    milestone: Milestone
    dataset_listed: int  # roadmaps with an event by then
    dataset_agreed: int  # agreed or signed
    dataset_open: int  # pending or blocked


@dataclass(frozen=True)
class Summary:
    """Everything `unionstate summary` shows, as plain data."""

    as_of: dt.date
    total: int
    by_status: dict[RoadmapStatus, int]
    by_sphere: list[tuple[str, dict[RoadmapStatus, int]]]
    conditions: list[ConditionReport]
    latest: list[TimelineEvent]
    milestones: list[MilestoneComparison] = field(default_factory=list)


def _count(rows: Iterable[RoadmapState]) -> dict[RoadmapStatus, int]:
    counts = Counter(r.status for r in rows)
    return {status: counts.get(status, 0) for status in RoadmapStatus}


def summarise(dataset: Dataset, when: dt.date | None = None, latest: int = 5) -> Summary:
    """Progress on `when` (default: now): counts by status and sphere, blockers, news."""
    as_of = when or dataset.as_of
    rows = states(dataset, when)
    spheres: dict[str, list[RoadmapState]] = {}
    for row in rows:
        spheres.setdefault(row.roadmap.sphere, []).append(row)
    by_sphere = [(name, _count(group)) for name, group in spheres.items()]
    news = [e for e in timeline(dataset, until=as_of) if e.kind != "milestone"][-latest:]
    comparisons = []
    for milestone in dataset.milestones:
        if milestone.date > as_of:
            continue
        then = _count(states(dataset, milestone.date))
        comparisons.append(
            MilestoneComparison(
                milestone,
                dataset_listed=sum(then.values()),
                dataset_agreed=then[RoadmapStatus.AGREED] + then[RoadmapStatus.SIGNED],
                dataset_open=then[RoadmapStatus.PENDING] + then[RoadmapStatus.BLOCKED],
            )
        )
    return Summary(
        as_of=as_of,
        total=len(rows),
        by_status=_count(rows),
        by_sphere=by_sphere,
        conditions=condition_reports(dataset, when),
        latest=list(reversed(news)),
        milestones=comparisons,
    )


# ------------------------------------------------------------ progress over time


@dataclass(frozen=True)
class MonthProgress:
    """How many roadmaps stood in each status at the end of one month."""

    month: dt.date  # the first day of the month
    agreed: int
    signed: int
    pending: int
    blocked: int

    @property
    def label(self) -> str:
        """The month as YYYY-MM."""
        return self.month.strftime("%Y-%m")


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def progress_by_month(dataset: Dataset) -> list[MonthProgress]:
    """Roadmaps per status at the end of each month, from the first roadmap event to the last.

    Rebuilt from the histories, as `states` does; a roadmap with no event yet is not counted.
    """
    dates = [e.date for r in dataset.roadmaps for e in r.history]
    if not dates:
        return []
    first, last = min(dates), max(dates)
    month, out = first.replace(day=1), []
    while month <= last:
        counts = _count(states(dataset, _month_end(month)))
        out.append(
            MonthProgress(
                month,
                agreed=counts[RoadmapStatus.AGREED],
                signed=counts[RoadmapStatus.SIGNED],
                pending=counts[RoadmapStatus.PENDING],
                blocked=counts[RoadmapStatus.BLOCKED],
            )
        )
        month = _month_end(month) + dt.timedelta(days=1)
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
