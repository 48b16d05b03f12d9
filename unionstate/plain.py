"""The one walker of the record types: records to plain data and back, and to JSON.

`to_plain` gives the canonical plain mapping written to disk (and kept by the cache);
`trusted` rebuilds records from it with no checks; `jsonable` gives JSON-ready data with
each date window spelled out. All three walk `dataclasses.fields()`, so a field added to a
record type needs nothing here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from unionstate.models import Amount, Dataset, DatePrecision, Record, When, place_dates


def field_names(record: type[Record]) -> list[str]:
    """The names of a record type's fields, in order."""
    return [f.name for f in dataclasses.fields(record)]


def fields_of(record: Record) -> dict[str, Any]:
    """A record's fields as a new mapping (the values themselves are not copied)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


_PLAIN_FIELDS: dict[type[Record], tuple[str, ...]] = {}  # by record type, worked out once


def plain_fields(record: type[Record]) -> tuple[str, ...]:
    """The fields of a record type that are not lists of records (histories)."""
    if record not in _PLAIN_FIELDS:
        import typing

        hints = typing.get_type_hints(record, include_extras=True)
        _PLAIN_FIELDS[record] = tuple(
            f.name for f in dataclasses.fields(record) if not _holds_records(hints[f.name])
        )
    return _PLAIN_FIELDS[record]


def is_record_list(value: Any) -> bool:
    """Whether a field's value is a list of records (an empty list counts)."""
    return isinstance(value, list) and all(isinstance(item, Record) for item in value)


def shown(record: type[Record] | Record, name: str) -> str:
    """Where a field is shown: "always", "detail" (not in list rows) or "never"."""
    for f in dataclasses.fields(record):
        if f.name == name:
            return str(f.metadata.get("shown", "always"))
    raise KeyError(name)


def row_fields(record: type[Record]) -> list[str]:
    """The fields of a record type that a one-line row shows: all but its lists of records
    (histories) and its detail-only and hidden fields."""
    return [n for n in plain_fields(record) if shown(record, n) == "always"]


def _holds_records(kind: Any) -> bool:
    import typing

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is Annotated:
        return _holds_records(args[0])
    if origin is list:
        return isinstance(args[0], type) and issubclass(args[0], Record)
    return False


def when_object(when: When, name: str = "date") -> dict[str, Any]:
    """A window field as JSON: its spelling, its precision, and its first and last day (ISO).

    A field `date` gives `date`, `date_precision`, `earliest` and `latest`; any other
    window field `due` gives `due`, `due_precision`, `due_earliest` and `due_latest`.
    """
    prefix = "" if name == "date" else f"{name}_"
    return {
        name: when.text,
        f"{name}_precision": when.precision.value,
        f"{prefix}earliest": when.earliest.isoformat() if when.earliest else None,
        f"{prefix}latest": when.latest.isoformat() if when.latest else None,
    }


def jsonable(value: Any) -> Any:
    """Records, enums and dates as JSON-ready data: every field, dates as YYYY-MM-DD, each
    date window as the four keys of `when_object`, under its own field's name."""
    if isinstance(value, Record):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if isinstance(item, When):
                out.update(when_object(item, f.name))
            else:
                out[f.name] = jsonable(item)
        return out
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Amount):
        return value.lo if value.exact else value.text
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
    if isinstance(value, Amount):
        return value.lo if value.exact else value.text  # 7, or "6..7"
    return value  # dates stay dates: the writer spells them, the cache's JSON too


def plain_json(plain: dict[str, Any]) -> bytes:
    """Plain data as compact UTF-8 JSON, dates as YYYY-MM-DD (what the cache keeps)."""
    import json

    def iso(value: Any) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not plain data")

    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"), default=iso).encode()


def to_plain(dataset: Dataset) -> dict[str, Any]:
    """The canonical plain mapping of a dataset: what is written to disk (dates as dates).

    Every field of every record, in declaration order; `trusted` turns it back into the
    same dataset. Both are derived from the record
    classes, so a new field needs nothing here.
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
        if kind in (When, Amount):
            return kind.parse
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
