"""Three-way merge of datasets, record by record: what `unionstate merge` does for git.

Generic over the dataset's fields, like `diff`. Every list of records is merged by the
identity of its records: a record's `id`, else (milestones, history events) its place in
the common ancestor, found again on each side by its content or, when a side edited it, by
the item of that side that agrees with it on most fields (`_identities`). So an event
whose note both sides corrected is one event, and an edit on one side with a deletion on
the other is a conflict, never two events or a silent win. Within a record that both sides
changed, each field is merged on its own: a list of records by the same rule (a history
kept in `_event_key` order), a list of ids as a set. `as_of` is the later of the two.
Statuses are re-derived from the merged histories, and the result is validated as a whole.

What cannot be merged is a `Conflict`: both sides changed one field differently (the field
keeps our value, the rest of the record merges), one side removed a record the other
changed (our side is kept), the merged history leaves a status neither side meant (the
record keeps our history), or the merged whole breaks a rule (the records it names go back
to our version, so that the file stays valid). Last, every change of theirs
(`diff.changes(base, theirs)`) is looked for in the result, and each one missing that no
conflict names becomes a conflict of its own: settling the named conflicts can never lose
their work silently. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from unionstate.checks import CrossRecordError, Invalid, validate
from unionstate.diff import (
    Change,
    changes,
    content_key,
    event_head,
    label,
    record_key,
    value_text,
)
from unionstate.errors import Refused
from unionstate.models import HEADER, Dataset, Record
from unionstate.plain import fields_of, is_record_list, jsonable

_ABSENT = object()


@dataclass(frozen=True)
class Conflict:
    """One thing the merge could not decide; `text` is the line the user reads."""

    record: str  # "roadmap 8 (customs)"; "" for the dataset's own fields
    field: str
    ours: Any  # JSON data
    theirs: Any
    text: str
    # "both": each side changed it; "removed": one side changed what the other removed;
    # "rule": the merged whole broke a rule; "lost": a change of theirs not in the result
    kind: str = "both"

    def as_json(self) -> dict[str, Any]:
        """The conflict as one JSON object (what the merged file records)."""
        return {
            "record": self.record,
            "field": self.field,
            "kind": self.kind,
            "ours": self.ours,
            "theirs": self.theirs,
            "message": self.text,
        }


class Unmerged(Refused):
    """Conflicts remain (exit 1): one line each, then where they are recorded."""

    def __init__(self, name: str, conflicts: list[Conflict]) -> None:
        super().__init__(f"{name}: {len(conflicts)} conflict(s)")
        self.name = name
        self.conflicts = conflicts

    def lines(self) -> list[str]:
        """Each conflict, then what to do."""
        count = len(self.conflicts)
        return [c.text for c in self.conflicts] + [
            f"{self.name}: {count} conflict{'s' if count != 1 else ''}; the file keeps every "
            "change that merged cleanly and our side of each conflict (valid; the conflicts "
            "are recorded at its top, theirs' side of each named above): settle them with "
            "unionstate commands, then `git add` it"
        ]


@dataclass
class Merged:
    """The merged dataset (always valid) and what could not be merged."""

    dataset: Dataset
    conflicts: list[Conflict] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # their new source ids, renamed
    versions: list[Dataset] = field(default_factory=list)  # base, ours, theirs, if loaded


def _event_key(event: Any) -> dt.date:
    """The order of events in a merged history: by the first day of their date windows (the
    one place that knows how)."""
    first: dt.date = _get(event, "date").first
    return first


def _get(item: Any, name: str) -> Any:
    """A field of a record, or of a merged one still held as plain data."""
    return item[name] if isinstance(item, dict) else getattr(item, name)


def _three_way(base: Any, ours: Any, theirs: Any) -> tuple[bool, Any]:
    """(True, value) when the three agree on a value, else (False, ours)."""
    if ours == theirs or theirs == base:
        return True, ours
    if ours == base:
        return True, theirs
    return False, ours


# A merged list of records, and for each item our record it stands for (None: theirs only).
_Items = tuple[list[Any], list[Any]]


def merge(base: Dataset | None, ours: Dataset, theirs: Dataset) -> Merged:
    """Merge `ours` and `theirs`, both descended from `base` (None: the file was added on
    both sides, so every difference of theirs is a conflict or an addition)."""
    mine = fields_of(ours)
    if base is None:
        old: dict[str, Any] = {k: [] if isinstance(v, list) else _ABSENT for k, v in mine.items()}
        base = type(ours)(**{k: [] if isinstance(v, list) else v for k, v in mine.items()})
    else:
        old = fields_of(base)
    theirs, renamed = _rename_new_sources(base, ours, theirs)
    conflicts: list[Conflict] = []
    plain: dict[str, Any] = {}
    origins: dict[str, list[Any]] = {}
    other = fields_of(theirs)
    for name, value in mine.items():
        if name == "as_of":
            plain[name] = max(value, other[name])
        elif old[name] is _ABSENT and value != other[name]:
            plain[name] = value
            conflicts.append(_field_conflict("", name, value, other[name]))
        elif is_record_list(value) and is_record_list(other[name]):
            plain[name], origins[name] = _merge_list(name, old[name], value, other[name], conflicts)
        else:
            clean, plain[name] = _three_way(old[name], value, other[name])
            if not clean:
                conflicts.append(_field_conflict("", name, value, other[name]))
    merged, broken = _settle(plain, origins, ours)
    conflicts += broken
    conflicts += _missing(base, theirs, merged, conflicts, ours)
    return Merged(merged, conflicts, renamed)


def _settle(
    plain: dict[str, Any], origins: dict[str, list[Any]], ours: Dataset
) -> tuple[Dataset, list[Conflict]]:
    """The merged dataset, valid: each record a broken rule names goes back to our version
    (or out, if only theirs had it), until the whole validates; ours whole as a last resort.
    Each rule broken on the way is a conflict."""
    found: list[Conflict] = []
    while True:
        try:
            return validate(plain), found
        except Invalid as exc:
            broken = _rule_conflicts(plain, exc)
            found += [c for c in broken if c not in found]
            if not _revert(plain, origins, exc):
                return ours, found


def _revert(plain: dict[str, Any], origins: dict[str, list[Any]], exc: Invalid) -> bool:
    """Put back our version of every merged record a validation error points at; whether
    anything changed (if not, reverting records cannot make the whole valid)."""
    doomed: dict[str, set[int]] = {}
    for loc in _error_locs(exc):
        if len(loc) >= 2 and isinstance(loc[1], int) and str(loc[0]) in origins:
            doomed.setdefault(str(loc[0]), set()).add(loc[1])
    changed = False
    for collection, indexes in doomed.items():
        items, mine = plain[collection], origins[collection]
        for index in sorted(indexes, reverse=True):
            if index >= len(items) or items[index] is mine[index]:
                continue
            changed = True
            if mine[index] is None:
                del items[index], mine[index]
            else:
                items[index] = mine[index]
    return changed


def _error_locs(exc: Invalid) -> Iterable[tuple[Any, ...]]:
    for error in exc.errors:
        cross = (error.get("ctx") or {}).get("error")
        if isinstance(cross, CrossRecordError):
            yield from (tuple(p.loc) for p in cross.problems)
        else:
            yield tuple(error["loc"])


def _rename_new_sources(
    base: Dataset, ours: Dataset, theirs: Dataset
) -> tuple[Dataset, dict[str, str]]:
    """Theirs with each new source whose id ours gave a *different* new source renamed.

    A source added from a URL gets its id from the host (`tass-com-1`), so two branches
    citing two TASS pages make one id for two sources. Theirs is new on both sides and
    cited only by what theirs changed, so it is safe to give it the next free number; or,
    when ours added the same page under another id, that id (one page, one source).
    """
    old = {s.id for s in base.sources}
    mine = {s.id: s for s in ours.sources}
    by_url = {s.url: s.id for s in ours.sources if s.id not in old}
    taken = old | set(mine) | {s.id for s in theirs.sources}
    renamed: dict[str, str] = {}
    for source in theirs.sources:
        if source.id in old or mine.get(source.id) == source:
            continue
        same_page = by_url.get(source.url)
        if same_page is not None and same_page != source.id:
            renamed[source.id] = same_page
            continue
        if source.id not in mine:
            continue
        stem, n = re.sub(r"-\d+$", "", source.id), 1
        while f"{stem}-{n}" in taken:
            n += 1
        renamed[source.id] = f"{stem}-{n}"
        taken.add(renamed[source.id])
    if not renamed:
        return theirs, {}
    result: Dataset = _cite_renamed(theirs, renamed)
    seen: set[str] = set()
    unique = [s for s in result.sources if not (s.id in seen or seen.add(s.id))]  # type: ignore[func-returns-value]
    if len(unique) != len(result.sources):
        result = type(result)(**{**fields_of(result), "sources": unique})
    return result, renamed


def _cite_renamed(value: Any, renamed: dict[str, str], collection: str = "") -> Any:
    """`value` with renamed source ids (a source's `id`, any `sources` list); shared if same."""
    if isinstance(value, list):
        items = [_cite_renamed(item, renamed, collection) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if not isinstance(value, Record):
        return value
    fields = fields_of(value)
    changed: dict[str, Any] = {}
    for name, item in fields.items():
        if name == "sources" and item and isinstance(item[0], str):
            new = list(dict.fromkeys(renamed.get(x, x) for x in item))
        elif name == "id" and collection == "sources":
            new = renamed.get(item, item)
        elif isinstance(item, list):
            new = _cite_renamed(item, renamed, name if isinstance(value, Dataset) else "")
        elif isinstance(item, Record):  # a record inside a record: a target's outcome
            new = _cite_renamed(item, renamed)
        else:
            continue
        if new is not item and new != item:
            changed[name] = new
    return type(value)(**{**fields, **changed}) if changed else value


def _field_conflict(record: str, name: str, ours: Any, theirs: Any, where: str = "") -> Conflict:
    prefix = f"{where or record}: " if where or record else ""
    text = f"{prefix}{name}: ours {value_text(ours)}, theirs {value_text(theirs)}"
    return Conflict(record, name, jsonable(ours), jsonable(theirs), text)


# ------------------------------------------------------------------ lists of records


def _identities(
    base: list[Any], ours: list[Any], theirs: list[Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The three versions of a list keyed by record identity: `id`, else the ancestor's
    place (`#3`) found again on each side, else the content of an item a side added."""
    if any(isinstance(getattr(r, "id", None), str) for r in (*base, *ours, *theirs)):
        return ({record_key(r): r for r in items} for items in (base, ours, theirs))  # type: ignore[return-value]
    old = {f"#{i}": record for i, record in enumerate(base)}
    return old, _placed(old, ours), _placed(old, theirs)


def _placed(old: dict[str, Any], side: list[Any]) -> dict[str, Any]:
    """One side's items of a list without ids, keyed as `_identities` says."""
    unused: dict[str, list[str]] = {}
    for key, record in old.items():
        unused.setdefault(content_key(record), []).append(key)
    keys: list[str | None] = []
    for record in side:
        same = unused.get(content_key(record))
        keys.append(same.pop(0) if same else None)
    removed = [k for keys_left in unused.values() for k in keys_left]
    for index, record in enumerate(side):
        if keys[index] is not None:
            continue
        # An item the side added: an edit of an item it removed, if one agrees with it on at
        # least half of its fields (the most similar one first), else new.
        scored = [(_agreement(old[k], record), k) for k in removed]
        best = max(scored, default=(0.0, ""), key=lambda pair: pair[0])
        if best[0] >= 0.5:
            removed.remove(best[1])
            keys[index] = best[1]
    placed: dict[str, Any] = {}
    for index, record in enumerate(side):
        key = keys[index] or f"+{content_key(record)}"
        while key in placed:  # the same item added twice stays twice
            key += "+"
        placed[key] = record
    return placed


def _agreement(a: Any, b: Any) -> float:
    """The share of fields on which two records of one type agree (0 for other types)."""
    if type(a) is not type(b):
        return 0.0
    mine, other = fields_of(a), fields_of(b)
    return float(sum(mine[k] == other[k] for k in mine) / max(len(mine), 1))


def _merge_list(
    collection: str,
    base: list[Any],
    ours: list[Any],
    theirs: list[Any],
    out: list[Conflict],
    owner: str = "",
) -> _Items:
    """Records of one list: ours in our order, then those only theirs added; and for each,
    our record it stands for. `owner` names the record a nested list (a history) is in."""
    if ours == theirs or theirs == base:
        return list(ours), list(ours)
    old, mine, other = _identities(base, ours, theirs)
    merged: list[Any] = []
    origins: list[Any] = []

    def name_of(record: Any) -> str:
        return (
            f"{owner}: {collection}: {event_head(record)}" if owner else label(collection, record)
        )

    def removal(record: Any, ours_side: Any, theirs_side: Any, text: str) -> Conflict:
        where = owner or label(collection, record)
        what = collection if owner else ""
        full = f"{name_of(record)}: {text}"
        return Conflict(where, what, jsonable(ours_side), jsonable(theirs_side), full, "removed")

    for key, record in mine.items():
        was = old.get(key, _ABSENT)
        if key in other:
            theirs_record = other[key]
            clean, value = _three_way(was, record, theirs_record)
            if not clean:
                value = _merge_record(collection, was, record, theirs_record, out, name_of, owner)
            merged.append(value)
        elif was is _ABSENT:
            merged.append(record)  # added by us
        elif record != was:
            out.append(removal(record, record, None, "ours changed it, theirs removed it"))
            merged.append(record)
        else:
            continue  # removed by them, unchanged by us
        origins.append(record)
    for key, record in other.items():
        if key in mine:
            continue
        was = old.get(key, _ABSENT)
        if was is _ABSENT:
            merged.append(record)  # added by them
            origins.append(None)
        elif record != was:
            out.append(removal(record, None, record, "ours removed it, theirs changed it"))
        # else: removed by us, unchanged by them
    return merged, origins


def _merge_record(
    collection: str,
    base: Any,
    ours: Record,
    theirs: Record,
    out: list[Conflict],
    name_of: Callable[[Any], str],
    owner: str = "",
) -> Any:
    """A record both sides changed, field by field: a conflicting field keeps our value,
    every other field takes the change either side made. Plain data, validated later.
    Inside a record's list (`owner`), a conflict is that record's, in that list's field."""
    where = name_of(ours)
    name = owner or label(collection, ours)
    old = fields_of(base) if isinstance(base, Record) else {}
    mine, other = fields_of(ours), fields_of(theirs)
    merged: dict[str, Any] = {}
    for key, value in mine.items():
        was, their = old.get(key, _ABSENT), other[key]
        clean, merged[key] = _three_way(was, value, their)
        if clean:
            continue
        if is_record_list(value) and is_record_list(their):
            items, _ = _merge_list(key, [] if was is _ABSENT else was, value, their, out, name)
            dated = key in ("history", "implementation", "observations")
            merged[key] = sorted(items, key=_event_key) if dated else items
        elif isinstance(value, list) and isinstance(their, list):
            merged[key] = _merge_set([] if was is _ABSENT else was, value, their)
        elif key != "status" or owner:  # a record's status follows its history (below)
            found = _field_conflict(name, key, value, their, where)
            out.append(replace(found, field=collection) if owner else found)
    if "status" in merged and merged.get("history") and not owner:
        disputed = _status_conflict(where, name, old, mine, other, merged)
        if disputed:  # our history and status; theirs' events are named as not in the file
            out.extend(disputed)
            merged["history"], merged["status"] = mine["history"], mine["status"]
    return merged


def _merge_set(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """A list of ids: what either side added, less what either side removed, ours first."""
    kept = [x for x in ours if x in theirs or x not in base]
    return kept + [x for x in theirs if x not in base and x not in ours]


def _status_conflict(
    where: str,
    name: str,
    old: dict[str, Any],
    mine: dict[str, Any],
    other: dict[str, Any],
    merged: Any,
) -> list[Conflict]:
    """Set the re-derived status; a conflict when it is not the status the sides agree on."""
    derived = _get(merged["history"][-1], "status")
    clean, meant = _three_way(old.get("status", _ABSENT), mine["status"], other["status"])
    merged["status"] = derived
    if clean and derived == meant:
        return []
    ours_last, theirs_last = mine["history"][-1], other["history"][-1]
    text = f"{where}: status: ours {event_head(ours_last)}, theirs {event_head(theirs_last)}"
    return [Conflict(name, "status", jsonable(ours_last), jsonable(theirs_last), text)]


# ------------------------------------------------------------ rules and lost changes


def _rule_conflicts(plain: dict[str, Any], exc: Invalid) -> list[Conflict]:
    """The rules the merged whole breaks, each as a conflict naming the record."""
    found = []
    for error in exc.errors:
        cross = (error.get("ctx") or {}).get("error")
        if isinstance(cross, CrossRecordError):
            problems = [(p.loc, p.message) for p in cross.problems]
        else:
            problems = [(tuple(error["loc"]), str(error["msg"]))]
        for loc, message in problems:
            where, rest = _locate(plain, loc)
            path = ".".join(map(str, rest))
            text = f"{where + ': ' if where else ''}{path}: {message} (in the merged result)"
            found.append(Conflict(where, path, None, None, text, "rule"))
    return found


def _locate(plain: dict[str, Any], loc: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """A validation loc as (the record's label, the rest of the loc)."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(plain.get(loc[0]), list):
        records = plain[loc[0]]
        if loc[1] < len(records):
            record = records[loc[1]]
            if isinstance(record, dict):
                record = _Labelled(record)
            return label(str(loc[0]), record), loc[2:]
    return "", loc


class _Labelled:
    """A merged record still held as a dict, seen through attributes (for `label`)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)


def _missing(
    base: Dataset, theirs: Dataset, merged: Dataset, named: list[Conflict], *others: Dataset
) -> list[Conflict]:
    """Each change of theirs that the merged file does not hold and no conflict names."""
    ids = _ids_by_label(base, theirs, merged, *others)
    covered: set[tuple[str, str]] = set()
    for c in named:
        if c.kind != "rule":
            for key in ids.get(c.record, {c.record}):
                covered |= {(key, c.field), (key, "*")}
    lost = []
    found, ancestor = _Lookup(merged), _Lookup(base)
    for change in changes(base, theirs):
        if change.field == "status" or _holds(found, change, ancestor):
            continue  # a status follows its history; the history's events are checked
        keys = ids.get(change.record, {change.record})
        # A whole record added or removed is named by any conflict about that record.
        wanted = {change.field or "*", ""}
        if any((key, field) in covered for key in keys for field in wanted):
            continue
        text = f"theirs' change is not in the file: {change.text}"
        lost.append(Conflict(change.record, change.field, None, change.new, text, "lost"))
    return lost


def _ids_by_label(*versions: Dataset) -> dict[str, set[str]]:
    """What each record label names in any of the versions: "collection/id" (a record's
    label holds its number too, which either side may have changed)."""
    found: dict[str, set[str]] = {}
    for version in versions:
        for name, value in fields_of(version).items():
            if not is_record_list(value):
                continue
            for record in value:
                ident = getattr(record, "id", None)
                if isinstance(ident, str):
                    found.setdefault(label(name, record), set()).add(f"{name}/{ident}")
    return found


class _Lookup:
    """One dataset's records by collection, by label and as JSON: built once per merge, so
    that looking for each change of theirs is not a scan of the whole file."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._labels: dict[str, dict[str, Any]] = {}
        self._contents: dict[str, set[str]] = {}
        self._ids: dict[str, set[Any]] = {}

    def record(self, collection: str, name: str) -> Any:
        """The record of `collection` labelled `name`, or None."""
        if collection not in self._labels:
            records = getattr(self.dataset, collection)
            self._labels[collection] = {label(collection, r): r for r in records}
        return self._labels[collection].get(name)

    def holds(self, collection: str, value: Any) -> bool:
        """Whether a record of `collection` is `value` (JSON data), field for field."""
        if collection not in self._contents:
            records = getattr(self.dataset, collection)
            self._contents[collection] = {_json_key(jsonable(r)) for r in records}
        return _json_key(value) in self._contents[collection]

    def has_id(self, collection: str, ident: Any) -> bool:
        """Whether a record of `collection` has the id `ident`."""
        if collection not in self._ids:
            records = getattr(self.dataset, collection)
            self._ids[collection] = {getattr(r, "id", None) for r in records}
        return ident in self._ids[collection]


def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _holds(merged: _Lookup, change: Change, base: _Lookup) -> bool:
    """Whether `merged` holds the change theirs made (as `diff.changes` describes it)."""
    if not change.collection:
        value = jsonable(getattr(merged.dataset, change.field))
        return bool(value >= change.new) if change.field == "as_of" else value == change.new
    if change.kind == "added":
        return merged.holds(change.collection, change.new)
    if change.kind == "removed":
        ident = change.old.get("id")
        if ident is not None:
            return not merged.has_id(change.collection, ident)
        return not merged.holds(change.collection, change.old)
    record = merged.record(change.collection, change.record)
    if record is None:
        return False
    value = jsonable(getattr(record, change.field))
    if change.kind == "event":
        return change.new in value or _edit_held(base, change, value)
    if change.kind == "event-removed":
        return change.old not in value
    return _value_held(change.old, change.new, value)


def _edit_held(base: _Lookup, change: Change, merged: list[Any]) -> bool:
    """Whether an event theirs added as an edit of an ancestor's event (`_placed`) has each
    field theirs edited in some merged event of that record (the rest merged field by
    field)."""
    owner = base.record(change.collection, change.record)
    if owner is None:
        return False
    new = change.new
    scored = [(_share(old, new), old) for old in jsonable(getattr(owner, change.field))]
    score, old = max(scored, default=(0.0, None), key=lambda pair: pair[0])
    if old is None or score < 0.5:
        return False
    edited = [k for k in new if new[k] != old.get(k)]
    return any(
        all(_value_held(old.get(k), new[k], m.get(k)) for k in edited) and _share(m, new) >= 0.5
        for m in merged
    )


def _value_held(old: Any, new: Any, merged: Any) -> bool:
    """Whether a merged value holds the change from `old` to `new` (a list as a set)."""
    if isinstance(old, list) and isinstance(new, list) and isinstance(merged, list):
        added = [x for x in new if x not in old]
        gone = [x for x in old if x not in new]
        return all(x in merged for x in added) and not any(x in merged for x in gone)
    return bool(merged == new)


def _share(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(sum(a.get(k) == v for k, v in b.items()) / max(len(b), 1))


# ------------------------------------------------------------------ the merged file


def _comment_safe(text: str) -> str:
    """JSON text that stays on one comment line and that every YAML reader accepts: each
    control, format, separator, surrogate or unassigned character as a `\\uXXXX` escape."""

    def escape(match: re.Match[str]) -> str:
        return json.dumps(match.group(0))[1:-1]

    return re.sub(
        r"[^\x20-\x7e]", lambda m: m.group(0) if _printable(m.group(0)) else escape(m), text
    )


def _printable(char: str) -> bool:
    return unicodedata.category(char)[0] not in "CZ" or char == " "


def conflict_lines(conflicts: list[Conflict]) -> list[str]:
    """Comment lines recording the conflicts in the merged file (dropped by the next write)."""
    count = f"{len(conflicts)} conflict{'s' if len(conflicts) != 1 else ''}"
    lines = [
        f"# unionstate merge: {count}; each conflict keeps our side, every clean change is",
        "# merged. Settle them with unionstate commands, then `git add` this file. The next",
        "# write drops these lines.",
    ]
    for conflict in conflicts:
        recorded = json.dumps(conflict.as_json(), ensure_ascii=False)
        lines.append("# conflict: " + _comment_safe(recorded))
    return lines


def annotate(data: bytes, conflicts: list[Conflict]) -> bytes:
    """Canonical bytes with the conflicts recorded as comments after the fixed header."""
    if not conflicts:
        return data
    head = HEADER.encode("utf-8")
    assert data.startswith(head)
    notes = "".join(line + "\n" for line in conflict_lines(conflicts)).encode("utf-8")
    return head + notes + data[len(head) :]
