"""The way out: consoles, the pager, stdout and stderr, and the one emitter of every view.

`Output.emit` is how every command that prints data prints it: one JSON document (all of
it, or `--fields`), a table drawn by `tables.render` on a terminal, or the view's plain
shape (tab-separated rows) through a pipe or into a file. Messages for the user go to
stderr, one line each (`say`). Consoles are made per invocation, never at import time.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unionstate.text import one_line
from unionstate.views import View, select_fields, to_json

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


class Color(str, Enum):
    """When to colour output."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal (TTY_COMPATIBLE=1/0 overrides, as in rich)."""
    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _real_terminal() -> bool:
    """stdout is a terminal a person reads (TTY_COMPATIBLE only makes tables, never a pager)."""
    try:
        return os.isatty(sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):
        return False


@dataclass
class Output:
    """How one invocation shows things: colour, and whether long output goes to a pager."""

    color: Color = Color.AUTO
    pager: bool = True

    @property
    def tables(self) -> bool:
        """Rich tables on a terminal; plain tab-separated rows through a pipe."""
        return is_terminal(sys.stdout)

    @property
    def colored(self) -> bool:
        """Colour: always/never, or auto (a terminal, and NO_COLOR unset)."""
        if self.color is Color.ALWAYS:
            return True
        if self.color is Color.NEVER or os.environ.get("NO_COLOR"):
            return False
        return self.tables or bool(os.environ.get("FORCE_COLOR"))

    def console(self, stderr: bool = False) -> Console:
        """A rich console made for this invocation (never at import time)."""
        from rich.console import Console

        console = Console(
            file=sys.stderr if stderr else sys.stdout,
            force_terminal=self.colored if not self.tables else None,
            no_color=not self.colored,
            color_system="auto" if self.colored else None,
            highlight=False,
            emoji=False,
            markup=False,
        )
        # `COLUMNS=10000000` must not make a table that wide (and that slow to lay out).
        console.width = max(MIN_WIDTH, min(console.width, MAX_WIDTH))
        return console

    def emit(
        self,
        view: View,
        json_out: bool = False,
        fields: str | None = None,
        *,
        target: Path | None = None,
    ) -> None:
        """The one way out: JSON (all of it, or --fields), a terminal table, or plain rows;
        into `target` (see `targets.write`) instead of stdout when one is given."""
        if fields is not None or json_out:
            document = view.document
            if fields is not None:
                wanted = [f.strip() for f in fields.split(",") if f.strip()]
                document = select_fields(document, wanted, view.fields)
            out = to_json(document)
        elif target is None and self.tables and view.kind is not None:
            from unionstate.tables import render

            console = self.console()
            self.page(render(view, console.width))
            return
        else:
            out = view.plain(self.colored and target is None)
        if target is None:
            self.plain(out)
            return
        from unionstate import targets

        if targets.descriptor(target) is not None:
            sys.stdout.flush()  # what is already printed comes first
        targets.write(target, out.encode("utf-8"))
        self.say(f"wrote {target}")

    def page(self, renderable: RenderableType) -> None:
        """Print `renderable`; through a pager, as git does, when it is longer than the screen.

        The pager is $UNIONSTATE_PAGER, else $PAGER, else `less -FRX`; none with --no-pager,
        when stdout is not a real terminal, or when the pager is "" or "cat". A pager that
        cannot be started is no pager.
        """
        console = self.console()
        # crop=False: a line we chose not to wrap (a URL) is printed whole; the terminal may
        # wrap it on screen, but a click or a copy gets all of it.
        if not self.pager or not _real_terminal():
            console.print(renderable, crop=False)
            return
        with console.capture() as captured:
            console.print(renderable, crop=False)
        out = captured.get()
        command = os.environ.get("UNIONSTATE_PAGER", os.environ.get("PAGER", "less -FRX"))
        if out.count("\n") < console.height or command.strip() in ("", "cat"):
            sys.stdout.write(out)
            return
        import shlex
        import subprocess

        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        try:
            pager = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, env=env)
        except (OSError, ValueError):
            sys.stdout.write(out)
            return
        assert pager.stdin is not None
        try:
            pager.stdin.write(out.encode("utf-8", "replace"))
            pager.stdin.close()
        except BrokenPipeError:  # the reader quit the pager early
            pass
        pager.wait()

    def plain(self, text: str) -> None:
        """Write plain text (TSV, JSON, CSV) to stdout, colourless."""
        sys.stdout.write(text)

    def say(self, message: str) -> None:
        """A message for the user, on stderr: one line, whatever a path in it holds; on a
        terminal, wrapped at spaces to its width (never inside a word)."""
        line = one_line(message)
        if is_terminal(sys.stderr):
            import shutil
            import textwrap

            width = max(MIN_WIDTH, shutil.get_terminal_size().columns - 1)
            wrapped = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
            line = "\n".join(wrapped) or line
        sys.stderr.write(line + "\n")


# ------------------------------------------------------------- standard stream faults


class ClosedStream(io.TextIOBase):
    """Stands for a standard stream the caller closed (`unionstate list >&-`)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it is closed")

    def isatty(self) -> bool:
        return False


ESCAPE_ERRORS = "unionstate-escape"
MIN_WIDTH, MAX_WIDTH = 20, 500  # columns a table is laid out in, whatever COLUMNS says


def _escape(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: each character the stream's encoding cannot hold as a JSON
    escape (`\\u2013`; a pair of them beyond the BMP), so output stays text, and valid JSON."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


def escape_unencodable() -> None:
    """Make stdout and stderr escape what their encoding cannot hold (`PYTHONIOENCODING=
    latin-1`, a C locale) instead of failing with UnicodeEncodeError."""
    import codecs

    codecs.register_error(ESCAPE_ERRORS, _escape)
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if isinstance(stream, io.TextIOWrapper) and encoding not in ("utf-8", "utf8"):
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors=ESCAPE_ERRORS)


def flush_stdout() -> None:
    """Flush stdout now, so that a full disk or a closed stdout is this command's error."""
    sys.stdout.flush()


def is_stdout_error(exc: OSError) -> bool:
    """Whether `exc` came from writing stdout (full disk, closed, I/O error), not a file."""
    return exc.filename is None and exc.errno in (
        errno.ENOSPC,
        errno.EBADF,
        errno.EIO,
        errno.EDQUOT,
    )


def discard_stdout() -> None:
    """Drop what stdout still buffers, so that exiting does not fail on it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        sys.stdout = ClosedStream()
