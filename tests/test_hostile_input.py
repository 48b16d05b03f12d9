"""Hostile input: malformed files, bombs, oversized files, terminal escapes, markup.

Every refusal goes through the real CLI in a subprocess (`validate`, `list` and `sign` on the
same file) and is held to the error contract in `_proc.assert_refused`: the exit code, one
line per problem on stderr naming file, line and field, no traceback, nothing on stdout, the
file's bytes unchanged and no temp file left.
"""

from __future__ import annotations

import io
import os
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from _proc import (
    ON,
    SGR,
    SHIPPED,
    UNSAFE,
    assert_refused,
    copy_shipped,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    run,
    run_together,
    temp_files,
)
from rich.console import Console
from typer.testing import CliRunner

from unionstate import queries, store, tables, text, views, yamlfile
from unionstate.cli import app
from unionstate.errors import DataError
from unionstate.models import Dataset

COMMANDS = (["validate"], ["list"], ["sign", "1", "--on", ON])


# --------------------------------------------------------------- editing the shipped text


class Shipped:
    """The shipped file's lines, edited one line at a time so that line numbers are known."""

    def __init__(self, text: str | None = None) -> None:
        self.text = SHIPPED.read_text("utf-8") if text is None else text
        self.lines = self.text.splitlines(keepends=True)

    def line(self, prefix: str, after: str | None = None) -> int:
        """The 1-based number of the first line starting with `prefix` after line `after`."""
        start = 0
        if after is not None:
            start = next(i for i, line in enumerate(self.lines) if line.startswith(after)) + 1
        for number in range(start + 1, len(self.lines) + 1):
            if self.lines[number - 1].startswith(prefix):
                return number
        raise AssertionError(f"no line starting {prefix!r} after {after!r}")

    def replace(self, prefix: str, new: str | bytes, after: str | None = None) -> Edit:
        """The file with one line replaced (or several inserted in its place)."""
        number = self.line(prefix, after)
        new_bytes = new if isinstance(new, bytes) else new.encode("utf-8")
        raw = [line.encode("utf-8") for line in self.lines]
        raw[number - 1] = new_bytes.rstrip(b"\n") + b"\n"
        return Edit(b"".join(raw), number)

    def insert_after(self, prefix: str, new: str, after: str | None = None) -> Edit:
        """The file with a line inserted after the line starting with `prefix`."""
        number = self.line(prefix, after)
        lines = [*self.lines[:number], new + "\n", *self.lines[number:]]
        return Edit("".join(lines).encode("utf-8"), number + 1)


@dataclass
class Edit:
    """A whole file's bytes and the line an error must point at."""

    raw: bytes
    line: int | None


S = Shipped()
R1 = "- number: 1\n"
R17 = "- number: 17\n"


@dataclass
class Case:
    """One malformed file: its bytes, the line(s) the error may name, and words it must say."""

    id: str
    make: Callable[[], Edit]
    phrases: tuple[str, ...]
    lines: int = 1  # problems reported, one stderr line each
    near: int = 0  # the parser may notice up to this many lines after the edited one


def _deep_flow(depth: int) -> Edit:
    return Edit(("a: " + "[" * depth + "]" * depth + "\n").encode(), None)


def _deep_block(depth: int) -> Edit:
    body = "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "x\n"
    return Edit(body.encode(), None)


