"""Fast paths for the canonical YAML that `yamlfile.dump` writes: a reader and a writer.

Both are shortcuts, never a second definition of the format:

- `parse_canonical(text)` reads the block-YAML subset the canonical writer produces
  (one scalar per line, plain or single-quoted, sequences not indented under their key,
  `[]` for an empty list) and returns exactly the plain data that the strict loader in
  `yamlfile.parse` would return, or None for anything outside that subset (comments aside),
  so that the caller falls back to the strict loader. Errors are never reported here.
- `Emitter.emit(plain)` writes the plain mapping that `models.to_plain` builds, producing
  the bytes of PyYAML's libyaml emitter with the options `yamlfile.dump` uses. A scalar it
  cannot prove it writes the same way (a line break, a tab, a character outside the
  Basic Multilingual Plane, ...) is handed to the reference emitter in the same nesting,
  and anything else unexpected makes it return None.

tests/test_perf_equivalence.py holds both to the reference on generated datasets.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"

# ------------------------------------------------------------------------ reading

# Characters written as they are, with no line break: printable for libyaml, not NEL,
# U+2028 or U+2029 (line breaks to YAML), not the byte-order mark. A tab, a control, a
# surrogate or a character beyond the BMP is written escaped, inside double quotes.
_SIMPLE_CHARS = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)  # compiled on first use: these classes take ms to compile


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_KEY = 128  # characters in a key read here; longer keys go to the strict loader
# A plain scalar that reads back as itself: no indicator first ('-', '?' and ':' only when
# followed by a space), no ': ' or ' #' inside, no space at either end (in block context,
# ',[]{}' inside are plain text).
_PLAIN_FIRST_BAD = frozenset(",[]{}#&*!|>'\"%@` ")


class _NotCanonical(Exception):
    """Raised inside the reader: the text is outside the subset; use the strict loader."""


def parse_canonical(
    text: str, resolve: Callable[[str], str], first_chars: frozenset[str]
) -> dict[str, Any] | None:
    """The plain data of `text` if it is in the canonical subset, else None.

    `resolve(value)` is the strict loader's implicit tag of a plain scalar, and
    `first_chars` the first characters for which a plain scalar may be anything but text.
    """
    if _pattern(f"[^\n{_SIMPLE_CHARS}]").search(text):
        return None  # escapes, tabs, CRs...: the strict loader's business
    try:
        return _parse(text, resolve, first_chars)
    except _NotCanonical:
        return None


_MISSING = object()
# Characters split into lines at a time: all the lines of a 30 MB file at once would
# take more memory than the data they hold.
_CHUNK = 1 << 20


def _plain(value: str, resolve: Callable[[str], str], first_chars: frozenset[str]) -> Any:
    first = value[0]
    if first in _PLAIN_FIRST_BAD or value[-1] == " " or value[-1] == ":":
        raise _NotCanonical
    if first in "-?:" and (len(value) == 1 or value[1] == " "):
        raise _NotCanonical
    if ": " in value or " #" in value:
        raise _NotCanonical
    if value[0] not in first_chars:
        return value
    tag = resolve(value)
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        try:
            return int(value)
        except ValueError:  # too large: the strict loader says so
            raise _NotCanonical from None
    raise _NotCanonical  # floats: never written by unionstate


def _scalar(value: str, resolve: Callable[[str], str], first_chars: frozenset[str]) -> Any:
    """A one-line scalar other than `[]`: single-quoted or plain."""
    if value[0] == "'":
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotCanonical
        return inner.replace("''", "'")
    if value[0] == '"':
        raise _NotCanonical
    return _plain(value, resolve, first_chars)


def _parse(text: str, resolve: Callable[[str], str], first_chars: frozenset[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    # open containers, innermost last: (indent, container, is_sequence)
    stack: list[tuple[int, Any, bool]] = [(0, root, False)]
    pending: tuple[dict[str, Any], str, int] | None = None  # a `key:` awaiting its block
    keys: set[str] = set()  # keys already known to be plain text
    memo: dict[str, Any] = {}  # short scalars already decoded: dates, statuses, ids
    started = False

    def is_key(key: str) -> bool:
        # PyYAML refuses an implicit key over 1,024 characters; no field name comes close,
        # so a long one is left to the strict loader, which reports it.
        if (
            len(key) <= MAX_KEY
            and _KEY.fullmatch(key)
            and (key[0] not in first_chars or resolve(key) == _STR)
        ):
            keys.add(key)
            return True
        return False

    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _CHUNK)
        end = size if end < 0 else end
        lines = text[start:end].split("\n")
        start = end + 1
        for line in lines:
            body = line.lstrip(" ")
            if not body or body[0] == "#":
                if body and started and line[0] != "#":
                    raise _NotCanonical  # only whole-line comments at the left margin
                continue
            started = True
            indent = len(line) - len(body)
            if body[0] == "-" and (len(body) == 1 or body[1] == " "):
                # a sequence item at `indent`
                if pending is not None:
                    parent, pkey, key_indent = pending
                    if key_indent != indent:
                        raise _NotCanonical
                    items: list[Any] = []
                    parent[pkey] = items
                    stack.append((indent, items, True))
                    pending = None
                else:
                    while stack[-1][0] > indent or (stack[-1][0] == indent and not stack[-1][2]):
                        stack.pop()
                        if not stack:
                            raise _NotCanonical
                    if stack[-1][0] != indent or not stack[-1][2]:
                        raise _NotCanonical
                    items = stack[-1][1]
                body = body[2:]
                if not body or body[0] == " ":
                    raise _NotCanonical
                key, colon, value = body.partition(":")
                if not (colon and (not value or value[0] == " ") and (key in keys or is_key(key))):
                    if body == "[]" or body.startswith("- "):
                        raise _NotCanonical  # nested sequences: not in the schema
                    items.append(_scalar(body, resolve, first_chars))
                    continue
                # `- key: value` opens a mapping whose keys sit two columns right of the dash
                mapping: dict[str, Any] = {}
                items.append(mapping)
                indent += 2
                stack.append((indent, mapping, False))
            else:
                # a `key: value` line of a mapping at `indent`
                key, colon, value = body.partition(":")
                if not colon or (value and value[0] != " ") or not (key in keys or is_key(key)):
                    raise _NotCanonical
                if pending is not None:
                    parent, pkey, key_indent = pending
                    if indent <= key_indent:
                        raise _NotCanonical  # `key:` with nothing under it
                    mapping = {}
                    parent[pkey] = mapping
                    stack.append((indent, mapping, False))
                    pending = None
                else:
                    while stack[-1][0] > indent or (stack[-1][0] == indent and stack[-1][2]):
                        stack.pop()
                        if not stack:
                            raise _NotCanonical
                    if stack[-1][0] != indent or stack[-1][2]:
                        raise _NotCanonical
                    mapping = stack[-1][1]
            if key in mapping:
                raise _NotCanonical  # a duplicate key: the strict loader names its line
            if not value:
                mapping[key] = None  # keeps the key's place; its block replaces the None
                pending = (mapping, key, indent)
                continue
            value = value[1:]
            if value == "[]":
                mapping[key] = []
                continue
            decoded = memo.get(value, _MISSING)
            if decoded is _MISSING:
                if not value:
                    raise _NotCanonical
                decoded = _scalar(value, resolve, first_chars)
                if len(value) <= 40:
                    memo[value] = decoded
            mapping[key] = decoded
    if pending is not None or not started:
        raise _NotCanonical
    return root


# ------------------------------------------------------------------------ writing


class Emitter:
    """Writes plain data as libyaml does under `yamlfile.dump`'s options, much faster."""

    def __init__(self, dumper: type[Any], dump_options: dict[str, Any]) -> None:
        self._dumper = dumper
        self._options = dump_options
        # The dumper's own implicit resolvers decide which text must be quoted.
        self._implicit: dict[Any, list[tuple[str, re.Pattern[str]]]] = (
            dumper.yaml_implicit_resolvers
        )
        self._first = frozenset(ch for ch in self._implicit if ch)
        self._simple = _pattern(f"[{_SIMPLE_CHARS}]*").fullmatch
        self._cache: dict[str, str] = {}
        self._keys: set[str] = set()
        self._out: list[str] = []
        self.used_reference = False  # True once a scalar was left to the reference emitter

    def emit(self, plain: dict[str, Any], head: str = "") -> bytes | None:
        """`head` and the YAML of `plain`, in UTF-8; None for a value this writer skips."""
        self._out = [head]
        self._chunks: list[bytes] = []
        try:
            self._mapping(plain, 0, "", ())
        except _NotCanonical:
            return None
        self._flush()
        return b"".join(self._chunks)

    def _flush(self) -> None:
        # Encoding as we go holds the output once, as bytes, not as a million small strings.
        self._chunks.append("".join(self._out).encode("utf-8"))
        self._out.clear()

    # `path` names the nesting of the current mapping, for the rare scalar written by the
    # reference emitter: a multi-line scalar's continuation lines depend on it.
    def _mapping(
        self, mapping: dict[str, Any], indent: int, first: str, path: tuple[Any, ...]
    ) -> None:
        pad = " " * indent
        prefix = first or pad
        out = self._out
        cached = self._cache.get
        for key, value in mapping.items():
            if key not in self._keys:
                self._check_key(key)
            kind = type(value)
            if kind is str:
                text = cached(value) or self._string(value, path, key)
                out.append(f"{prefix}{key}: {text}\n")
            elif kind is list:
                if value:
                    out.append(f"{prefix}{key}:\n")
                    self._sequence(value, indent, (*path, key, 0))
                else:
                    out.append(f"{prefix}{key}: []\n")
            else:
                out.append(f"{prefix}{key}: {self._scalar(value, path, key)}\n")
            prefix = pad

    def _check_key(self, key: Any) -> None:
        if type(key) is not str or self._scalar(key, (), None) != key:
            raise _NotCanonical
        self._keys.add(key)

    def _sequence(self, items: list[Any], indent: int, path: tuple[Any, ...]) -> None:
        pad = " " * indent
        out = self._out
        for item in items:
            if type(item) is dict:
                if not item:
                    raise _NotCanonical
                self._mapping(item, indent + 2, pad + "- ", path)
                if len(out) > 65536:
                    self._flush()
            else:
                out.append(f"{pad}- {self._scalar(item, path[:-1], path[-1])}\n")

    def _scalar(self, value: Any, path: tuple[Any, ...], key: Any) -> str:
        kind = type(value)
        if kind is str:
            return self._cache.get(value) or self._string(value, path, key)
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return str(value)
        if value is None:
            return "null"
        if kind is dt.date:
            return str(value.isoformat())
        raise _NotCanonical  # lists in lists, mappings in mappings, floats, datetimes, ...

    def _string(self, value: str, path: tuple[Any, ...], key: Any) -> str:
        if value and self._simple(value):
            if self._plain_allowed(value) and (
                value[0] not in self._first or self._implicit_tag(value) == _STR
            ):
                text = value
            else:
                text = "'" + value.replace("'", "''") + "'"
            if len(value) < 64:  # ids, statuses, dates: worth remembering
                self._cache[value] = text
            return text
        if not value or key is None:
            return "''" if not value else self._reference(value, ())
        return self._reference(value, (*path, key))

    def _implicit_tag(self, value: str) -> str:
        """The tag a plain `value` would resolve to (yaml.resolver.BaseResolver.resolve)."""
        for tag, pattern in self._implicit.get(value[0], []) + self._implicit.get(None, []):
            if pattern.match(value):
                return tag
        return _STR

    @staticmethod
    def _plain_allowed(value: str) -> bool:
        first = value[0]
        if first == " " or value[-1] == " " or first in "#,[]{}&*!|>'\"%@`":
            return False
        if first in "-?:" and (len(value) == 1 or value[1] == " "):
            return False
        if value.startswith(("---", "...")):
            return False
        return not (": " in value or value[-1] == ":" or " #" in value)

    def _reference(self, value: str, path: tuple[Any, ...]) -> str:
        """`value` as the reference emitter writes it at `path` (same nesting, same key)."""
        self.used_reference = True
        holder: Any = value
        for part in reversed(path):
            holder = [holder] if isinstance(part, int) else {part: holder}
        if not isinstance(holder, dict):
            raise _NotCanonical
        text: str = yaml.dump(holder, Dumper=self._dumper, **self._options)
        head: list[str] = []
        self._skeleton(holder, head, 0, "")
        prefix = "".join(head)
        if not text.startswith(prefix) or not text.endswith("\n"):
            raise _NotCanonical
        return text[len(prefix) : -1]

    @staticmethod
    def _skeleton(holder: Any, out: list[str], indent: int, first: str) -> None:
        """The text the reference writes before the one scalar of a single-path holder."""
        while True:
            if isinstance(holder, dict):
                ((key, holder),) = holder.items()
                prefix = first or " " * indent
                if isinstance(holder, list):
                    out.append(f"{prefix}{key}:\n")
                    first = ""
                    continue
                out.append(f"{prefix}{key}: ")
                return
            # a one-item list at `indent`, not indented under its key
            (holder,) = holder
            if isinstance(holder, dict):
                first = " " * indent + "- "
                indent += 2
                continue
            out.append(" " * indent + "- ")
            return
