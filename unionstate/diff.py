"""What changed between two versions of a dataset, said as a reader would say it.

Generic over the dataset's fields: every list of records is matched record by record (by
`id` where records have one, else by their whole content, as milestones are), a history
gains or loses events, and any other field is compared as a value. Adding a field or a
list of records to the models needs nothing here. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from unionstate.models import Dataset, Record, When
from unionstate.plain import fields_of, is_record_list, jsonable

NOTE_WIDTH = 100  # characters of a note shown in a change's text; JSON carries it whole


@dataclass(frozen=True)
class Change:
    """One difference: what kind, where, the old and new values (as JSON data), in words."""

    kind: str  # added, removed, changed, event, event-removed
    collection: str  # the dataset's field: roadmaps, conditions, ...; "" for its own fields
    record: str  # the record's label ("roadmap 8 (customs)"); "" for the dataset's own fields
    field: str  # the changed field; "" for a whole record
    old: Any
    new: Any
    text: str

    def as_json(self) -> dict[str, Any]:
        """The change as one JSON object."""
        return {
            "kind": self.kind,
            "collection": self.collection,
            "record": self.record,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "text": self.text,
        }


# ------------------------------------------------------------- records, generically


def content_key(value: Any) -> str:
    """A record's (or any value's) content as a stable string, to match or dedupe by: what
    `==` compares (a date window by its spelling, not by where its history places it)."""
    return json.dumps(_compared(value), sort_keys=True, ensure_ascii=False, default=str)


def _compared(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _compared(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare
        }
    if isinstance(value, list):
        return [_compared(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def record_key(record: Record) -> str:
    """What identifies a record across versions: its `id`, else its whole content."""
    ident = getattr(record, "id", None)
    return ident if isinstance(ident, str) else content_key(record)


def keyed(records: list[Any]) -> dict[str, Any]:
    """Records by `record_key`, in their order (a later duplicate wins)."""
    return {record_key(record): record for record in records}


def singular(collection: str) -> str:
    """'roadmaps' -> 'roadmap'."""
    return collection[:-1] if collection.endswith("s") else collection


def when(item: Any) -> str:
    """An event's or milestone's date, as a reader sees it (2021-05-26, 2021-05, ≤2021-08-09)."""
    return str(getattr(item, "date", ""))


def label(collection: str, record: Any) -> str:
    """How a reader names a record: 'roadmap 8 (customs)', 'condition gas-price', 'milestone …'."""
    named = getattr(record, "label", None)
    if isinstance(named, str):
        return named  # a record that names itself: "program P12 (customs-program)"
    kind = singular(collection)
    ident = getattr(record, "id", None)
    number = getattr(record, "number", None)
    if ident is not None and number is not None:
        return f"{kind} {number} ({ident})"
    if ident is not None:
        return f"{kind} {ident}"
    reported = getattr(record, "reported", None)
    described = f" ({reported})" if reported else ""
    return f"{kind} {when(record)}{described}"


def short(text: str, width: int = NOTE_WIDTH) -> str:
    """`text` on one line, cut at `width` characters with '…'."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def event_head(event: Any) -> str:
    """'agreed on 2021-06-10'; an undated item with an id (a target) by its kind and id."""
    if not hasattr(event, "date") and getattr(event, "id", None):
        return f"{type(event).__name__.lower()} {event.id}"
    status = getattr(event, "status", None)
    return f"{status} on {when(event)}" if status is not None else f"on {when(event)}"


def event_text(event: Any) -> str:
    """'agreed on 2021-06-10 (note: …)'."""
    note = getattr(event, "note", "")
    return f"{event_head(event)} (note: {short(note)})" if note else event_head(event)


def value_text(value: Any) -> str:
    """A field's value, short, as a reader would write it."""
    plain = jsonable(value)
    if isinstance(plain, list):
        return "[" + ", ".join(short(str(item), 40) for item in plain) + "]"
    if plain is None:
        return "(none)"
    if isinstance(plain, str):
        return repr(short(plain, 60)) if " " in plain else plain
    return str(plain).lower() if isinstance(plain, bool) else str(plain)


# -------------------------------------------------------------------------- changes