MALFORMED = [
    # ----------------------------------------------------------------------- syntax
    Case(
        "unclosed-flow-list",
        lambda: S.replace("  linked_conditions: []", "  linked_conditions: [gas-price", R1),
        ("invalid YAML",),
        near=1,
    ),
    Case(
        "tab-indentation",
        lambda: S.replace("  publisher: Belsat", "\tpublisher: Belsat"),
        ("invalid YAML", "tab"),
    ),
    Case(
        "bad-indentation",
        lambda: S.replace("  publisher: Belsat", "   publisher: Belsat"),
        ("invalid YAML",),
    ),
    Case(
        "unterminated-quote",
        lambda: Edit(S.text.encode() + b"extra: 'never closed\n", len(S.lines) + 1),
        ("invalid YAML", "quoted scalar"),
        near=1,
    ),
    Case("empty-file", lambda: Edit(b"", 1), ("empty",)),
    Case("only-comments", lambda: Edit(b"# nothing here\n\n   \n", 1), ("empty",)),
    Case("top-level-list", lambda: Edit(b"- 1\n- 2\n", 1), ("top level", "a list")),
    Case("top-level-scalar", lambda: Edit(b"just text\n", 1), ("top level", "single value")),
    Case(
        "several-documents",
        lambda: Edit((S.text + "---\n" + S.text).encode(), len(S.lines) + 1),
        ("invalid YAML", "single document"),
    ),
    # ----------------------------------------------------------------------- bytes
    Case(
        "latin-1-byte",
        lambda: S.replace("title: Russia", b"title: Russia \xe9 Belarus"),
        ("not UTF-8", "0xe9"),
    ),
    Case("utf-16", lambda: Edit(S.text.encode("utf-16"), 1), ("not UTF-8",)),
    Case(
        "nul-byte",
        lambda: S.replace("title: Russia", b"title: Russia\x00Belarus"),
        ("U+0000",),
    ),
    Case(
        "raw-esc-byte",
        lambda: S.replace("title: Russia", b"title: Russia\x1b[31mBelarus"),
        ("U+001B",),
    ),
    # --------------------------------------------------------------- YAML features
    Case(
        "duplicate-top-level-key",
        lambda: S.insert_after("schema_version: 2", "schema_version: 1"),
        ("duplicate key 'schema_version'",),
    ),
    Case(
        "duplicate-key-in-roadmap",
        lambda: S.insert_after("  sphere: finance", "  sphere: finance", R1),
        ("duplicate key 'sphere'",),
    ),
    Case(
        "impossible-date",
        lambda: S.replace("as_of: 2021-05-28", "as_of: 2023-02-30"),
        ("as_of", "2023-02-30"),
    ),
    Case(
        "impossible-date-in-history",
        lambda: S.replace("  - date: 2019-09-06", "  - date: 2019-02-30", R1),
        ("roadmap 1", "history[0].date", "2019-02-30"),
    ),
    # libyaml stops at 1,000 levels; just under that, building the data hits RecursionError
    Case("deep-flow-nesting", lambda: _deep_flow(50_000), ("invalid YAML", "nesting depth")),
    Case("deep-flow-nesting-under-parser-limit", lambda: _deep_flow(990), ("too deep",)),
    Case("deep-block-nesting", lambda: _deep_block(3_000), ("invalid YAML", "nesting depth")),
    Case("deep-block-nesting-under-parser-limit", lambda: _deep_block(990), ("too deep",)),
    Case(
        "python-object-apply-tag",
        lambda: Edit(b"!!python/object/apply:os.system ['echo PWNED']\n", 1),
        ("explicit tag", "not allowed"),
    ),
    Case(
        "python-tag-in-field",
        lambda: S.replace("  sphere: finance", "  sphere: !!python/name:os.system ''", R1),
        ("explicit tag", "not allowed"),
    ),
    Case(
        "binary-tag",
        lambda: S.replace("  sphere: finance", "  sphere: !!binary aGVsbG8=", R1),
        ("explicit tag", "not allowed"),
    ),
    Case(
        "local-tag",
        lambda: S.replace("  sphere: finance", "  sphere: !evil finance", R1),
        ("explicit tag", "not allowed"),
    ),
    Case(
        "str-tag-on-number",
        lambda: S.replace("- number: 1", "- number: !!str 1"),
        ("explicit tag",),
    ),
    Case(
        "alias",
        lambda: S.replace("  sphere: finance", "  sphere: *anchor", R1),
        ("invalid YAML",),
    ),
    Case(
        "anchor-and-alias",
        lambda: Edit(b"a: &x [1]\nb: *x\n", 1),
        ("anchors and aliases are not allowed",),
    ),
    Case(
        "merge-key",
        lambda: S.insert_after("  sphere: finance", "  <<: {sphere: x}", R1),
        ("unknown field '<<'",),
    ),
    Case(
        "non-text-key",
        lambda: S.insert_after("schema_version: 2", "7: seven"),
        ("keys must be text",),
    ),
    Case(
        "huge-integer",
        lambda: S.replace("- number: 1", "- number: " + "9" * 5000),
        ("integer is too large",),
    ),
    Case(
        "huge-float",
        lambda: S.replace("- number: 1", "- number: 1e999999"),
        ("number", "whole number"),
    ),
    # ----------------------------------------------------------------------- schema
    Case(
        "missing-field",
        lambda: Edit(S.replace("  sphere: finance", "", R1).raw, S.line("- number: 1")),
        ("roadmap 1", "sphere", "required field is missing"),
    ),
    Case(
        "wrong-type",
        lambda: S.replace("- number: 1", "- number: one"),
        ("number", "expected a whole number, got 'one'"),
    ),
    Case(
        "wrong-type-list",
        lambda: S.replace("  linked_conditions: []", "  linked_conditions: gas-price", R1),
        ("roadmap 1", "linked_conditions", "expected a list"),
    ),
    Case(
        "wrong-schema-version",
        lambda: S.replace("schema_version: 2", "schema_version: 4"),
        ("schema_version",),
    ),
    Case(
        "unknown-field-top",
        lambda: S.insert_after("schema_version: 2", "titel: x"),
        ("unknown field 'titel'", "did you mean 'title'"),
    ),
    Case(
        "unknown-field-in-roadmap",
        lambda: S.insert_after("  sphere: finance", "  sphre: finance", R1),
        ("roadmap 1", "unknown field 'sphre'", "did you mean 'sphere'"),
    ),
    Case(
        "yaml-1.1-boolean-no",
        lambda: S.replace("  title_confirmed: false", "  title_confirmed: no", R1),
        ("title_confirmed", "expected true or false, got 'no'"),
    ),
    Case(
        "yaml-1.1-boolean-on",
        lambda: S.replace("  title_confirmed: false", "  title_confirmed: on", R1),
        ("title_confirmed", "expected true or false, got 'on'"),
    ),
    Case(
        "unknown-status",
        lambda: S.replace("  status: agreed", "  status: done", R1),
        ("roadmap 1", "status", "pending, agreed, blocked, signed"),
    ),
    Case(
        "unknown-condition-id",
        lambda: S.replace("  - goods-restrictions", "  - goods-restriction", R17),
        ("roadmap 17", "linked_conditions[0]", "unknown condition 'goods-restriction'"),
    ),
    Case(
        "unknown-source-id",
        lambda: S.replace("    - belarusinfocus-integration", "    - no-such-source", R1),
        ("roadmap 1", "history[0].sources[0]", "unknown source 'no-such-source'"),
    ),
    Case(
        "duplicate-number",
        lambda: S.replace("- number: 2", "- number: 1"),
        ("duplicate number 1",),
        lines=2,
    ),
    Case(
        "duplicate-id",
        lambda: S.replace("  id: monetary-policy", "  id: macroeconomic-policy"),
        ("duplicate id 'macroeconomic-policy'",),
        lines=2,
    ),
    Case(
        "history-out-of-order",
        lambda: S.replace("  - date: 2019-12-20", "  - date: 2018-12-20", R1),
        ("roadmap 1", "history[2].date", "history out of order"),
    ),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c.id for c in MALFORMED])
