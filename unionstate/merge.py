"""Three-way merge of datasets, record by record: what `unionstate merge` does for git.

Generic over the dataset's fields, like `diff`: every list of records is merged by key (a
record's `id`, else its whole content); within a record that both sides changed, each
field is merged on its own, a history by its events (ordered by `_event_key`, identical
events once) and a list of ids as a set. `as_of` is the later of the two. Statuses are
re-derived from the merged histories, and the result is validated as a whole.

What cannot be merged is a `Conflict`: both sides changed one field differently, one side
removed a record the other changed, the merged history leaves a status neither side meant,
or the merged whole breaks a rule. A conflicting record keeps our version; when the whole
still breaks a rule, the result is ours unchanged. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from unionstate.checks import CrossRecordError, Invalid, validate
from unionstate.diff import (
    content_key,
    event_head,
    keyed,
    label,
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

    def as_json(self) -> dict[str, Any]:
        """The conflict as one JSON object (what the merged file records)."""
        return {
            "record": self.record,
            "field": self.field,
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
            f"{self.name}: {count} conflict{'s' if count != 1 else ''}; the file keeps our "
            "side of each (valid, conflicts recorded at its top): settle them with unionstate "
            "commands, then `git add` it"
        ]


@dataclass
class Merged:
    """The merged dataset (always valid) and what could not be merged."""

    dataset: Dataset
    conflicts: list[Conflict] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # their new source ids, renamed


def _event_key(event: Any) -> dt.date:
    """The order of events in a merged history: by the first day of their date windows (the
    one place that knows how)."""
    first: dt.date = event.date.first
    return first


def _three_way(base: Any, ours: Any, theirs: Any) -> tuple[bool, Any]:
    """(True, value) when the three agree on a value, else (False, ours)."""
    if ours == theirs or theirs == base:
        return True, ours
    if ours == base:
        return True, theirs
    return False, ours


def merge(base: Dataset, ours: Dataset, theirs: Dataset) -> Merged:
    """Merge `ours` and `theirs`, both descended from `base`."""
    theirs, renamed = _rename_new_sources(base, ours, theirs)
    conflicts: list[Conflict] = []
    plain: dict[str, Any] = {}
    old, mine, other = fields_of(base), fields_of(ours), fields_of(theirs)
    for name, value in mine.items():
        if name == "as_of":
            plain[name] = max(value, other[name])
        elif is_record_list(value) and is_record_list(other[name]):
            plain[name] = _merge_list(name, old[name], value, other[name], conflicts)
        else:
            clean, plain[name] = _three_way(old[name], value, other[name])
            if not clean:
                conflicts.append(_field_conflict("", name, value, other[name]))
    try:
        merged = validate(plain)
    except Invalid as exc:
        return Merged(ours, conflicts + _rule_conflicts(plain, exc))
    return Merged(merged, conflicts, renamed)


def _rename_new_sources(
    base: Dataset, ours: Dataset, theirs: Dataset
) -> tuple[Dataset, dict[str, str]]:
    """Theirs with each new source whose id ours gave a *different* new source renamed.

    A source added from a URL gets its id from the host (`tass-com-1`), so two branches
    citing two TASS pages make one id for two sources. Theirs is new on both sides and
    cited only by what theirs changed, so it is safe to give it the next free number.
    """
    old = {s.id for s in base.sources}
    mine = {s.id: s for s in ours.sources}
    taken = old | set(mine) | {s.id for s in theirs.sources}
    renamed: dict[str, str] = {}
    for source in theirs.sources:
        if source.id in old or source.id not in mine or mine[source.id] == source:
            continue
        stem, n = re.sub(r"-\d+$", "", source.id), 1
        while f"{stem}-{n}" in taken:
            n += 1
        renamed[source.id] = f"{stem}-{n}"
        taken.add(renamed[source.id])
    if not renamed:
        return theirs, {}
    result: Dataset = _cite_renamed(theirs, renamed)
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
            new = [renamed.get(x, x) for x in item]
        elif name == "id" and collection == "sources":
            new = renamed.get(item, item)
        elif isinstance(item, list):
            new = _cite_renamed(item, renamed, name if isinstance(value, Dataset) else "")
        else:
            continue
        if new is not item and new != item:
            changed[name] = new
    return type(value)(**{**fields, **changed}) if changed else value


def _field_conflict(record: str, name: str, ours: Any, theirs: Any) -> Conflict:
    where = f"{record}: " if record else ""
    text = f"{where}{name}: ours {value_text(ours)}, theirs {value_text(theirs)}"
    return Conflict(record, name, jsonable(ours), jsonable(theirs), text)


def _merge_list(
    collection: str, base: list[Any], ours: list[Any], theirs: list[Any], out: list[Conflict]
) -> list[Any]:
    """Records of one list: ours in our order, then those only theirs added."""
    if ours == theirs or theirs == base:
        return list(ours)
    if ours == base:
        return list(theirs)
    old, mine, other = keyed(base), keyed(ours), keyed(theirs)
    merged: list[Any] = []
    for key, record in mine.items():
        was = old.get(key, _ABSENT)
        if key in other:
            theirs_record = other[key]
            clean, value = _three_way(was, record, theirs_record)
            merged.append(
                value if clean else _merge_record(collection, was, record, theirs_record, out)
            )
        elif was is _ABSENT:
            merged.append(record)  # added by us
        elif record != was:
            name = label(collection, record)
            out.append(
                Conflict(
                    name, "", jsonable(record), None, f"{name}: ours changed it, theirs removed it"
                )
            )
            merged.append(record)
        # else: removed by them, unchanged by us
    for key, record in other.items():
        if key in mine:
            continue
        was = old.get(key, _ABSENT)
        if was is _ABSENT:
            merged.append(record)  # added by them
        elif record != was:
            name = label(collection, record)
            out.append(
                Conflict(
                    name, "", None, jsonable(record), f"{name}: ours removed it, theirs changed it"
                )
            )
        # else: removed by us, unchanged by them
    return merged


def _merge_record(
    collection: str, base: Any, ours: Record, theirs: Record, out: list[Conflict]
) -> Any:
    """A record both sides changed, field by field; ours whole if any field conflicts."""
    name = label(collection, ours)
    old = fields_of(base) if isinstance(base, Record) else {}
    mine, other = fields_of(ours), fields_of(theirs)
    merged: dict[str, Any] = {}
    found: list[Conflict] = []
    for key, value in mine.items():
        was, their = old.get(key, _ABSENT), other[key]
        clean, merged[key] = _three_way(was, value, their)
        if clean:
            continue
        if is_record_list(value) and is_record_list(their):
            before = [] if was is _ABSENT else was
            if all(hasattr(item, "id") for item in [*value, *their]):  # targets: by id
                merged[key] = _merge_list(key, before, value, their, found)
            else:  # dated entries (events, assessments, observations)
                merged[key] = _merge_history(before, value, their)
        elif isinstance(value, list) and isinstance(their, list):
            merged[key] = _merge_set([] if was is _ABSENT else was, value, their)
        elif key != "status":  # a status is re-derived from the history below
            found.append(_field_conflict(name, key, value, their))
    if "status" in merged and merged.get("history"):
        found.extend(_status_conflict(name, old, mine, other, merged))
    if found:
        out.extend(found)
        return ours
    return merged


def _merge_history(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Events either side added, none that either side removed, in `_event_key` order."""
    old = {content_key(e) for e in base}
    mine = {content_key(e) for e in ours}
    other = {content_key(e) for e in theirs}
    kept = [e for e in ours if content_key(e) in other or content_key(e) not in old]
    kept += [e for e in theirs if content_key(e) not in old and content_key(e) not in mine]
    unique = list({content_key(e): e for e in kept}.values())
    return sorted(unique, key=_event_key)


