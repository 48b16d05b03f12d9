"""The only module that touches the disk or YAML: find, load, save, lock, update.

Loading is strict (see `parse`): safe scalars only, YAML 1.2 booleans, no aliases,
no explicit tags, no duplicate keys, a size cap checked before parsing. Every problem
comes back as one line `FILE:LINE:COL: record: field: what was expected`.

Saving is deterministic and atomic: the same dataset always gives the same bytes, and
the file on disk is always either the old bytes or the new bytes.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import json
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from unionstate import cache, fastyaml, models
from unionstate.errors import Busy, DataError, WriteFailed
from unionstate.models import (
    Condition,
    ConditionEvent,
    CrossRecordError,
    Dataset,
    DatePrecision,
    Invalid,
    Loc,
    Milestone,
    Record,
    Roadmap,
    RoadmapEvent,
    Source,
    field_names,
    trusted,
    validate,
)

MAX_BYTES = 32 * 1024 * 1024
LOCK_TIMEOUT = 10.0  # seconds; UNIONSTATE_LOCK_TIMEOUT overrides
DATA_NAME = "roadmaps.yaml"

SCHEMA_NAME = "roadmaps.schema.json"  # kept beside the data file; editors read the header
HEADER = (
    f"# yaml-language-server: $schema={SCHEMA_NAME}\n"
    "# unionstate dataset: the Russia–Belarus Union State integration roadmaps.\n"
    "# Written by unionstate. Hand edits are fine (run `unionstate validate`), but comments\n"
    "# are not kept on save: notes belong in the `notes`/`note` fields.\n"
)

# --------------------------------------------------------------------------- reading

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: `yes`/`no`/`on`/`off` and dates stay text."""


_CORE_SCHEMA = [
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]
for _tag, _pattern, _first in _CORE_SCHEMA:
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))

try:
    # libyaml: the same nodes, much faster
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Loader(_Parser, _Resolver):
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Resolver.__init__(self)


class _Problem(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


_RESOLVER = _Resolver()
# First characters for which a plain scalar may resolve to something other than text.
_RESOLVER_FIRST = frozenset(ch for ch in _Resolver.yaml_implicit_resolvers if ch)


def _resolve_plain(value: str) -> str:
    tag: str = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _scalar(node: ScalarNode) -> Any:
    tag, value = node.tag, node.value
    implicit = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    plain = not node.style  # libyaml says "", the pure-Python parser None
    if tag != _STR and (not plain or implicit != tag):
        raise _Problem(node, f"explicit tag {tag!r} is not allowed")
    if tag == _STR and plain and implicit != _STR:
        raise _Problem(node, "explicit tags are not allowed")
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        try:
            return int(value)
        except ValueError:
            raise _Problem(node, "integer is too large") from None
    return float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))


def _construct(root: Node) -> Any:
    """Turn composed nodes into plain dicts, lists and scalars, refusing what we don't allow."""
    seen: set[int] = set()

    def build(node: Node) -> Any:
        if id(node) in seen:
            raise _Problem(node, "anchors and aliases are not allowed")
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise _Problem(node, f"explicit tag {node.tag!r} is not allowed")
            return [build(item) for item in node.value]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise _Problem(node, f"explicit tag {node.tag!r} is not allowed")
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node)
                if not isinstance(key, str):
                    raise _Problem(key_node, "keys must be text")
                if key in result:
                    raise _Problem(key_node, f"duplicate key {key!r}")
                result[key] = build(value_node)
            return result
        raise _Problem(node, "unsupported YAML node")  # pragma: no cover

    return build(root)


def _where(name: str, mark: Any) -> str:
    return f"{name}:{mark.line + 1}:{mark.column + 1}"


def _line_column(before: str) -> tuple[int, int]:
    """1-based line and column (in characters) of the position after `before`."""
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw[: exc.start].decode("utf-8", "replace"))
        raise DataError(
            [f"{name}:{line}:{column}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"]
        ) from None


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError) -> str:
    """One line for a YAML syntax error, placed where the user must look."""
    what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    mark = exc.problem_mark or exc.context_mark
    context = exc.context_mark
    if context is not None and mark is not None and context.line != mark.line:
        if "end of stream" in str(exc.problem):
            # An unclosed quote or bracket is only noticed at the end: point at its start.
            mark = context
        else:
            what += f" (started at line {context.line + 1})"
    return f"{_where(name, mark) if mark else name}: invalid YAML: {what}"