def test_malformed_file_is_refused_by_every_command(case: Case, tmp_path: Path) -> None:
    """validate, list and sign each exit 3 with the same located message; nothing runs."""
    edit = case.make()
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(edit.raw)
    results = run_together([(args, data) for args in COMMANDS])
    for result in results:
        assert_refused(result, 3, data, edit.raw, phrases=case.phrases, lines=case.lines)
        problems = result.stderr.splitlines()
        assert all(p.startswith(f"{data}:") for p in problems), result
        if edit.line is not None:
            located = [re.match(rf"{re.escape(str(data))}:(\d+):\d+: ", p) for p in problems]
            assert all(located), result
            numbers = [int(m.group(1)) for m in located if m]
            assert any(edit.line <= n <= edit.line + case.near for n in numbers), result
    assert results[0].stderr == results[1].stderr == results[2].stderr


def test_python_tags_never_run_code(tmp_path: Path) -> None:
    """An object/apply tag that would create a file is refused, and the file never appears."""
    marker = tmp_path / "pwned"
    data = tmp_path / "roadmaps.yaml"
    for raw in (
        f"!!python/object/apply:os.system ['touch {marker}']\n",
        S.replace(
            "  sphere: finance", f"  sphere: !!python/object/apply:os.system ['touch {marker}']", R1
        ).raw.decode(),
        f"a: !!python/object/new:subprocess.check_call [['touch', '{marker}']]\n",
    ):
        data.write_text(raw)
        result = run(["validate"], data)
        assert_refused(result, 3, data, raw.encode(), phrases=("explicit tag",))
        assert not marker.exists()


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: b"\xef\xbb\xbf" + t.encode(), id="utf-8-bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode(), id="crlf-line-ends"),
    ],
)
def test_harmless_variants_are_accepted(variant: Callable[[str], bytes], tmp_path: Path) -> None:
    """A UTF-8 BOM and CRLF line ends load; `sign` then writes the canonical form."""
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(variant(S.text))
    assert run(["validate"], data).returncode == 0
    signed = run(["sign", "1", "--on", ON], data)
    assert signed.returncode == 0, signed
    assert store.dumps(store.load(data)) == data.read_bytes()


