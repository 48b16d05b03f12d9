"""Fuzzing: byte-level mutations of the valid file never crash a command or change the file
when the command fails.

Mutations land anywhere in the file or, more often, in the first columns of a line, where the
YAML structure lives (indentation, dashes, keys, colons); the inserted bytes favour YAML
indicators and the byte sequences that have broken parsers before.
"""

from __future__ import annotations

from pathlib import Path

from _proc import (
    ON,
    SHIPPED,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    temp_files,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from unionstate import store
from unionstate.cli import app
from unionstate.errors import DataError

VALID = SHIPPED.read_bytes()
LINE_STARTS = [0, *[i + 1 for i, byte in enumerate(VALID) if byte == ord("\n")][:-1]]
DOCUMENTED = {0, 1, 2, 3, 4, 5}

INTERESTING = [
    *(bytes([c]) for c in b":-? \n\t'\"[]{}&*!|>#%,\\0~"),
    b"---\n",
    b"...\n",
    b"&a ",
    b"*a",
    b"!!python/object/apply:os.system ",
    b"!!binary ",
    b"!x ",
    b"<<: ",
    b"%YAML 1.1\n",
    b"yes",
    b"null",
    b"2021-02-30",
    b"9" * 40,
    b".inf",
    b"\x00",
    b"\x1b[31m",
    b"\x7f",
    b"\xff",
    b"\xc0\x80",
    b"\xef\xbb\xbf",
    b"\xc2\x85",  # NEL, a YAML line break
    b"\xe2\x80\xa8",  # LINE SEPARATOR
    b"\xe2\x80\xae",  # RIGHT-TO-LEFT OVERRIDE
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\r",
    b"\\x1b",
    b"\\u202e",
]

offsets = st.one_of(
    st.integers(0, len(VALID)),
    st.tuples(st.sampled_from(LINE_STARTS), st.integers(0, 12)).map(lambda lc: lc[0] + lc[1]),
)
payloads = st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=6))
mutation = st.tuples(st.sampled_from(["insert", "delete", "replace"]), offsets, payloads)


def mutate(raw: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    """Apply byte insertions, deletions (of up to len(payload) bytes) and replacements."""
    out = bytearray(raw)
    for kind, offset, payload in mutations:
        at = min(offset, len(out))
        if kind == "insert":
            out[at:at] = payload
        elif kind == "delete":
            del out[at : at + len(payload)]
        else:
            out[at : at + len(payload)] = payload
    return bytes(out)


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_file_never_crashes_a_command(
    mutations: list[tuple[str, int, bytes]], tmp_path: Path
) -> None:
    """validate, list and sign: a documented exit code, no traceback, no change on failure."""
    raw = mutate(VALID, mutations)
    data = tmp_path / "roadmaps.yaml"
    data.write_bytes(raw)
    for args in (["validate"], ["list"], ["sign", "1", "--on", ON]):
        current = data.read_bytes()
        result = CliRunner().invoke(app, ["--data", str(data), *args])
        what = f"{args[0]}: exit {result.exit_code}: {result.stderr[:300]!r}"
        event(f"{args[0]} exit {result.exit_code}")
        assert result.exit_code in DOCUMENTED, what
        assert result.exception is None or isinstance(result.exception, SystemExit), what
        assert "Traceback" not in result.output, what
        assert "internal error" not in result.stderr, what
        if result.exit_code:
            assert data.read_bytes() == current, f"{what}: the file changed on failure"
            assert result.stdout == "", what
            assert result.stderr.strip(), what
        elif args[0] == "sign":
            assert store.dumps(store.load(data)) == data.read_bytes()
        else:
            assert data.read_bytes() == current
        assert temp_files(tmp_path) == []


@settings(max_examples=400, deadline=None)
@given(mutations=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_bytes_load_or_fail_with_a_data_error(
    mutations: list[tuple[str, int, bytes]],
) -> None:
    """The loader alone, many more cases: a Dataset or a DataError, nothing else."""
    raw = mutate(VALID, mutations)
    try:
        store.loads(raw, "fuzz.yaml")
        event("loaded")
    except DataError as exc:
        event("refused")
        assert exc.lines(), "an error with no message"
        assert all(line.startswith("fuzz.yaml") for line in exc.lines()), exc.lines()


# Printable changes keep more files inside the fast reader's subset, where it must decide.
printable = st.one_of(
    st.sampled_from(
        [
            *(b": ", b"- ", b"  ", b"''", b"[]", b" #", b"&a", b"*a", b"? ", b"null", b"yes"),
            *(b"0x1", b"1e3", b"0o7", b".5", b"+1", b"1_000", b"2021-05-28", b"\xc2\xa0"),
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=3).map(str.encode),
)
edit = st.tuples(st.sampled_from(["insert", "delete", "replace"]), offsets, printable)
