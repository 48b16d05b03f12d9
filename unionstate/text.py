"""Text that is safe to show, and how each status looks: the one home of both.

The characters that could drive a terminal (C0 and C1 controls but tab and newline, DEL,
the bidirectional overrides and isolates, lone surrogates) are refused by the models in the
data and escaped here in everything shown. `LOOKS` gives each status its word, its terminal
style, its SGR colour for plain output and its colour in the web report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "\ud800-\udfff]")

# Line breaks besides "\n": NEL is a C1 control (unsafe above); these break a line in YAML,
# in JavaScript and in many viewers, while looking like nothing at all.
LINE_SEPARATORS = ("\n", "\t", "\u2028", "\u2029")


def unsafe_characters(text: str) -> list[str]:
    """The characters in `text` that could drive a terminal, named as U+XXXX."""
    return sorted({f"U+{ord(ch):04X}" for ch in UNSAFE.findall(text)})


def clean(text: str) -> str:
    """Text made safe for a terminal: each unsafe character becomes a visible `\\uXXXX`
    escape (lossless inside a JSON string)."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """`clean`, with line breaks shown as escapes too: a message can never forge a line."""
    return clean(text).replace("\n", "\\n")


def cell(text: str) -> str:
    """A single-line, terminal-safe cell for tab-separated output."""
    return clean(text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


# ----------------------------------------------------------------- how statuses look


@dataclass(frozen=True)
class Look:
    """How one status is shown: the word a reader sees, and its colour in each medium."""

    word: str  # "set aside": the report and Markdown spell it out
    style: str  # a rich style, for terminal tables
    sgr: str  # ANSI SGR parameters, for `--color always` through a pipe
    fill: str  # the web report's chart colour ("" where it is drawn as a pattern)


LOOKS: dict[str, Look] = {
    "pending": Look("pending", "yellow", "33", "#d97706"),
    "agreed": Look("agreed", "cyan", "36", "#2563eb"),
    "blocked": Look("blocked", "bold red", "1;31", "#dc2626"),
    "signed": Look("signed", "bold green", "1;32", "#15803d"),
    "set-aside": Look("set aside", "dim", "2", "#9ca3af"),
    "undetermined": Look("undetermined", "magenta", "35", ""),
    "open": Look("open", "red", "31", ""),
    "resolved": Look("resolved", "green", "32", ""),
    # the implementation axis, and targets
    "not-started": Look("not started", "yellow", "33", "#d97706"),
    "under-way": Look("under way", "cyan", "36", "#2563eb"),
    "completed": Look("completed", "bold green", "1;32", "#15803d"),
    "disputed": Look("disputed", "bold magenta", "1;35", "#a21caf"),
    "overdue": Look("overdue", "bold red", "1;31", "#dc2626"),
    "met": Look("met", "green", "32", "#15803d"),
    "missed": Look("missed", "red", "31", "#dc2626"),
}


def status_word(status: str) -> str:
    """A status as words a reader sees: "set aside", "undetermined", "agreed"."""
    look = LOOKS.get(status)
    return look.word if look else status