# --------------------------------------------------------------- bombs and size cap


def _billion_laughs() -> bytes:
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, 10):
        refs = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def _quadratic_blowup() -> bytes:
    big = "x" * 1_000_000
    refs = ", ".join(["*big"] * 5_000)
    return f"big: &big {big}\nmany: [{refs}]\n".encode()


def _mapping_bomb() -> bytes:
    lines = ["a0: &a0 {k: v, l: w}"]
    for level in range(1, 12):
        keys = ", ".join(f"k{i}: *a{level - 1}" for i in range(10))
        lines.append(f"a{level}: &a{level} {{{keys}}}")
    return ("\n".join(lines) + "\n").encode()


BOMBS = {
    "billion-laughs": _billion_laughs,
    "quadratic-blowup": _quadratic_blowup,
    "mapping-bomb": _mapping_bomb,
}


@pytest.mark.parametrize("make", BOMBS.values(), ids=BOMBS.keys())
def test_alias_bomb_is_refused_fast_and_small(make: Callable[[], bytes], tmp_path: Path) -> None:
    """Refused at the first alias: well under 1 s and 100 MB, in process and as a CLI run."""
    raw = make()
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(DataError) as caught:
        store.loads(raw, "bomb.yaml")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "anchors and aliases are not allowed" in caught.value.message
    assert seconds < 1.0
    assert peak < 100 * 2**20

    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(raw)
    result = run(["validate"], data, peak=True)
    assert_refused(result, 3, data, raw, phrases=("anchors and aliases are not allowed",))
    assert result.peak_mb is not None
    assert result.peak_mb < 100, result.peak_mb