def changes(old: Dataset, new: Dataset) -> list[Change]:
    """Every difference from `old` to `new`: records first, then the dataset's own fields."""
    found: list[Change] = []
    own: list[Change] = []
    before, after = fields_of(old), fields_of(new)
    for name, value in after.items():
        previous = before[name]
        if previous is value or previous == value:
            continue
        if is_record_list(value) and is_record_list(previous):
            found.extend(_list_changes(name, previous, value))
        else:
            text = f"{name}: {value_text(previous)} → {value_text(value)}"
            own.append(Change("changed", "", "", name, jsonable(previous), jsonable(value), text))
    return found + own


def _list_changes(collection: str, old: list[Any], new: list[Any]) -> Iterator[Change]:
    before = keyed(old)
    after = keyed(new)
    for key, record in after.items():
        previous = before.get(key)
        if previous is None:
            name = label(collection, record)
            yield Change("added", collection, name, "", None, jsonable(record), f"{name} added")
        elif previous is not record and previous != record:
            yield from _record_changes(collection, previous, record)
    for key, record in before.items():
        if key not in after:
            name = label(collection, record)
            yield Change("removed", collection, name, "", jsonable(record), None, f"{name} removed")


def _record_changes(collection: str, old: Record, new: Record) -> Iterator[Change]:
    name = label(collection, new)
    before, after = fields_of(old), fields_of(new)
    history_changed = False
    for field, value in after.items():
        previous = before[field]
        if previous == value or not is_record_list(value):
            continue
        history_changed = True
        old_keys = {content_key(item) for item in previous}
        new_keys = {content_key(item) for item in value}
        for item in value:
            if content_key(item) not in old_keys:
                text = f"{name}: {event_text(item)}"
                yield Change("event", collection, name, field, None, jsonable(item), text)
        for item in previous:
            if content_key(item) not in new_keys:
                text = f"{name}: event removed: {event_text(item)}"
                yield Change("event-removed", collection, name, field, jsonable(item), None, text)
    for field, value in after.items():
        previous = before[field]
        if previous == value or is_record_list(value):
            continue
        if field == "status" and history_changed:
            continue  # a status follows its history: the events above already say it
        text = f"{name}: {field}: {value_text(previous)} → {value_text(value)}"
        yield Change("changed", collection, name, field, jsonable(previous), jsonable(value), text)


def empty_like(dataset: Dataset | None) -> Dataset:
    """`dataset` with every list emptied: the other side of a file that is added or removed."""
    if dataset is None:
        raise ValueError("neither side of the diff is a file")
    empty = {k: [] if isinstance(v, list) else v for k, v in fields_of(dataset).items()}
    return type(dataset)(**empty)


def describe(found: list[Change]) -> str:
    """One line for a list of changes, main effect first: the records' events and changes
    ("roadmap 7 (taxation): pending on 2022-03-01"; two at most, then how many more), then
    what came with them ("1 source added"); the dataset's own fields (as_of) only alone."""
    if not found:
        return "no change"
    own = [c for c in found if not c.collection]
    sources = [c for c in found if c.collection == "sources"]
    main = [c for c in found if c.collection and c.collection != "sources"]
    main.sort(key=lambda c: c.kind != "event")  # stable: events first, in the file's order
    parts = [_headline(c) for c in main[:2]]
    if len(main) > 2:
        more = len(main) - 2
        parts.append(f"{more} more change{'' if more == 1 else 's'}")
    for kind in ("added", "removed", "changed"):
        count = sum(
            1 for c in sources if (c.kind if c.kind in ("added", "removed") else "changed") == kind
        )
        if count:
            parts.append(f"{count} source{'' if count == 1 else 's'} {kind}")
    return "; ".join(parts) if parts else "; ".join(c.text for c in own)


def _headline(change: Change) -> str:
    """A change as its main effect, without the note: 'roadmap 8 (customs): agreed on …'."""
    if change.kind == "event" and isinstance(change.new, dict):
        status = change.new.get("status") or change.new.get("state")
        date = change.new.get("date")
        if isinstance(date, str):
            day = When.parse(date).display
            head = f"{status} on {day}" if status else f"{singular(change.field)} on {day}"
            return f"{change.record}: {head}"
    return short(change.text, 100)