def _merge_set(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """A list of ids: what either side added, less what either side removed, ours first."""
    kept = [x for x in ours if x in theirs or x not in base]
    return kept + [x for x in theirs if x not in base and x not in ours]


def _status_conflict(
    name: str, old: dict[str, Any], mine: dict[str, Any], other: dict[str, Any], merged: Any
) -> list[Conflict]:
    """Set the re-derived status; a conflict when it is not the status the sides agree on."""
    derived = merged["history"][-1].status
    clean, meant = _three_way(old.get("status", _ABSENT), mine["status"], other["status"])
    merged["status"] = derived
    if clean and derived == meant:
        return []
    ours_last, theirs_last = mine["history"][-1], other["history"][-1]
    text = f"{name}: status: ours {event_head(ours_last)}, theirs {event_head(theirs_last)}"
    return [Conflict(name, "status", jsonable(ours_last), jsonable(theirs_last), text)]


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
            found.append(Conflict(where, path, None, None, text))
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


def conflict_lines(conflicts: list[Conflict]) -> list[str]:
    """Comment lines recording the conflicts in the merged file (dropped by the next write)."""
    count = f"{len(conflicts)} conflict{'s' if len(conflicts) != 1 else ''}"
    lines = [
        f"# unionstate merge: {count}; each conflicting record keeps our side. Settle them with",
        "# unionstate commands, then `git add` this file. The next write drops these lines.",
    ]
    for conflict in conflicts:
        lines.append("# conflict: " + json.dumps(conflict.as_json(), ensure_ascii=False))
    return lines


def annotate(data: bytes, conflicts: list[Conflict]) -> bytes:
    """Canonical bytes with the conflicts recorded as comments after the fixed header."""
    if not conflicts:
        return data
    head = HEADER.encode("utf-8")
    assert data.startswith(head)
    notes = "".join(line + "\n" for line in conflict_lines(conflicts)).encode("utf-8")
    return head + notes + data[len(head) :]