def test_file_over_the_size_cap_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse file one byte over MAX_BYTES is refused from its size: never opened or parsed."""
    data = tmp_path / "roadmaps.yaml"
    with data.open("wb") as handle:
        handle.truncate(store.MAX_BYTES + 1)
    limit = f"over the {store.MAX_BYTES:,}-byte limit"

    result = run(["validate"], data, peak=True)
    assert_refused(result, 3, data, None, phrases=(limit,))
    assert data.stat().st_size == store.MAX_BYTES + 1
    assert result.peak_mb is not None
    assert result.peak_mb < 100, result.peak_mb

    opened: list[str] = []
    real_open, real_os_open = Path.open, os.open

    def spy_open(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    def spy_os_open(path: object, *args: object, **kwargs: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def no_parse(*args: object) -> None:
        raise AssertionError("parsed a file over the size cap")

    monkeypatch.setattr(Path, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(yamlfile, "parse", no_parse)
    for args in COMMANDS:
        res = CliRunner().invoke(app, ["--data", str(data), *args])
        assert res.exit_code == 3, res.output
        assert limit in res.stderr
    assert str(data) not in opened


def test_size_cap_admits_the_large_benchmark() -> None:
    """The cap leaves room for the ~13 MB 10,000-roadmap benchmark."""
    assert store.MAX_BYTES >= 20 * 2**20


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("fifo", "is a FIFO, not a regular file"),
        ("dev-zero", "is a character device, not a regular file"),
        ("directory", "is a directory, not a data file"),
        ("socket", "is a socket, not a regular file"),
        ("symlink-to-fifo", "is a FIFO, not a regular file"),
    ],
)
@pytest.mark.parametrize("command", [["validate"], ["list"], ["sign", "customs"]])
def test_a_data_file_that_is_not_a_regular_file_is_refused_at_once(
    kind: str, expected: str, command: list[str], tmp_path: Path
) -> None:
    """A FIFO used to hang every command forever, /dev/zero to be read up to the cap."""
    import socket

    target = tmp_path / "roadmaps.yaml"
    listener = None
    if kind in ("fifo", "symlink-to-fifo"):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        target.symlink_to(fifo) if kind == "symlink-to-fifo" else fifo.rename(target)
    elif kind == "dev-zero":
        target = Path("/dev/zero")
    elif kind == "directory":
        target.mkdir()
    else:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(target))
    try:
        result = run(["--data", str(target), *command], None, timeout=20)
    finally:
        if listener is not None:
            listener.close()
    assert result.returncode == 3, result
    assert result.seconds < 10, result
    assert (
        result.stderr
        == f"{target}: {expected}" + ("" if kind == "directory" else "; nothing was read") + "\n"
    )
    assert result.stdout == ""


# ------------------------------------------------------ terminal escapes in the data

# YAML double-quoted escapes, so that the YAML is valid and validation must do the refusing.
PAYLOADS = {
    "csi": ("\\e[31mred\\e[0m", "U+001B"),
    "osc8-hyperlink": ("\\e]8;;https://evil.example/\\e\\\\click\\e]8;;\\e\\\\", "U+001B"),
    "osc52-clipboard": ("\\e]52;c;cm0gLXJmIH4K\\a", "U+001B"),
    "c1-csi": ("\\x9b31mred", "U+009B"),
    "bidi-override": ("abc\\u202Edcba", "U+202E"),
    "bidi-isolate": ("abc\\u2066x\\u2069", "U+2066"),
    "rtl-mark": ("abc\\u200Fx", "U+200F"),
    "arabic-letter-mark": ("abc\\u061Cx", "U+061C"),
    "backspace": ("safe\\b\\b\\b\\bevil", "U+0008"),
    "carriage-return": ("shown\\roverwritten", "U+000D"),
    "delete": ("x\\x7Fy", "U+007F"),
}

# (what, prefix of the line to replace, its key, the record it belongs to)
TEXT_FIELDS = {
    "dataset-title": ("title: Russia", "title", None),
    "dataset-description": ("description: ", "description", None),
    "source-publisher": ("  publisher: Belsat", "  publisher", None),
    "source-url": ("  url: https://belsat", "  url", None),
    "condition-title": ("  title: Lifting Russian", "  title", None),
    "condition-note": ("    note: ", "    note", "- id: goods-restrictions"),
    "milestone-reported": ("  reported: ", "  reported", "milestones:"),
    "roadmap-title": ("  title: Macroeconomic", "  title", None),
    "roadmap-sphere": ("  sphere: finance", "  sphere", R1),
    "roadmap-notes": ("  notes: ", "  notes", R1),
    "roadmap-event-note": ("    note: ", "    note", R1),
}


@pytest.mark.parametrize("field", TEXT_FIELDS, ids=list(TEXT_FIELDS))
@pytest.mark.parametrize("payload", PAYLOADS, ids=list(PAYLOADS))
def test_terminal_control_in_text_is_refused(field: str, payload: str, tmp_path: Path) -> None:
    """Control, escape and bidi characters in any text field fail validation, located."""
    prefix, key, after = TEXT_FIELDS[field]
    escaped, code_point = PAYLOADS[payload]
    value = f"https://x.example/{escaped}" if field == "source-url" else f"before {escaped}"
    edit = S.replace(prefix, f'{key}: "{value}"', after)
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(edit.raw)
    result = CliRunner().invoke(app, ["--data", str(data), "validate"])
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"{data}:{edit.line}:"), message
    assert key.strip() in message
    assert "control or bidi characters are not allowed (" in message
    assert code_point in message
    assert not UNSAFE.search(message)
    assert data.read_bytes() == edit.raw


def test_a_terminal_payload_is_refused_through_the_real_cli(tmp_path: Path) -> None:
    """One payload end to end: validate, list and sign as processes."""
    edit = S.replace("  title: Macroeconomic", '  title: "\\e]52;c;cm0gLXJmIH4K\\a"')
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(edit.raw)
    for result in run_together([(args, data) for args in COMMANDS]):
        assert_refused(result, 3, data, edit.raw, phrases=("roadmap 1", "title", "U+001B"))


# ---------------------------------------------- the renderers neutralise what slips past

EVIL = (
    "A\x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ "
    "\x1b]52;c;cm0gLXJmIH4K\x07 \x9b31m \x9d0;title\x9c \u202eevil\u202c \u2066x\u2069 "
    "\u200f\u200e\u061c \x07\x08\x7f\r\x00 Z"
)


def _hostile_dataset() -> Dataset:
    """The shipped dataset with hostile text in every text field, built without validation."""
    good = store.load(SHIPPED)

    def evil(tag: str) -> str:
        return f"{tag} {EVIL}"

    def rename(ident: str) -> str:
        return f"{ident}{EVIL}"

    sources = [
        replace(
            s,
            **{
                "id": rename(s.id),
                "publisher": evil("publisher"),
                "url": "https://x.example/" + EVIL,
                "title": evil("source title"),
                "reprint_of": evil("reprint"),
            },
        )
        for s in good.sources
    ]

    def events(history: list) -> list:  # type: ignore[type-arg]
        return [
            replace(e, **{"note": evil("note"), "sources": [rename(x) for x in e.sources]})
            for e in history
        ]

    conditions = [
        replace(
            c,
            **{
                "id": rename(c.id),
                "title": evil("condition"),
                "description": evil("description"),
                "history": events(c.history),
                "sources": [rename(x) for x in c.sources],
            },
        )
        for c in good.conditions
    ]
    milestones = [
        replace(
            m,
            **{
                "reported": evil("reported"),
                "speaker": evil("speaker"),
                "note": evil("note"),
                "sources": [rename(x) for x in m.sources],
            },
        )
        for m in good.milestones
    ]
    roadmaps = [
        replace(
            r,
            **{
                "id": rename(r.id),
                "title": evil("title"),
                "sphere": evil("sphere"),
                "notes": evil("notes"),
                "linked_conditions": [rename(x) for x in r.linked_conditions],
                "history": events(r.history),
            },
        )
        for r in good.roadmaps
    ]
    return replace(
        good,
        **{
            "title": evil("dataset"),
            "description": evil("description"),
            "numbering": evil("numbering"),
            "sources": sources,
            "conditions": conditions,
            "milestones": milestones,
            "roadmaps": roadmaps,
        },
    )


def _rich(renderable: object, terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        no_color=not terminal,
        width=160,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(renderable)
    return buffer.getvalue()


def _assert_inert(output: str) -> None:
    """No ESC, C1, bidi or other control character: only rich's own colour codes removed."""
    stripped = SGR.sub("", output)
    found = sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(stripped)})
    assert found == [], found


