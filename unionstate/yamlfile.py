"""The data file as YAML: the strict reader, its error lines, and the canonical writer.

Imported by `store` only when a file must really be parsed or written (a read that the
cache has seen needs none of this, nor PyYAML). PyYAML, with libyaml where it was built
with it, is the only reader and writer of the format.

Reading is strict (see `parse`): safe scalars only, YAML 1.2 booleans, no aliases, no
explicit tags, no duplicate keys. Every problem comes back as one line
`FILE:LINE:COL: record: field: what was expected`. Writing is deterministic: the same
dataset always gives the same bytes (`dump`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from unionstate.checks import CrossRecordError, Invalid, validate
from unionstate.errors import DataError
from unionstate.models import (
    HEADER,
    Condition,
    ConditionEvent,
    Dataset,
    Loc,
    Milestone,
    OpenQuestion,
    Program,
    Record,
    Roadmap,
    RoadmapEvent,
    Source,
)
from unionstate.plain import field_names, to_plain

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
    """Parse YAML bytes into plain data, strictly; also return the node tree for error lines.

    The caller caps the size first (`store.MAX_BYTES`).
    """
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
    "programs": Program,
    "open_questions": OpenQuestion,
}
_EVENT_MODELS: dict[str, type[Record]] = {
    "conditions": ConditionEvent,
    "roadmaps": RoadmapEvent,
    "programs": RoadmapEvent,
}


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
    if kind in ("roadmaps", "programs"):
        number = record.get("number")
        label = (
            f"{kind[:-1]} {'P' if kind == 'programs' else ''}{number}"
            if isinstance(number, int) and number < 10**9
            else f"{kind}[{index}]"
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
        singular = "open question" if kind == "open_questions" else kind[:-1]
        label = f"{singular} {ident}" if ident else f"{kind}[{index}]"
    return label, loc[2:]


def _field_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KEYS: dict[int, tuple[MappingNode, dict[Any, Node]]] = {}  # per `validation_problems` call


def _child(node: MappingNode, key: Any) -> Node | None:
    """The value node of `key` in a mapping node, from an index built once per mapping.

    A linear scan per error would make 30,000 unknown keys in one mapping quadratic.
    """
    held = _KEYS.get(id(node))
    if held is None or held[0] is not node:
        index: dict[Any, Node] = {}
        for k, v in node.value:
            index.setdefault(getattr(k, "value", None), v)
        held = _KEYS[id(node)] = (node, index)
    return held[1].get(key)


# A field that replaced one of an older schema version: an error in it points at the old
# key when the file still spells that (a version 3 `title_confirmed: no`).
_FORMERLY = {"title_basis": "title_confirmed"}


def _node_at(root: Node | None, loc: Loc) -> tuple[Node | None, Loc]:
    """The deepest node along `loc`, and the part of `loc` that names data (not validators)."""
    node, walked = root, []
    for part in loc:
        if isinstance(node, MappingNode):
            found = _child(node, part)
            if found is None and isinstance(part, str) and part in _FORMERLY:
                found = _child(node, _FORMERLY[part])
            if found is None:
                break
            node = found
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        walked.append(part)
    return node, tuple(walked)


# Where a loc points in the file: the (line, column) of the deepest value along it, both
# 0-based (None: nowhere, use 1:1), and the part of the loc that names data.
Place = tuple[tuple[int, int] | None, Loc]


def _nodes_locator(root: Node | None) -> Callable[[Loc], Place]:
    """Places from the strict loader's node tree."""

    def locate(loc: Loc) -> Place:
        node, walked = _node_at(root, loc)
        if node is None:
            return None, walked
        return (node.start_mark.line, node.start_mark.column), walked

    return locate


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


def _problem_line(name: str, data: Any, at: tuple[int, int] | None, loc: Loc, message: str) -> str:
    where = f"{name}:{at[0] + 1}:{at[1] + 1}" if at is not None else f"{name}:1:1"
    # Name the field even when it is missing from the file; drop pydantic's validator steps.
    field_loc = tuple(p for p in loc if isinstance(p, int) or _FIELD_NAME.match(p))
    record, rest = _record_name(data, field_loc)
    parts = [where]
    if record:
        parts.append(record)
    if rest or not record:
        parts.append(_field_path(rest) or "(top level)")
    parts.append(message)
    return ": ".join(parts)