def parse(raw: bytes, name: str) -> tuple[Any, Node | None]:
    """Parse YAML bytes into plain data, strictly; also return the node tree for error lines."""
    if len(raw) > MAX_BYTES:
        raise DataError([f"{name}: file is {len(raw):,} bytes, over the {MAX_BYTES:,}-byte limit"])
    text = _decode(raw, name)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise DataError(
                [f"{name}:1:1: the file is empty: expected a mapping of dataset fields"]
            )
        return _construct(root), root
    except _Problem as exc:
        raise DataError([f"{_where(name, exc.node.start_mark)}: {exc.message}"]) from None
    except yaml.MarkedYAMLError as exc:
        raise DataError([_syntax_problem(name, exc)]) from None
    except yaml.reader.ReaderError as exc:
        if _Parser.__module__ == "yaml._yaml":  # libyaml counts the position in UTF-8 bytes
            before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
        else:
            before = text[: exc.position]
        line, column = _line_column(before)
        raise DataError(
            [
                f"{name}:{line}:{column}: invalid YAML: "
                f"character U+{exc.character:04X} is not allowed"
            ]
        ) from None
    except RecursionError:
        raise DataError([f"{name}: invalid YAML: nesting is too deep"]) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise DataError([f"{name}: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()


# ----------------------------------------------------------- validation error lines

_RECORD_MODELS: dict[str, type[Record]] = {
    "sources": Source,
    "conditions": Condition,
    "milestones": Milestone,
    "roadmaps": Roadmap,
}
_EVENT_MODELS: dict[str, type[Record]] = {"conditions": ConditionEvent, "roadmaps": RoadmapEvent}


def _record_name(data: Any, loc: Loc) -> tuple[str, Loc]:
    """Name the record a loc points into ("roadmap 13 (customs)") and the rest of the loc."""
    if len(loc) < 2 or loc[0] not in _RECORD_MODELS or not isinstance(loc[1], int):
        return "", loc
    kind, index = str(loc[0]), loc[1]
    try:
        record = data[kind][index]
    except (KeyError, IndexError, TypeError):
        record = None
    if not isinstance(record, dict):
        return f"{kind}[{index}]", loc[2:]
    ident = record.get("id")
    ident = ident if isinstance(ident, str) and len(ident) < 80 else None
    if kind == "roadmaps":
        number = record.get("number")
        label = (
            f"roadmap {number}"
            if isinstance(number, int) and number < 10**9
            else f"roadmaps[{index}]"
        )
        label += f" ({ident})" if ident else ""
    elif kind == "milestones":
        when = record.get("date")
        label = (
            f"milestone {when}"
            if isinstance(when, str) and len(when) < 20
            else f"milestones[{index}]"
        )
    else:
        label = f"{kind[:-1]} {ident}" if ident else f"{kind}[{index}]"
    return label, loc[2:]


def _field_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _node_at(root: Node | None, loc: Loc) -> tuple[Node | None, Loc]:
    """The deepest node along `loc`, and the part of `loc` that names data (not validators)."""
    node, walked = root, []
    for part in loc:
        if isinstance(node, MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if found is None:
                break
            node = found
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        walked.append(part)
    return node, tuple(walked)


def _model_for(loc: Loc) -> type[Record] | None:
    if len(loc) == 1:
        return Dataset
    if len(loc) == 3 and loc[0] in _RECORD_MODELS:
        return _RECORD_MODELS[str(loc[0])]
    if len(loc) == 5 and loc[0] in _EVENT_MODELS and loc[2] == "history":
        return _EVENT_MODELS[str(loc[0])]
    return None


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_choices(ctx: Mapping[str, Any]) -> str:
    expected = str(ctx.get("expected", ""))
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _describe(error: Mapping[str, Any], data_loc: Loc) -> str:
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        model = _model_for(data_loc)
        field = str(data_loc[-1]) if data_loc else "?"
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(field, field_names(model), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown field {field!r}{hint}"
    if kind in ("enum", "literal_error"):
        return f"expected one of {_expected_choices(ctx)}, got {_show(got)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_show(got)}"
    if kind == "bool_type":
        return f"expected true or false, got {_show(got)}"
    if kind == "string_type":
        return f"expected text, got {_show(got)}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"expected a real date as YYYY-MM-DD, got {_show(got)}"
    if kind == "list_type":
        return f"expected a list, got {_show(got)}"
    if kind in ("dataclass_type", "dataclass_args_type", "dict_type"):
        return f"expected a mapping of fields, got {_show(got)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} item(s)"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        sign = ">=" if kind == "greater_than_equal" else "<="
        return f"expected a number {sign} {bound}, got {_show(got)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _problem_line(
    name: str, data: Any, root: Node | None, loc: Loc, message: str
) -> tuple[int, str]:
    node, _ = _node_at(root, loc)
    where = _where(name, node.start_mark) if node is not None else f"{name}:1:1"
    # Name the field even when it is missing from the file; drop pydantic's validator steps.
    field_loc = tuple(p for p in loc if isinstance(p, int) or _FIELD_NAME.match(p))
    record, rest = _record_name(data, field_loc)
    parts = [where]
    if record:
        parts.append(record)
    if rest or not record:
        parts.append(_field_path(rest) or "(top level)")
    parts.append(message)
    line = node.start_mark.line if node is not None else 0
    return line, ": ".join(parts)


def validation_problems(
    errors: list[dict[str, Any]], name: str, data: Any, root: Node | None
) -> list[str]:
    """Turn pydantic's validation errors (`Invalid.errors`) into one sorted line per problem."""
    lines: list[tuple[int, str]] = []
    for error in errors:
        cross = (error.get("ctx") or {}).get("error")
        if isinstance(cross, CrossRecordError):
            for problem in cross.problems:
                lines.append(_problem_line(name, data, root, problem.loc, problem.message))
            continue
        _, data_loc = _node_at(root, tuple(error["loc"]))
        lines.append(
            _problem_line(name, data, root, tuple(error["loc"]), _describe(error, data_loc))
        )
    return [text for _, text in sorted(lines, key=lambda item: item[0])]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while building large acyclic data (restored after).

    Loading 10,000 roadmaps allocates millions of objects, and each full collection on
    the way rescans all of them: pausing it more than halves the time of a large load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_fast(raw: bytes) -> Any | None:
    """The plain data of a file in canonical form (as `parse` would return it), else None."""
    if len(raw) > MAX_BYTES:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return fastyaml.parse_canonical(text, _resolve_plain, _RESOLVER_FIRST)


def _loads(raw: bytes, name: str) -> tuple[Dataset, Any]:
    """The dataset, and the plain data it was validated from."""
    data = _parse_fast(raw)
    if data is not None:
        try:
            return validate(data), data
        except Invalid:
            pass  # the strict path below finds every problem again, with its line
    data, root = parse(raw, name)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({_show(data)})"
        raise DataError(
            [f"{name}:1:1: expected a mapping of dataset fields at the top level, got {kind}"]
        )
    try:
        return validate(data), data
    except Invalid as exc:
        raise DataError(validation_problems(exc.errors, name, data, root)) from None


def loads(raw: bytes, name: str) -> Dataset:
    """Validate the bytes of a data file; `name` is used in error messages."""
    with _gc_paused():
        return _loads(raw, name)[0]


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a DataError saying why they cannot be read."""
    return _read(path)[0]


def _read(path: Path) -> tuple[bytes, os.stat_result]:
    """The file's bytes and its status as of the read (DataError if unreadable)."""
    try:
        size = path.stat().st_size
        if stat.S_ISREG(path.stat().st_mode) and size > MAX_BYTES:
            raise DataError([f"{path}: file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit"])
        with path.open("rb") as handle:
            return handle.read(MAX_BYTES + 1), os.fstat(handle.fileno())
    except FileNotFoundError:
        raise DataError([f"{path}: no such file (run `unionstate init` to create one)"]) from None
    except IsADirectoryError:
        raise DataError([f"{path}: is a directory, not a data file"]) from None
    except PermissionError:
        raise DataError([f"{path}: permission denied"]) from None
    except OSError as exc:
        raise DataError([f"{path}: cannot read: {exc.strerror or exc}"]) from None


def load(path: Path) -> Dataset:
    """Load and validate the data file at `path` (DataError lists every problem)."""
    with _gc_paused():
        return _load_cached(path, *_read(path))


_CODE: list[str] = []


def _code() -> str:
    """The fingerprint of the code a cache entry depends on: parser, model, PyYAML's version."""
    if not _CODE:
        modules = (fastyaml, cache, models)
        sources = [Path(module.__file__ or "").read_bytes() for module in modules]
        _CODE.append(cache.fingerprint(Path(__file__).read_bytes(), *sources, yaml.__version__))
    return _CODE[0]


def _load_cached(
    path: Path, raw: bytes, status: os.stat_result, *, remember: bool = True
) -> Dataset:
    """Validate `raw`, read from `path`, unless the cache has already validated these bytes.

    An entry holds the canonical plain data (`to_plain`) of a dataset that passed every
    check, keyed on the file's exact bytes and on this code; a hit is rebuilt with
    `models.trusted`, so that neither YAML parsing nor pydantic is needed to read a file
    again. A damaged entry is a miss.
    """
    if len(raw) > MAX_BYTES or not stat.S_ISREG(status.st_mode):
        return _loads(raw, str(path))[0]
    try:
        content, code = cache.digest(raw), _code()
    except OSError:  # the package's own sources are unreadable: no caching
        return _loads(raw, str(path))[0]
    cached = cache.lookup(path, status, content, code)
    if cached is not None:
        with contextlib.suppress(Exception):  # any surprise in the entry is a miss
            # Neither the file's bytes nor the entry's are needed once it is parsed: at
            # 10,000 roadmaps that is 35 MB less while the records are built.
            del raw
            plain, cached = json.loads(cached), None
            return trusted(plain)
        # A damaged entry: parse the file after all, and cache it only if it is unchanged.
        raw = read_bytes(path)
        remember = remember and cache.digest(raw) == content
    dataset = _loads(raw, str(path))[0]
    if remember:
        cache.store(path, status, content, code, lambda: _json(to_plain(dataset)))
    return dataset


def _json(plain: dict[str, Any]) -> bytes:
    """Plain data as compact UTF-8 JSON, dates as YYYY-MM-DD (for the cache)."""
    import pydantic_core  # loaded with pydantic anyway whenever an entry is written

    return pydantic_core.to_json(plain)


# --------------------------------------------------------------------------- writing


def _event(event: ConditionEvent | RoadmapEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"date": event.date}
    if event.date_precision is not DatePrecision.DAY:
        out["date_precision"] = event.date_precision.value
    out["status"] = event.status.value
    out["note"] = event.note
    out["sources"] = list(event.sources)
    return out


def to_plain(dataset: Dataset) -> dict[str, Any]:
    """The dataset as the plain mapping that is written to disk (dates as dates)."""
    milestones = []
    for m in dataset.milestones:
        item: dict[str, Any] = {"date": m.date}
        if m.date_precision is not DatePrecision.DAY:
            item["date_precision"] = m.date_precision.value
        item.update(
            reported=m.reported,
            speaker=m.speaker,
            agreed=m.agreed,
            open=m.open,
            total=m.total,
            unit=m.unit,
            note=m.note,
            sources=list(m.sources),
        )
        milestones.append(item)
    return {
        "schema_version": dataset.schema_version,
        "title": dataset.title,
        "as_of": dataset.as_of,
        "description": dataset.description,
        "numbering": dataset.numbering,
        "sources": [
            {
                "id": s.id,
                "publisher": s.publisher,
                "url": s.url,
                "title": s.title,
                "date": s.date,
                "reprint_of": s.reprint_of,
            }
            for s in dataset.sources
        ],
        "conditions": [
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "status": c.status.value,
                "history": [_event(e) for e in c.history],
                "sources": list(c.sources),
            }
            for c in dataset.conditions
        ],
        "milestones": milestones,
        "roadmaps": [
            {
                "number": r.number,
                "id": r.id,
                "title": r.title,
                "title_confirmed": r.title_confirmed,
                "sphere": r.sphere,
                "status": r.status.value,
                "linked_conditions": list(r.linked_conditions),
                "history": [_event(e) for e in r.history],
                "notes": r.notes,
            }
            for r in dataset.roadmaps
        ],
    }


try:
    from yaml.cyaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _Dumper(_BaseDumper):
    # Two fields holding the same date object must not become an anchor and an alias,
    # which the strict loader refuses.
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Quote a string whenever YAML 1.1 (the dumper's own rules, and many other readers) *or*
# YAML 1.2 (our loader) would read it as something else: "yes", but also "08" and "1e5".
for _tag, _pattern, _first in _CORE_SCHEMA:
    _Dumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


_DUMP_OPTIONS: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "default_flow_style": False,
    "width": 2**31 - 1,
    "indent": 2,
}


def dumps(dataset: Dataset) -> bytes:
    """Canonical bytes for `dataset`: a fixed header, then block YAML, one value per line."""
    return _dumps(dataset)[0]


def dumps_reference(dataset: Dataset) -> bytes:
    """`dumps` by PyYAML's own emitter alone: the definition the fast writer is held to."""
    body: str = yaml.dump(to_plain(dataset), Dumper=_Dumper, **_DUMP_OPTIONS)
    return (HEADER + body).encode("utf-8")


def _dumps(dataset: Dataset) -> tuple[bytes, dict[str, Any] | None]:
    """Canonical bytes, and the plain data they parse to when that is known without parsing.

    The fast writer mirrors libyaml's emitter, so it is used only when PyYAML has it.
    When it wrote every value itself, each scalar re-loads as itself by construction:
    the bytes parse to `to_plain(dataset)` with dates as text, which the cache can keep.
    """
    with _gc_paused():
        plain = to_plain(dataset)
        if _BaseDumper.__module__ == "yaml.cyaml":
            emitter = fastyaml.Emitter(_Dumper, _DUMP_OPTIONS)
            data = emitter.emit(plain, head=HEADER)
            if data is not None:
                return data, None if emitter.used_reference else plain
        text: str = yaml.dump(plain, Dumper=_Dumper, **_DUMP_OPTIONS)
        return (HEADER + text).encode("utf-8"), None


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, expect: str | None = None) -> None:
    """Replace `path` with `data` so that a reader sees the old bytes or the new, never a mix.

    With `expect` (the `cache.digest` of the bytes the caller read), the file is checked
    once more just before the rename, so that a hand edit saved meanwhile is never lost.
    """
    target = path.resolve()  # through a symlink: the link stays a link, the target changes
    owner: tuple[int, int] | None = None
    try:
        status = target.stat()
        mode = stat.S_IMODE(status.st_mode)
        owner = (status.st_uid, status.st_gid)
    except FileNotFoundError:
        mode = 0o644
    except OSError as exc:
        raise WriteFailed(f"{path}: cannot write: {exc.strerror or exc}") from None
    if mode & 0o222 == 0:
        raise WriteFailed(f"{path}: the file is read-only; nothing was changed")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and hasattr(os, "chown"):
            # Keep a shared file's owner and group; only root may give a file away.
            with contextlib.suppress(OSError):
                os.chown(tmp, *owner)
        if expect is not None and cache.digest(read_bytes(target)) != expect:
            raise Busy(f"{path}: the file changed on disk during the update; nothing was written")
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise WriteFailed(
            f"{path}: cannot write: {exc.strerror or exc}; the file was not changed"
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    # The new bytes are in place; making the rename durable is best effort, and a failure
    # here must not be reported as "not changed".
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)


def save(dataset: Dataset, path: Path) -> None:
    """Write `dataset` to `path` atomically, in canonical form."""
    write_atomic(path, dumps(dataset))


# ----------------------------------------------------------------- locking, updates


def lock_path(path: Path) -> Path:
    """The sidecar lock file of a data file (never the data file itself, never deleted)."""
    target = path.resolve()
    return target.with_name(target.name + ".lock")


def _lock_timeout() -> float:
    try:
        timeout = float(os.environ.get("UNIONSTATE_LOCK_TIMEOUT", LOCK_TIMEOUT))
    except ValueError:
        return LOCK_TIMEOUT
    return timeout if math.isfinite(timeout) and timeout >= 0 else LOCK_TIMEOUT


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on `path` (Busy after `timeout` seconds)."""
    timeout = _lock_timeout() if timeout is None else timeout
    sidecar = lock_path(path)
    try:
        fd = os.open(sidecar, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WriteFailed(
            f"{sidecar}: cannot create the lock file: {exc.strerror or exc}"
        ) from None
    try:
        _acquire(fd, sidecar, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock; a killed process's too


if os.name == "posix":
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # e.g. ENOLCK on NFS: the file cannot be locked at all
            raise WriteFailed(f"cannot lock the data file: {exc.strerror or exc}") from None
        return True

else:  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True


def _acquire(fd: int, sidecar: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise Busy(
                f"{sidecar}: another unionstate process holds the lock "
                f"(waited {timeout:g}s); try again"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def update(path: Path, change: Callable[[Dataset], Dataset]) -> tuple[Dataset, Dataset]:
    """Read, change and write the data file under its lock; all or nothing.

    `change` gets the freshly read dataset and returns the new one (it may raise to
    refuse). Returns (before, after); when `after` serialises to the same bytes, the
    file is not rewritten.
    """
    try:
        path.stat()
    except OSError:
        read_bytes(path)  # the same DataError ("no such file", ...) as every reading command
    with locked(path):
        raw, status = _read(path)
        content = cache.digest(raw)  # all that is needed of the old bytes after loading
        with _gc_paused():
            # No cache entry for bytes about to be replaced; the new ones get one below.
            before = _load_cached(path, raw, status, remember=False)
            del raw
            after = change(before)
            data, plain = _dumps(after)
        written = cache.digest(data)
        if written == content:
            return before, after
        write_atomic(path, data, expect=content)
        if plain is not None:
            del data
            _remember(path, written, plain)
        return before, after


def _remember(path: Path, content: str, plain: dict[str, Any]) -> None:
    """Cache the plain data of the file just written, so the next command need not parse it."""
    try:
        status = path.resolve().stat()
        code = _code()
    except OSError:
        return
    cache.store(path, status, content, code, lambda: _json(plain))


# ------------------------------------------------------------ which data file is used


@dataclass(frozen=True)
class DataFile:
    """The data file a command works on, and why it was chosen."""

    path: Path
    origin: str  # "--data", "UNIONSTATE_DATA", "tree", "user", "bundled"

    @property
    def writable(self) -> bool:
        """False for the copy bundled with the package, which is never written."""
        return self.origin != "bundled"


def bundled_path() -> Path:
    """The dataset shipped with the package (the source tree's file in a checkout)."""
    packaged = Path(__file__).parent / "_data" / DATA_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "data" / DATA_NAME


def find_data_file(flag: str | None, env: Mapping[str, str], cwd: Path, user_dir: Path) -> DataFile:
    """Pick the data file: --data, then $UNIONSTATE_DATA, then ./data up the tree, user, bundled."""
    if flag:
        return DataFile(Path(flag), "--data")
    if env.get("UNIONSTATE_DATA"):
        return DataFile(Path(env["UNIONSTATE_DATA"]), "UNIONSTATE_DATA")
    for directory in (cwd, *cwd.parents):
        candidate = directory / "data" / DATA_NAME
        if candidate.is_file():
            return DataFile(candidate, "tree")
    user_copy = user_dir / DATA_NAME
    if user_copy.is_file():
        return DataFile(user_copy, "user")
    return DataFile(bundled_path(), "bundled")