def _plain_renders(ds: Dataset) -> dict[str, str]:
    rows = queries.states(ds)
    summary = queries.summarise(ds)
    return {
        "tsv-list": views.tsv(views.LIST_COLUMNS, [views.list_cells(r) for r in rows]),
        "tsv-timeline": views.tsv(
            ("date", "kind", "subject", "status", "note", "sources"),
            [views.timeline_cells(e) for e in queries.timeline(ds, None, None, None)],
        ),
        "summary-text": views.summary_text(summary),
        "cells": "".join(text.cell(EVIL + s) for s in ("", "\n", "\t")),
    }


def _rich_renders(ds: Dataset) -> dict[str, object]:
    rows = queries.states(ds)
    return {
        "roadmap-table": tables.roadmap_table(rows, title="t"),
        "roadmap-panel": tables.roadmap_panel(ds, rows[13]),
        "conditions-table": tables.conditions_table(queries.condition_reports(ds)),
        "timeline-table": tables.timeline_table(queries.timeline(ds, None, None, None)),
        "summary-view": tables.summary_view(queries.summarise(ds)),
    }


HOSTILE = _hostile_dataset()


@pytest.mark.parametrize("name", list(_plain_renders(HOSTILE)))
def test_plain_renderers_neutralise_terminal_controls(name: str) -> None:
    """TSV rows, cells and the summary text carry every hostile character as a visible escape."""
    output = _plain_renders(HOSTILE)[name]
    assert "\\u001b" in output
    _assert_inert(output)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