MAX_PROBLEMS = 100  # problems reported one per line; the rest are counted


def validation_problems(
    errors: list[dict[str, Any]],
    name: str,
    data: Any,
    root: Node | None = None,
) -> list[str]:
    """Turn pydantic's validation errors (`Invalid.errors`) into one sorted line per problem.

    Lines come from the node tree `root`. The first MAX_PROBLEMS in file order are
    described, then one line counts the rest: only those are worded.
    """
    locate = _nodes_locator(root)
    found: list[tuple[int, int, Loc, Any, Place]] = []  # (line, order, loc, what, place)
    for error in errors:
        cross = (error.get("ctx") or {}).get("error")
        if isinstance(cross, CrossRecordError):
            for problem in cross.problems:
                place = locate(problem.loc)
                found.append((_line(place), len(found), problem.loc, problem.message, place))
            continue
        loc = tuple(error["loc"])
        place = locate(loc)
        found.append((_line(place), len(found), loc, error, place))
    try:
        found.sort(key=lambda item: item[:2])
        lines = []
        for _, _, loc, what, (at, walked) in found[:MAX_PROBLEMS]:
            if not isinstance(what, str):
                what = _describe(what, walked)
            lines.append(_problem_line(name, data, at, loc, what))
    finally:
        _KEYS.clear()
    if len(found) > MAX_PROBLEMS:
        more = len(found) - MAX_PROBLEMS
        lines.append(f"{name}: … and {more:,} more problem(s) not shown; fix these first")
    return lines


def _line(place: Place) -> int:
    return place[0][0] if place[0] is not None else 0


def loads(raw: bytes, name: str) -> Dataset:
    """Validate the bytes of a data file; `name` is used in error messages (DataError)."""
    data, root = parse(raw, name)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({_show(data)})"
        raise DataError(
            [f"{name}:1:1: expected a mapping of dataset fields at the top level, got {kind}"]
        )
    try:
        return validate(data)
    except Invalid as exc:
        raise DataError(validation_problems(exc.errors, name, data, root)) from None
    finally:
        del root  # the node tree is only for error lines


# --------------------------------------------------------------------------- writing


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
# What other readers take for something else and neither rule set above covers: YAML 1.2's
# octal and hexadecimal integers (`0o17`, any case, either sign: some readers are lax), and
# YAML 1.1's one-letter booleans (`y`, `N`), which PyYAML does not implement but others do.
_Dumper.add_implicit_resolver(_INT, re.compile(r"^[-+]?0[oOxX][0-9a-fA-F_]+$"), list("-+0"))
_Dumper.add_implicit_resolver(_BOOL, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


_DUMP_OPTIONS: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "default_flow_style": False,
    "width": 2**31 - 1,
    "indent": 2,
}


def dump(dataset: Dataset) -> bytes:
    """Canonical bytes for `dataset`: a fixed header, then block YAML, one value per line."""
    text: str = yaml.dump(to_plain(dataset), Dumper=_Dumper, **_DUMP_OPTIONS)
    return (HEADER + text).encode("utf-8")


_HASH = re.compile(r"(?:^|(?<=[ \t]))#", re.MULTILINE)  # where YAML starts a comment
MERGE_NOTE = "# unionstate merge:"  # the first of the lines `merge.conflict_lines` writes


def comment_lines(raw: bytes) -> int:
    """How many lines of `raw` carry a comment a rewrite drops: a `#` outside every
    scalar, after the fixed header and a merge's conflict lines (0 for a file that is not
    YAML text)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 0
    start = len(HEADER) if text.startswith(HEADER) else 0
    if text.startswith(MERGE_NOTE, start):  # the merge's own record of its conflicts
        while text.startswith("#", start):
            start = text.find("\n", start) + 1 or len(text)
    hashes = [m.start() for m in _HASH.finditer(text, start)]
    if not hashes:
        return 0
    spans: list[tuple[int, int]] = []
    try:
        for token in yaml.scan(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
    except yaml.YAMLError:
        return 0
    lines: set[int] = set()
    at = 0
    for position in hashes:  # both in file order
        while at < len(spans) and spans[at][1] <= position:
            at += 1
        if at < len(spans) and spans[at][0] <= position:
            continue  # inside a scalar: text, not a comment
        lines.add(text.count("\n", 0, position))
    return len(lines)
