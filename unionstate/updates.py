"""Pure transitions: each takes a dataset and returns a new, re-validated one.

Nothing here touches the disk; `store.update` runs these under the file lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from unionstate.checks import CrossRecordError, Invalid, validate
from unionstate.errors import Refused, UsageError
from unionstate.models import (
    Condition,
    ConditionStatus,
    Dataset,
    DatePrecision,
    Document,
    Implemented,
    Record,
    RoadmapStatus,
    Target,
    When,
)
from unionstate.plain import fields_of
from unionstate.queries import (
    UNDETERMINED,
    condition_standing,
    find_condition,
    find_roadmap,
    is_condition,
    open_conditions_of,
    possible_statuses,
)
from unionstate.sources import cite

P, A, B, S, X = (
    RoadmapStatus.PENDING,
    RoadmapStatus.AGREED,
    RoadmapStatus.BLOCKED,
    RoadmapStatus.SIGNED,
    RoadmapStatus.SET_ASIDE,
)

# command -> (statuses it may start from, status it leads to). The README shows this table.
TRANSITIONS: dict[str, tuple[frozenset[RoadmapStatus], RoadmapStatus]] = {
    "agree": (frozenset({P, B}), A),
    "block": (frozenset({P, A, B}), B),
    "sign": (frozenset({A}), S),
    "set-aside": (frozenset({P, B, A}), X),
    "reopen": (frozenset({A, S, X}), P),
}

_DEFAULT_NOTES = {
    "agree": "Agreed.",
    "sign": "Signed.",
    "reopen": "Reopened.",
    "set-aside": "Set aside.",
}


@dataclass(frozen=True)
class Entry:
    """What the user says about an event: when, why, and according to whom."""

    on: When
    note: str | None = None
    # a source id, or a URL that becomes a new source; or several (each cited, in order)
    source: str | Sequence[str] | None = None

    def __post_init__(self) -> None:
        # A plain date (or its spelling) is accepted for convenience: it is a window too.
        object.__setattr__(self, "on", When.parse(self.on))
        if self.source is not None and not isinstance(self.source, str):
            object.__setattr__(self, "source", tuple(self.source) or None)


@dataclass
class Outcome:
    """The new dataset and what the change did, for the CLI to report."""

    dataset: Dataset
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already in the wanted state
    freed: list[str] = field(default_factory=list)  # roadmaps a resolved condition unblocked
    new_source: str | None = None
    # back-filled records (an event placed before a later one): the date of that next event
    backfilled: dict[str, When] = field(default_factory=dict)


def _revalidate(data: dict[str, Any]) -> Dataset:
    try:
        return validate(data)
    except Invalid as exc:
        problems = []
        for error in exc.errors:
            cross = (error.get("ctx") or {}).get("error")
            if isinstance(cross, CrossRecordError):
                problems += [f"{'.'.join(map(str, p.loc))}: {p.message}" for p in cross.problems]
            else:
                problems.append(f"{'.'.join(map(str, error['loc']))}: {error['msg']}")
        glue = ": " if len(problems) == 1 else ":\n"
        raise Refused(
            "the change would make the data invalid" + glue + "\n".join(problems)
        ) from None


def _editable(record: Record) -> dict[str, Any]:
    """A record's fields (the dataset's, or one record's), lists copied, to build the next state.

    Records inside stay the validated records they are (`validate` takes them as they
    are); a change replaces only the records it touches with plain dicts, so the new state
    re-validates those and every cross-record rule, without copying the rest.
    """
    return {k: list(v) if isinstance(v, list) else v for k, v in fields_of(record).items()}


def _replace(records: list[Any], index: int) -> dict[str, Any]:
    """Swap records[index] (a record) for an editable dict of its fields, and return that."""
    plain = _editable(records[index])
    records[index] = plain
    return plain


def _check_date(entry: Entry, today: dt.date, last: When, what: str) -> str | None:
    """Why the event cannot be dated `entry.on` after `last`, or None if it can."""
    on = entry.on.resolved(last.earliest, today)
    start = on.lo or on.earliest
    if start is not None and start > today:
        return f"{on.display} is in the future (today is {today})"
    if on.last < last.first or (on.earliest is not None and on.earliest > on.last):
        return f"{on.display} is before {what}'s last event ({last.display})"
    return None


def _as_of(as_of: dt.date, on: When, today: dt.date) -> dt.date:
    """The dataset's as_of after an event dated `on`: never past what is known.

    A day, and a window a source closes ("..2021-08-09", "2019-12-08..2019-12-20"), are
    known up to their last day; a month or a year only from its first day (the record knows
    nothing of the rest of that period), and an open end ("2021-08..") from its start.
    """
    bounded = on.precision not in (DatePrecision.MONTH, DatePrecision.YEAR)
    end = on.hi if bounded and on.hi is not None else (on.lo or as_of)
    return max(as_of, min(end, today))


def _label(roadmap: Document) -> str:
    return roadmap.label


def _index(dataset: Dataset) -> dict[str, tuple[str, int]]:
    """Where each document sits in the dataset: (its list's name, its position)."""
    return {
        d.id: (kind, i)
        for kind in ("roadmaps", "programs", "directions")
        for i, d in enumerate(getattr(dataset, kind))
    }


def _follows(before: RoadmapStatus, after: RoadmapStatus) -> bool:
    """Whether a history may go from `before` to `after` in one event: a restatement of the
    same status, a transition of TRANSITIONS, or an unblocking (blocked -> pending)."""
    if after is before or (before is B and after is P):
        return True
    return any(before in allowed and after is target for allowed, target in TRANSITIONS.values())


def _position(history: Sequence[Any], on: When) -> int:
    """Where an event dated `on` goes in a history: after every event that may have come
    before it, so it is appended whenever its window reaches the last event's (the same
    day, or a month or year that holds it) and back-filled only before events that surely
    began after it ended."""
    at = len(history)
    while at and _first(history[at - 1]) > on.last:
        at -= 1
    return at


def _check_place(
    entry: Entry, today: dt.date, history: Sequence[Any], at: int, what: str
) -> str | None:
    """Why the event cannot go at position `at` of `history`, or None if it can."""
    if at == 0:
        first = history[0].date.display
        return f"{entry.on.display} is before {what}'s first event ({first})"
    return _check_date(entry, today, history[at - 1].date, what)


def _cannot_follow(label: str, later: Any, status: Any, action: str) -> str:
    """The refusal for a back-filled event that its next event cannot follow."""
    return (
        f"{label}: its later event of {later.date.display} leaves it {later.status}, "
        f"which cannot follow the {action} on that earlier date (it leaves it {status}); "
        "nothing was changed"
    )


def _open_on(dataset: Dataset, day: dt.date, *, surely: bool, but: str | None = None) -> set[str]:
    """The conditions open on `day` (with `surely` False, also those that may be)."""
    kinds = {ConditionStatus.OPEN.value} if surely else {ConditionStatus.OPEN.value, UNDETERMINED}
    return {c.id for c in dataset.conditions if c.id != but and condition_standing(c, day) in kinds}


def transition(
    dataset: Dataset,
    action: str,
    names: Sequence[str],
    entry: Entry,
    today: dt.date,
    *,
    condition: str | None = None,
    force: bool = False,
) -> Outcome:
    """Move the named roadmaps with `action` (agree, block, sign, reopen); all or nothing.

    An event dated before a record's last one is back-filled: it goes in date order, must
    follow the status the record had then, and its next event must be able to follow it;
    the record's status stays that of its last event.
    """
    allowed, target = TRANSITIONS[action]
    if force and not entry.note:
        raise UsageError("--force needs --note saying why the rules were overridden")
    blocking: Condition | None = None
    if action == "block":
        if not condition:
            raise UsageError("block needs --condition naming the open condition that blocks it")
        blocking = find_condition(dataset, condition)
        standing = condition_standing(blocking, entry.on.last)
        if standing is None:
            raise Refused(f"condition {blocking.id!r} was not yet raised on {entry.on.display}")
        if standing == ConditionStatus.RESOLVED.value:
            raise Refused(
                f"condition {blocking.id!r} is resolved"
                + ("" if blocking.status is ConditionStatus.RESOLVED else f" on {entry.on}")
                + ", so it cannot block anything"
            )
        condition = blocking.id  # as stored, whatever case the user typed
    roadmaps: list[Document] = []
    for name in names:
        roadmap = find_roadmap(dataset, name)
        if roadmap not in roadmaps:
            roadmaps.append(roadmap)

    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    index = _index(dataset)
    outcome = Outcome(dataset=dataset, new_source=new_source)
    refusals: list[str] = []
    for roadmap in roadmaps:
        history = roadmap.history
        at = _position(history, entry.on)
        backfill = at < len(history)
        status = history[at - 1].status if at else roadmap.status
        if backfill:  # the conditions of that day
            surely = _open_on(dataset, entry.on.last, surely=True)
            open_ids = [c for c in roadmap.linked_conditions if c in surely]
        else:
            open_ids = open_conditions_of(dataset, roadmap)
        if (
            at
            and status is target
            and (action != "block" or condition in roadmap.linked_conditions)
        ):
            if entry.note or entry.source:  # never report a note or source that is not written
                refusals.append(
                    f"{_label(roadmap)} is already {status}"
                    + (f" on {entry.on}" if backfill else "")
                    + ", so nothing would record the note or source: for a statement that "
                    f"changes no status, run "
                    f"`unionstate note {roadmap.id} --on DATE --note TEXT --source URL`"
                )
            outcome.unchanged.append(roadmap.id)
            continue
        why: list[str] = []
        override = ""  # what --force overrode, as recorded: the fact, not the advice
        if at and status not in allowed:
            why.append(_not_allowed(action, roadmap, status, open_ids, backfill and entry.on))
            override = (
                f"{_label(roadmap)} was {status.value}, not agreed"
                + (f", blocked by {', '.join(open_ids)}" if status is B and open_ids else "")
                + (f" on {entry.on}" if backfill else "")
            )
        elif at and action == "sign" and open_ids:
            resolve = "; ".join(f"`unionstate resolve {c}`" for c in open_ids)
            override = f"{_label(roadmap)} was tied to open condition(s) {', '.join(open_ids)}" + (
                f" on {entry.on}" if backfill else ""
            )
            why.append(override.replace(" was tied to ", " is tied to ") + f": run {resolve} first")
        if why and force and action == "sign":
            why = []
        else:
            override = ""
        bad_date = _check_place(entry, today, history, at, _label(roadmap))
        if bad_date:
            why.append(bad_date)
        elif backfill and not _follows(target, history[at].status):
            why.append(_cannot_follow(_label(roadmap), history[at], target, action))
        if why:
            refusals.extend(why)
            continue
        note = entry.note or _DEFAULT_NOTES.get(action) or f"Blocked by condition {condition}."
        kind, position = index[roadmap.id]
        record = _replace(data[kind], position)
        if action == "block" and condition not in record["linked_conditions"]:
            record["linked_conditions"].append(condition)
        event = {"date": entry.on, "status": target, "note": note, "sources": list(sources)}
        if override:
            event["override"] = override
        record["history"].insert(at, event)
        record["status"] = roadmap.status if backfill else target  # that of its last event
        outcome.changed.append(roadmap.id)
        if backfill:
            outcome.backfilled[roadmap.id] = history[at].date
    if refusals:
        raise Refused("\n".join(refusals))
    if not outcome.changed:
        outcome.new_source = None  # nothing is written, the new source neither
        return outcome
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    outcome.dataset = _revalidate(data)
    return outcome


def reopen(dataset: Dataset, names: Sequence[str], entry: Entry, today: dt.date) -> Outcome:
    """Reopen roadmaps, programs or Main Directions (`transition`), or one condition."""
    conditions = [name for name in names if is_condition(dataset, name)]
    if not conditions:
        return transition(dataset, "reopen", names, entry, today)
    if len(names) > 1:
        raise UsageError(f"reopen a condition on its own: `unionstate reopen {conditions[0]}`")
    return reopen_condition(dataset, conditions[0], entry, today)


def _not_allowed(
    action: str,
    roadmap: Document,
    status: RoadmapStatus,
    open_ids: list[str],
    then: When | bool = False,
) -> str:
    label = _label(roadmap)
    if then:  # a back-filled event: the status it would follow is an earlier one
        return (
            f"{label} was {status} on {then}; `{action}` applies only to "
            f"{_names(TRANSITIONS[action][0])}"
        )
    if action == "sign" and status is B:
        resolve = "; ".join(f"`unionstate resolve {c}`" for c in open_ids)
        return f"{label} is blocked by {', '.join(open_ids)}: run {resolve}, then agree it"
    if action == "sign":
        return f"{label} is {status}, not agreed: run `unionstate agree {roadmap.id}` first"
    if action == "reopen" and status is B:
        conds = ", ".join(open_ids)
        return f"{label} is blocked by {conds}; it is unblocked by `unionstate resolve`"
    if status is S:
        return f"{label} is already signed: run `unionstate reopen {roadmap.id}` first"
    if status is X:
        return f"{label} is set aside: run `unionstate reopen {roadmap.id}` first"
    return f"{label} is {status}; `{action}` applies only to {_names(TRANSITIONS[action][0])}"


def _names(statuses: frozenset[RoadmapStatus]) -> str:
    return " or ".join(s.value for s in RoadmapStatus if s in statuses)


def _condition_event(
    dataset: Dataset,
    name: str,
    entry: Entry,
    today: dt.date,
    wanted: ConditionStatus,
    verb: str,
) -> tuple[Condition, int, dict[str, Any], list[str], Outcome]:
    """The shared part of resolving and reopening a condition: the event placed in date
    order in an editable copy (`data`), or an Outcome with `unchanged` set."""
    condition = find_condition(dataset, name)
    history = condition.history
    at = _position(history, entry.on)
    backfill = at < len(history)
    before = history[at - 1].status if at else None
    if before is wanted:
        then = f" on {entry.on}" if backfill else ""
        if wanted is ConditionStatus.OPEN or entry.note or entry.source:
            tail = (
                ", so nothing would record the note or source: for a statement that changes "
                f"no status, run `unionstate note {condition.id} --on DATE --note TEXT "
                "--source URL`"
                if entry.note or entry.source
                else f": nothing to {verb}"
            )
            already = "" if then else "already "
            raise Refused(f"condition {condition.id} is {already}{wanted.value}{then}{tail}")
        outcome = Outcome(dataset=dataset, unchanged=[condition.id])
        return condition, at, {}, [], outcome
    bad = _check_place(entry, today, history, at, f"condition {condition.id}")
    if bad:
        raise Refused(bad)
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    outcome = Outcome(dataset=dataset, changed=[condition.id], new_source=new_source)
    record = _replace(data["conditions"], dataset.conditions.index(condition))
    record["history"].insert(
        at,
        {
            "date": entry.on,
            "status": wanted,
            "note": entry.note
            or ("Resolved." if wanted is ConditionStatus.RESOLVED else "Reopened."),
            "sources": list(sources),
        },
    )
    record["status"] = condition.status if backfill else wanted
    if backfill:
        outcome.backfilled[condition.id] = history[at].date
    return condition, at, data, sources, outcome


def resolve_condition(dataset: Dataset, name: str, entry: Entry, today: dt.date) -> Outcome:
    """Mark a condition resolved; blocked roadmaps with no other open condition become pending.

    Dated before its last event, the resolution is back-filled: the records it held up
    then are freed on that day, and refused if a later event of theirs leaves them blocked
    with none of their conditions open.
    """
    condition, _, data, sources, outcome = _condition_event(
        dataset, name, entry, today, ConditionStatus.RESOLVED, "resolve"
    )
    if outcome.unchanged:
        return outcome
    still_open = _open_on(dataset, entry.on.last, surely=False, but=condition.id)
    refusals = []
    for kind, i, roadmap in (
        *(("roadmaps", i, r) for i, r in enumerate(dataset.roadmaps)),
        *(("programs", i, p) for i, p in enumerate(dataset.programs)),
    ):
        if condition.id not in roadmap.linked_conditions:
            continue
        history = roadmap.history
        at = _position(history, entry.on)
        if not at or history[at - 1].status is not B:
            continue
        if still_open & set(roadmap.linked_conditions):
            continue
        bad_date = _check_place(entry, today, history, at, _label(roadmap))
        if bad_date:
            refusals.append(bad_date)
            continue
        raw = _replace(data[kind], i)
        raw["history"].insert(
            at,
            {
                "date": entry.on,
                "status": P,
                "note": f"Unblocked: condition {condition.id} resolved.",
                "sources": list(sources),
            },
        )
        raw["status"] = roadmap.status if at < len(history) else P
        outcome.freed.append(roadmap.id)
        if at < len(history):
            outcome.backfilled[roadmap.id] = history[at].date
    if refusals:
        raise Refused("\n".join(refusals))
    _blocked_later(dataset, condition, entry.on)
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    outcome.dataset = _revalidate(data)
    return outcome


def _blocked_later(dataset: Dataset, condition: Condition, on: When) -> None:
    """Refuse a resolution on `on` that would leave a later event blocked with none of its
    conditions open (or possibly open) then; `dataset` is the one before the change."""
    at = _position(condition.history, on)
    placed = on.resolved(condition.history[at - 1].date.earliest, dataset.as_of)
    history: list[Any] = [*condition.history[:at], _Event(placed, ConditionStatus.RESOLVED)]
    history += condition.history[at:]
    problems = []
    for document in dataset.documents:
        if condition.id not in document.linked_conditions:
            continue
        events = document.history
        for event in events[_position(events, on) :]:
            if event.status is not B:
                continue
            day = event.date.last
            others = _open_on(dataset, day, surely=False, but=condition.id)
            if not others & set(document.linked_conditions) and possible_statuses(history, day) == (
                ConditionStatus.RESOLVED.value,
            ):
                problems.append(
                    f"{_label(document)}: its later event of {event.date.display} leaves it "
                    f"blocked, but none of its conditions is open then (condition "
                    f"{condition.id} resolved on {on}); nothing was changed"
                )
                break
    if problems:
        raise Refused("\n".join(problems))


@dataclass(frozen=True)
class _Event:
    """An event about to be placed in a history, as `possible_statuses` reads it."""

    date: When
    status: ConditionStatus


def reopen_condition(dataset: Dataset, name: str, entry: Entry, today: dt.date) -> Outcome:
    """Mark a resolved condition open again (in date order, as any event). The records it
    freed stay as they are: `unionstate block` says which it holds up again."""
    _, _, data, _, outcome = _condition_event(
        dataset, name, entry, today, ConditionStatus.OPEN, "reopen"
    )
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    outcome.dataset = _revalidate(data)
    return outcome


# ------------------------------------------------- the implementation axis, notes, targets


def _needs_source(entry: Entry, what: str) -> None:
    if not entry.source:
        raise UsageError(f"{what} needs --source (a source id or an http(s) URL)")


def _dated(items: list[Any], item: dict[str, Any]) -> list[Any]:
    """`items` (records or dicts with a `date` window) with `item` placed in date order."""
    at = len(items)
    while at and _first(items[at - 1]) > item["date"].first:
        at -= 1
    return [*items[:at], item, *items[at:]]


def _first(item: Any) -> dt.date:
    when = item["date"] if isinstance(item, dict) else item.date
    return When.parse(when).first


def _in_time(entry: Entry, today: dt.date) -> None:
    start = entry.on.lo or entry.on.earliest
    if start is not None and start > today:
        raise Refused(f"{entry.on.display} is in the future (today is {today})")


def _record(data: dict[str, Any], dataset: Dataset, name: str) -> tuple[Any, dict[str, Any]]:
    """The named document or condition, and an editable copy of it placed in `data`."""
    try:
        found: Any = find_roadmap(dataset, name)
    except Refused:
        if name.strip().lower() not in {c.id for c in dataset.conditions}:
            raise
        found = find_condition(dataset, name)
    kind = "conditions" if found in dataset.conditions else _index(dataset)[found.id][0]
    records = data[kind]
    return found, _replace(records, getattr(dataset, kind).index(found))


def note(
    dataset: Dataset,
    name: str,
    entry: Entry,
    today: dt.date,
    *,
    by: str | None = None,
    side: str | None = None,
) -> Outcome:
    """Record an observation on a roadmap, program, Main Directions or condition: a dated,
    sourced statement that changes no status."""
    if not entry.note:
        raise UsageError("note needs --note: what was said")
    _needs_source(entry, "a note")
    _in_time(entry, today)
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    found, record = _record(data, dataset, name)
    item = {"date": entry.on, "note": entry.note, "by": by, "side": side, "sources": sources}
    record["observations"] = _dated(record["observations"], item)
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Outcome(_revalidate(data), changed=[found.id], new_source=new_source)


def assess(
    dataset: Dataset,
    name: str,
    state: str,
    entry: Entry,
    today: dt.date,
    *,
    by: str,
    side: str,
    progress: dict[str, Any] | None = None,
) -> Outcome:
    """Record an assessment of how far a program or Main Directions document is implemented
    (`progress`: percent, or done and total with a unit, and late)."""
    _needs_source(entry, "an assessment")
    _in_time(entry, today)
    found = find_roadmap(dataset, name)
    if not isinstance(found, Implemented):
        programs = ", ".join(p.id for p in dataset.programs if found.id in p.succeeds)
        later = f" (its programs: {programs})" if programs else ""
        raise Refused(
            f"{found.label} has no implementation of its own: assess a program or a "
            f"Main Directions document{later}"
        )
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    _, record = _record(data, dataset, found.id)
    item = {
        "date": entry.on,
        "state": state,
        "assessor": by,
        "side": side,
        **{k: v for k, v in (progress or {}).items() if v is not None},
        "note": entry.note or "",
        "sources": sources,
    }
    record["implementation"] = _dated(record["implementation"], item)
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Outcome(_revalidate(data), changed=[found.id], new_source=new_source)


def _target(dataset: Dataset, found: Document, target_id: str) -> int:
    ids = [t.id for t in found.targets]
    if target_id in ids:
        return ids.index(target_id)
    known = ", ".join(ids) if ids else "none yet: `unionstate target add` makes one"
    raise UsageError(f"unknown target {target_id!r} of {found.label}; its targets: {known}")


def add_target(
    dataset: Dataset,
    name: str,
    target_id: str,
    title: str,
    due: When,
    entry: Entry,
    today: dt.date,
    *,
    by: str | None = None,
    side: str | None = None,
    notes: str | None = None,
) -> Outcome:
    """Give a record a target: `title`, due by `due`, set on `entry.on` by `by`; `notes`:
    the target's standing notes (`entry.note` is the planned date's)."""
    _needs_source(entry, "a target")
    _in_time(entry, today)
    found = find_roadmap(dataset, name)
    if target_id in {t.id for t in found.targets}:
        raise Refused(f"{found.label} already has a target {target_id!r}: use `target move`")
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    _, record = _record(data, dataset, found.id)
    planned = {"date": due, "set": entry.on, "by": by, "side": side, "sources": sources}
    if entry.note:
        planned["note"] = entry.note
    record["targets"] = [
        *record["targets"],
        {"id": target_id, "title": title, "due": [planned], "note": notes or ""},
    ]
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Outcome(_revalidate(data), changed=[found.id], new_source=new_source)


def move_target(
    dataset: Dataset,
    name: str,
    target_id: str,
    due: When,
    entry: Entry,
    today: dt.date,
    *,
    by: str | None = None,
    side: str | None = None,
) -> Outcome:
    """Record that a target's planned date moved to `due` (on `entry.on`, by `by`)."""
    _needs_source(entry, "a moved target")
    _in_time(entry, today)
    found = find_roadmap(dataset, name)
    index = _target(dataset, found, target_id)
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    _, record = _record(data, dataset, found.id)
    target = fields_of(record["targets"][index])
    planned = {"date": due, "set": entry.on, "by": by, "side": side, "sources": sources}
    if entry.note:
        planned["note"] = entry.note
    target["due"] = [*target["due"], planned]
    record["targets"][index] = target
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Outcome(_revalidate(data), changed=[found.id], new_source=new_source)


def settle_target(
    dataset: Dataset, name: str, target_id: str, state: str, entry: Entry, today: dt.date
) -> Outcome:
    """Record a target's outcome: met (on `entry.on`) or missed."""
    _needs_source(entry, "a target's outcome")
    _in_time(entry, today)
    found = find_roadmap(dataset, name)
    index = _target(dataset, found, target_id)
    settled = found.targets[index].outcome
    if settled is not None:
        raise Refused(f"target {target_id!r} of {found.label} is already {settled.state}")
    data = _editable(dataset)
    sources, new_source = cite(data, entry.source)
    _, record = _record(data, dataset, found.id)
    target = fields_of(record["targets"][index])
    target["outcome"] = {
        "state": state,
        "date": entry.on,
        "note": entry.note or "",
        "sources": sources,
    }
    record["targets"][index] = target
    data["as_of"] = _as_of(data["as_of"], entry.on, today)
    return Outcome(_revalidate(data), changed=[found.id], new_source=new_source)


def rewind(dataset: Dataset, when: dt.date) -> Dataset:
    """The record as it stood on `when`: what surely happened by then, and nothing later.

    Events and milestones that may have happened after `when` are dropped, and so are the
    records left with no event (a program not yet drawn up), links to conditions not yet
    raised, sources no longer cited and the open questions (they are today's). Statuses
    follow the last event kept; `as_of` becomes `when`. Refused if nothing is left.
    """

    def kept(history: Sequence[Any]) -> list[Any]:
        return [e for e in history if e.date.last <= when]

    conditions = []
    for condition in dataset.conditions:
        history = kept(condition.history)
        if history:
            conditions.append(
                {
                    **fields_of(condition),
                    "history": history,
                    "status": history[-1].status,
                    "observations": kept(condition.observations),
                }
            )
    raised = {c["id"] for c in conditions}

    def target(item: Target) -> dict[str, Any] | None:
        due = [d for d in item.due if d.set.last <= when]
        if not due:
            return None
        outcome = item.outcome if item.outcome and item.outcome.date.last <= when else None
        return {**fields_of(item), "due": due, "outcome": outcome}

    def documents(records: Sequence[Document]) -> list[dict[str, Any]]:
        out = []
        for record in records:
            history = kept(record.history)
            if not history:
                continue
            plain = {
                **fields_of(record),
                "history": history,
                "status": history[-1].status,
                "linked_conditions": [c for c in record.linked_conditions if c in raised],
                "observations": kept(record.observations),
                "targets": [t for t in map(target, record.targets) if t is not None],
            }
            if "implementation" in plain:
                plain["implementation"] = kept(plain["implementation"])
            out.append(plain)
        return out

    roadmaps, programs = documents(dataset.roadmaps), documents(dataset.programs)
    directions = documents(dataset.directions)
    if not roadmaps:
        raise Refused(f"nothing in the record had happened by {when}")
    listed = {r["id"] for r in roadmaps}
    for program in programs:
        program["succeeds"] = [r for r in program["succeeds"] if r in listed]
        if not program["succeeds"]:
            program["succession"] = None
    drawn = {p["id"] for p in programs}
    for document in directions:
        document["contains"] = [p for p in document["contains"] if p in drawn]
    kept_ids = {d["id"] for d in [*roadmaps, *programs, *directions]}
    milestones = [
        m
        for m in dataset.milestones
        if m.date.last <= when
        and (m.subject is None or m.subject in kept_ids)
        and all(member in kept_ids for member in m.members)
    ]
    cited: set[str] = set()
    for record in [*conditions, *roadmaps, *programs, *directions]:
        cited.update(record.get("sources", []))
        for name in ("history", "observations", "implementation"):
            for event in record.get(name, []):
                cited.update(event.sources)
        for item in record.get("targets", []):
            for part in [*item["due"], item["outcome"]]:
                if part is not None:
                    cited.update(part.sources)
    for milestone in milestones:
        cited.update(milestone.sources)
    data = {
        **fields_of(dataset),
        "as_of": when,
        "sources": [s for s in dataset.sources if s.id in cited],
        "conditions": conditions,
        "milestones": milestones,
        "roadmaps": roadmaps,
        "programs": programs,
        "directions": directions,
        "open_questions": [],
    }
    return _revalidate(data)