@pytest.mark.parametrize("name", list(_rich_renders(HOSTILE)))
def test_rich_tables_neutralise_terminal_controls(name: str, terminal: bool) -> None:
    """Tables and panels, on a colour terminal and piped, contain no escape of the data's own."""
    output = _rich(_rich_renders(HOSTILE)[name], terminal)
    assert "\\u001b" in output
    _assert_inert(output)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "json",
        ),
        pytest.param(
            "csv",
        ),
        pytest.param(
            "markdown",
        ),
    ],
)
def test_export_formats_neutralise_terminal_controls(name: str) -> None:
    """JSON, CSV and Markdown, printed to a terminal by `export`, carry no raw controls either."""
    rows = queries.states(HOSTILE)
    output = {
        "json": lambda: views.to_json(views.dataset_object(HOSTILE)),
        "csv": lambda: views.to_csv(rows),
        "markdown": lambda: views.to_markdown(HOSTILE, queries.summarise(HOSTILE), rows),
    }[name]()
    _assert_inert(output)


# ----------------------------------------------------------- rich markup in the data

MARKUP_TITLE = "[link=https://evil.example]x[/link] [bold red]alarm :warning: [/]"
MARKUP_NOTE = "stray [/] close and [blink]blink[/blink] :skull:"


def test_rich_markup_and_emoji_codes_in_data_print_literally(tmp_path: Path) -> None:
    """Markup and emoji codes in the data come out as typed, on a terminal and piped."""
    edited = S
    for prefix, new in [
        ("  title: Macroeconomic", f"  title: '{MARKUP_TITLE}'"),
        ("  sphere: finance", "  sphere: '[bold red]finance'"),
        ("  notes: ", f"  notes: '{MARKUP_NOTE}'"),
        ("    note: ", f"    note: '{MARKUP_NOTE}'"),
    ]:
        edited = Shipped(edited.replace(prefix, new, R1).raw.decode())
    raw = edited.text.encode()
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(raw)
    assert run(["validate"], data).returncode == 0

    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "400"}
    listed = (MARKUP_TITLE, "[bold red]finance")
    jobs = [
        (["list"], {}, listed),
        (["--color", "always", "list"], {}, listed),
        (["list"], terminal, listed),
        (["show", "1"], {}, (*listed, MARKUP_NOTE)),
        (["show", "1"], terminal, (*listed, MARKUP_NOTE)),
        (["history", "1"], {}, (MARKUP_NOTE,)),
        (["history", "1"], terminal, (MARKUP_NOTE,)),
    ]
    results = run_together([(args, data, env) for args, env, _ in jobs])
    for (_, _, expected), result in zip(jobs, results, strict=True):
        assert result.returncode == 0, result
        out = SGR.sub("", result.stdout)
        for literal in expected:
            assert literal in out, f"{literal!r} not printed as typed\n{result}"
        # No hyperlink escape was made from the markup: the only links are the sources' URLs.
        links = set(re.findall(r"\x1b]8;[^;]*;([^\x1b]*)\x1b", result.stdout)) - {""}
        assert links <= {s["url"] for s in yaml.safe_load(raw)["sources"]}
        assert "⚠" not in out and "💀" not in out
        assert result.stderr == ""
    assert data.read_bytes() == raw


# ----------------------------------------------- arguments are echoed back made visible

ARGUMENTS = [
    (["show", "\x1b[31mred"], 1, "\\x1b[31mred"),
    (["show", "\x1b]52;c;cm0gLXJmIH4K\x07"], 1, "\\x1b]52"),
    (["show", "\u202eevil"], 1, "\\u202eevil"),
    (["show", "\x9b31m"], 1, "\\x9b31m"),
    (["show", "[bold red]x[/]"], 1, "'[bold red]x[/]'"),
    (["show", ":warning:"], 1, "':warning:'"),
    (["\x1b[2Jcommand"], 2, "\\x1b[2Jcommand"),
    (["list", "--status", "\x1b[31m"], 2, "\\x1b[31m"),
    (["list", "--\x1b]8;;x"], 2, "\\x1b]8;;x"),
    (["history", "--since", "\x1b[2J"], 2, "\\x1b[2J"),
    (["sign", "1", "--on", "2021-05-28\x1b[1A"], 2, "\\x1b[1A"),
    (["sign", "1", "--on", ON, "--source", "\x1b[31mx"], 2, "\\x1b[31mx"),
    (["--data", "/nonexistent/\x1b[31mx.yaml", "list"], 3, "\\u001b[31mx.yaml"),
]


@pytest.mark.parametrize(
    ("args", "code", "visible"),
    ARGUMENTS,
    ids=[repr(a)[1:60] for a, _, _ in ARGUMENTS],
)
def test_arguments_are_echoed_with_escapes_visible(
    args: list[str], code: int, visible: str, tmp_path: Path
) -> None:
    """An argument with escapes or markup comes back in the message as visible text."""
    data = copy_shipped(tmp_path)
    before = data.read_bytes()
    result = run(args, data)
    assert_refused(result, code, data, before, lines=None)
    assert visible in result.stderr, result
    assert temp_files(tmp_path) == []


def test_wrong_schema_version_names_the_supported_version() -> None:
    """The message says which schema version this unionstate reads."""
    edit = S.replace("schema_version: 2", "schema_version: 4")
    with pytest.raises(DataError) as caught:
        store.loads(edit.raw, "roadmaps.yaml")
    message = caught.value.message
    assert "expected one of ," not in message
    assert re.search(r"expected (one of )?3\b", message), message
