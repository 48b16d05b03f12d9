"""The command-line interface: parse arguments, call the library, hand the result out.

The only module that imports typer. Domain rules live in `queries` and `updates`, the data
file in `store`, the shapes of output in `views`, and the way out in `terminal`; this module
parses, calls, and turns every domain error into its message and exit code, in one place.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from unionstate import __version__, files, models, queries, store, terminal, views
from unionstate.errors import (
    DataError,
    ExitCode,
    Refused,
    UnionStateError,
    UsageError,
    WriteFailed,
)
from unionstate.models import SCHEMA_NAME, SCHEMA_VERSION, Dataset, When, span
from unionstate.terminal import Color, is_terminal
from unionstate.text import clean, one_line

if TYPE_CHECKING:
    from unionstate import updates  # imported by the commands that write, when they run


class Shown(str, Enum):
    """A status as the views show it: a record's status, or undetermined on that date."""

    PENDING = "pending"
    AGREED = "agreed"
    BLOCKED = "blocked"
    SIGNED = "signed"
    SET_ASIDE = "set-aside"
    UNDETERMINED = "undetermined"


class ExportFormat(str, Enum):
    """Formats of `export`."""

    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


# ------------------------------------------------------------------------ session


@dataclass
class Session(terminal.Output):
    """Per-invocation settings: which data file, and how output is shown (`Output`)."""

    data_flag: str | None = None

    def data_file(self) -> store.DataFile:
        """The data file in use and why (flag, environment, tree, user copy, bundled)."""
        user_dir = Path(typer.get_app_dir("unionstate"))
        try:
            cwd: Path | None = Path.cwd()
        except OSError:  # the current directory was deleted: there is no tree to search
            cwd = None
        found = store.find_data_file(self.data_flag, os.environ, cwd, user_dir)
        if found.origin == "tree" and cwd is not None:  # as typed: data/roadmaps.yaml
            return store.DataFile(Path(os.path.relpath(found.path, cwd)), found.origin)
        return found

    def load(self) -> Dataset:
        """Load the data file in use."""
        return store.load(self.data_file().path)

    def writable_path(self) -> Path:
        """The data file to update; refuses the read-only bundled copy."""
        data_file = self.data_file()
        if not data_file.writable:
            raise Refused(
                f"{one_line(str(data_file.path))} is the copy bundled with unionstate "
                "and is never written: "
                "run `unionstate init` to make your own working copy, then try again"
            )
        return data_file.path


def session(ctx: typer.Context) -> Session:
    """The session the main callback stored on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Session)
    return obj


# ------------------------------------------------------------- errors, one place


def _fail(exc: UnionStateError) -> NoReturn:
    # A refusal may list one problem per line; anything else is one line per problem, and a
    # newline inside it (from a file name) must not forge a second line.
    multiline = isinstance(exc, (Refused, UsageError))
    for line in exc.lines():
        line = clean(line) if multiline else one_line(line)
        sys.stderr.write((line if exc.exit_code == ExitCode.DATA else f"unionstate: {line}") + "\n")
    raise typer.Exit(int(exc.exit_code))


# The panels of `unionstate --help`, in order (a command names its own: rich_help_panel).
READING, RECORDING, PUBLISHING = "Daily reading", "Recording", "Publishing"
GIT, SETUP = "Git and undo", "Setup and help"
PANELS = (READING, RECORDING, PUBLISHING, GIT, SETUP)

# Click's metavar for a value of each type, as a person reads it (typer's own is `<str>`).
_METAVARS = {
    "text": "TEXT",
    "str": "TEXT",
    "integer": "N",
    "int": "N",
    "integer range": "N",
    "int range": "N",
    "float": "NUMBER",
    "float range": "NUMBER",
}


def _plain_metavars(command: Any) -> Any:
    """Give `command`'s options plain metavars: TEXT, N, NUMBER, PATH, a|b|c for a choice."""
    for param in getattr(command, "params", ()):
        if param.param_type_name == "argument" and param.metavar:
            _plain_argument(param)
            continue
        if param.param_type_name != "option" or param.metavar is not None or param.is_flag:
            continue
        kind = param.type
        choices = getattr(kind, "choices", None)
        if choices is not None:
            param.metavar = "|".join(str(getattr(c, "value", c)) for c in choices)
        else:
            param.metavar = _METAVARS.get(kind.name, kind.name.upper())
    return command


def _plain_argument(param: Any) -> None:
    """An argument in the usage line as click writes it: `ROADMAP...`, `[PATH]` (typer
    writes a required one as `{ROADMAP}`)."""
    shown = param.metavar
    if param.nargs != 1 and not shown.endswith("...") and " " not in shown:
        shown += "..."
    if not param.required and not shown.startswith("["):
        shown = f"[{shown}]"
    param.make_metavar = lambda *args, **kwargs: shown


class _Group(TyperGroup):
    """Turns every domain error into its message and exit code; nothing else does. Its
    help groups the commands in panels, each with its whole summary."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return _plain_metavars(super().get_command(ctx, cmd_name))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _plain_metavars(self)
        super().format_help(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands by panel, each summary whole (wrapped, never cut with "...")."""
        panels: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            panel = getattr(command, "rich_help_panel", None) or "Commands"
            panels.setdefault(panel, []).append((name, command.get_short_help_str(10_000)))
        order = [*PANELS, *sorted(set(panels) - set(PANELS))]
        width = max((len(name) for rows in panels.values() for name, _ in rows), default=0)
        for panel in order:
            if panel in panels:
                with formatter.section(panel):  # one column width for all the panels
                    formatter.write_dl([(name.ljust(width), text) for name, text in panels[panel]])

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """`--no-pager` is the main command's, but taken after the command too."""
        rest = super().parse_args(ctx, args)
        if ctx.parent is None and "--no-pager" in ctx.args:
            end = ctx.args.index("--") if "--" in ctx.args else len(ctx.args)
            command = self.get_command(ctx, ctx._protected_args[0]) if ctx._protected_args else None
            takes = {
                opt
                for p in getattr(command, "params", ())
                if p.param_type_name == "option" and not p.is_flag
                for opt in p.opts
            }
            kept = []
            for i, arg in enumerate(ctx.args):
                value = i > 0 and ctx.args[i - 1] in takes  # `--note --no-pager` is a note
                if arg == "--no-pager" and i < end and not value:
                    ctx.params["no_pager"] = True
                else:
                    kept.append(arg)
            ctx.args = kept
            return kept
        return rest

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
            terminal.flush_stdout()  # a full disk or a closed stdout is an error of this command
            return result
        except UnionStateError as exc:
            _fail(exc)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # Typer's own: usage errors (exit 2), --help, --version
        except BrokenPipeError:
            # The reader went away (`unionstate list | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitCode.OK)) from None
        except OSError as exc:
            if not terminal.is_stdout_error(exc):
                raise _internal(exc) from None
            terminal.discard_stdout()
            _fail(WriteFailed(f"cannot write to stdout: {exc.strerror or exc}"))
        except KeyboardInterrupt:
            # An update is atomic: the file holds the old state or, if the rename had
            # already happened, the whole new one; never a mix.
            sys.stderr.write(
                "unionstate: interrupted; the data file holds either its old or its new "
                "state, never a mix\n"
            )
            raise typer.Exit(130) from None
        except Exception as exc:
            raise _internal(exc) from None


def _internal(exc: BaseException) -> BaseException:
    """Report a bug (exit 70); with UNIONSTATE_DEBUG set, let its traceback through."""
    if os.environ.get("UNIONSTATE_DEBUG"):
        return exc
    what = one_line(f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
    sys.stderr.write(
        f"unionstate: internal error: {what}; run again with UNIONSTATE_DEBUG=1 for details\n"
    )
    return typer.Exit(int(ExitCode.INTERNAL))


app = typer.Typer(
    name="unionstate",
    cls=_Group,
    help="Track the Russia–Belarus Union State integration roadmaps: status, Belarus's "
    "linked conditions, dated history and sources.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    add_completion=False,  # `unionstate completion SHELL` prints the script; nothing edits rc files
)


# ------------------------------------------------------------------ argument types


def parse_when(value: str) -> When:
    """An event's date for --on: a day, ~day, month, year or a window; else a usage error."""
    try:
        return When.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _period(value: str) -> tuple[dt.date, dt.date]:
    text = value.strip()
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text, re.ASCII):
        raise typer.BadParameter(f"expected a date as YYYY-MM-DD, YYYY-MM or YYYY; got {value!r}")
    try:
        first, last, _ = span(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a real date") from None
    return first, last


def parse_end(value: str) -> dt.date:
    """A day, or the last day of a month or year (--as-of, --until); else a usage error."""
    return _period(value)[1]


def parse_start(value: str) -> dt.date:
    """A day, or the first day of a month or year (--since); else a usage error."""
    return _period(value)[0]


def _past_the_end(s: Session, dataset: Dataset, as_of: dt.date | None) -> None:
    """Say, on stderr, where the record ends when `as_of` lies past it."""
    if as_of is not None and as_of > dataset.as_of:
        s.say(
            f"the record ends on {dataset.as_of}: nothing after it is known, so {as_of} "
            f"shows the state of {dataset.as_of}"
        )


def _completion_dataset(ctx: typer.Context) -> Dataset | None:
    """The dataset to complete values from (honouring an earlier --data), or None."""
    try:
        return Session(Color.NEVER, data_flag=ctx.find_root().params.get("data")).load()
    except Exception:  # a shell completion never prints an error or a traceback
        return None


def complete_roadmap(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of roadmap ids (numbers once a digit is typed), with their titles."""
    dataset = _completion_dataset(ctx)
    if dataset is None:
        return []
    taken = ctx.params.get("roadmaps") or []
    return queries.roadmap_choices(
        dataset, incomplete, list(taken) if isinstance(taken, (list, tuple)) else []
    )


def complete_record(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of roadmap ids (as `complete_roadmap`), else of condition ids."""
    dataset = _completion_dataset(ctx)
    if dataset is None:
        return []
    found = queries.roadmap_choices(dataset, incomplete, [])
    return found or queries.condition_choices(dataset, incomplete)


def complete_subject(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of what a note may be about: a record, or a condition."""
    dataset = _completion_dataset(ctx)
    if dataset is None:
        return []
    return [
        *queries.roadmap_choices(dataset, incomplete),
        *queries.condition_choices(dataset, incomplete),
    ]


def complete_condition(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of condition ids, with their status and title."""
    dataset = _completion_dataset(ctx)
    return queries.condition_choices(dataset, incomplete) if dataset else []


def complete_source(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of source ids, with their publisher."""
    dataset = _completion_dataset(ctx)
    return queries.source_choices(dataset, incomplete) if dataset else []


AsOfOpt = Annotated[
    dt.date | None,
    typer.Option(
        "--as-of",
        parser=parse_end,
        metavar="DATE",
        help="The state on this date (YYYY-MM-DD; YYYY-MM or YYYY: its last day), rebuilt "
        "from the histories.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")]
FieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--fields",
        metavar="FIELD,FIELD",
        help="JSON with only these fields (implies --json); an unknown one lists them all.",
    ),
]
SUMMARY_SECTIONS = "status, open, directions, spheres, conditions, latest, counts, questions"
SHOW_SECTIONS = "facts, history, sources, conditions, targets"


def _section_option(names: str) -> Any:
    return typer.Option(
        "--section",
        metavar="NAME",
        help=f"Only this table ({names}); through a pipe, the first unless named.",
        show_default=False,
    )


OnOpt = Annotated[
    When | None,
    typer.Option(
        "--on",
        parser=parse_when,
        metavar="DATE",
        help="Date of the event [today]: YYYY-MM-DD, ~YYYY-MM-DD (about), YYYY-MM, YYYY, "
        "..YYYY-MM-DD (no later than), YYYY-MM-DD.. (not before) or A..B (between).",
    ),
]


def _text_arg(value: str | None) -> str | None:
    """Text from the command line must be real text: not bytes that failed to decode."""
    if value is not None and re.search("[\ud800-\udfff]", value):
        raise typer.BadParameter("is not valid UTF-8 text")
    return value


def _source_arg(values: list[str] | None) -> list[str] | None:
    """Each --source a source id, or an http(s) URL that can be taken apart (not `http://[x`,
    no spaces); none given is None."""
    from unionstate import sources

    checked = []
    for value in values or []:
        _text_arg(value)
        try:
            checked.append(sources.reference(value))
        except UsageError as exc:
            raise typer.BadParameter(exc.message) from None
    return checked or None


def _named(source: list[str] | None) -> str:
    """The --source values given, for a message."""
    return ", ".join(source or [])


NoteOpt = Annotated[
    str | None,
    typer.Option("--note", help="What happened, in a sentence.", callback=_text_arg),
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        help="A source id from the data file, or a URL (added as a source); "
        "repeat it for an event several sources report.",
        autocompletion=complete_source,
        callback=_source_arg,
    ),
]
RoadmapsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="ROADMAP",
        help="Roadmaps by number, id or unique id prefix.",
        show_default=False,
        autocompletion=complete_roadmap,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"unionstate {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="PATH",
            help="Data file to use (default: $UNIONSTATE_DATA, ./data/roadmaps.yaml up the "
            "tree, your `init` copy, else the bundled copy).",
        ),
    ] = None,
    color: Annotated[Color, typer.Option("--color", help="Colour output.")] = Color.AUTO,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (else $UNIONSTATE_PAGER, $PAGER or `less -FRX` "
            "on a terminal).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track the Russia–Belarus Union State integration roadmaps.

    Example: unionstate list --unresolved
    """
    ctx.obj = Session(color=color, pager=not no_pager, data_flag=data)


# --------------------------------------------------------------------- read commands


TABLE_LIMIT = 500  # rows of a terminal table by default; never reached by the shipped data


@app.command("list", rich_help_panel=READING)
def list_roadmaps(
    ctx: typer.Context,
    status: Annotated[
        list[Shown] | None,
        typer.Option("--status", "-s", help="Only this status (repeatable).", show_default=False),
    ] = None,
    unresolved: Annotated[
        bool,
        typer.Option(
            "--unresolved",
            "-u",
            help="Only unresolved ones: not adopted, not known implemented, a target open or "
            "overdue, or tied to an open demand (the reasons are listed).",
        ),
    ] = False,
    programs: Annotated[
        bool,
        typer.Option("--programs", "-p", help="The 28 union programs of 2021, not the roadmaps."),
    ] = False,
    directions: Annotated[
        bool,
        typer.Option("--directions", "-d", help="The Main Directions documents, not the roadmaps."),
    ] = False,
    sphere: Annotated[str | None, typer.Option(help="Only spheres containing this text.")] = None,
    condition: Annotated[
        str | None,
        typer.Option(
            help="Only roadmaps linked to this condition id.", autocompletion=complete_condition
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Only titles or notes containing this text.")
    ] = None,
    as_of: AsOfOpt = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Show at most this many rows; 0 for all [all, except a terminal table: "
            f"{TABLE_LIMIT}].",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List roadmaps, programs or Main Directions, with their status.

    Each row: its number (P for a program, D for Main Directions), id, title, status,
    open conditions and last event; with --unresolved, why it is unresolved.

    Example: unionstate list --unresolved --sphere energy

    Example: unionstate list --programs
    """
    s = session(ctx)
    dataset = s.load()
    _past_the_end(s, dataset, as_of)
    if condition:
        condition = queries.find_condition(dataset, condition).id
    if programs and directions:
        raise UsageError("choose --programs or --directions, not both")
    documents: Sequence[models.Document] = dataset.roadmaps
    record_type: type[models.Document] = models.Roadmap
    kind = "roadmaps"
    if programs:
        documents, record_type, kind = dataset.programs, models.Program, "programs"
    elif directions:
        documents, record_type, kind = dataset.directions, models.Directions, "Main Directions"
    every = queries.states(dataset, as_of, documents)
    statuses = [s.value for s in status or []]
    rows = queries.select(
        every,
        statuses=statuses,
        unresolved=unresolved,
        sphere=sphere,
        condition=condition,
        search=search,
    )
    total = len(rows)
    if not total and (status or sphere or condition or search):
        word = {"roadmaps": "roadmap", "programs": "program"}.get(kind, "Main Directions document")
        s.say(
            queries.nothing_matches(
                queries.select(every, unresolved=unresolved),
                ("unresolved " if unresolved else "") + word,
                statuses=statuses,
                sphere=sphere,
                condition=condition,
                search=search,
                day=as_of or dataset.as_of,
            )
        )
        if s.tables and not (json_out or fields):
            return  # an empty table says nothing more
    if limit is None and s.tables and not (json_out or fields):
        limit = TABLE_LIMIT  # thousands of table rows help nobody and take seconds to lay out
    if limit and total > limit:
        rows = rows[:limit]
        s.say(f"showing {limit} of {total} {kind}; --limit 0 shows all")
    if unresolved and not total and not (status or sphere or condition or search):
        s.say(queries.nothing_unresolved(dataset, as_of, programs))
    title = f"{total} of {len(documents)} {kind}, {as_of or dataset.as_of}"
    s.emit(
        views.list_view(rows, title, record_type, reasons=unresolved),
        json_out,
        fields,
    )


@app.command(rich_help_panel=READING)
def show(
    ctx: typer.Context,
    roadmap: Annotated[
        str,
        typer.Argument(
            metavar="RECORD",
            help="Roadmap number, id or unique id prefix, program (P25), Main Directions "
            "(D2), or a condition's id.",
            autocompletion=complete_record,
        ),
    ],
    as_of: AsOfOpt = None,
    section: Annotated[str | None, _section_option(SHOW_SECTIONS)] = None,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Show one record: status, conditions, history and sources.

    A roadmap, program, Main Directions record or condition. On a terminal, everything:
    facts, linked conditions, targets, the dated history and its sources. Through a pipe,
    one table: the facts, or the --section named (the history with its sources by id, the
    sources in their own columns, ...); --json has it all.

    Example: unionstate show gas-market

    Example: unionstate show P25 --section sources

    Example: unionstate show gas-price --as-of 2021-05-28
    """
    s = session(ctx)
    dataset = s.load()
    found = queries.find_record(dataset, roadmap)
    _past_the_end(s, dataset, as_of)
    if isinstance(found, models.Condition):
        view = views.condition_show_view(dataset, queries.condition_report(dataset, found, as_of))
        s.emit(view.section(section) if section else view, json_out, fields)
        return
    row = queries.state_of(dataset, found, as_of)
    view = views.show_view(dataset, row)
    s.emit(view.section(section) if section else view, json_out, fields)


@app.command(rich_help_panel=READING)
def conditions(
    ctx: typer.Context, as_of: AsOfOpt = None, json_out: JsonOpt = False, fields: FieldsOpt = None
) -> None:
    """List Belarus's conditions, by how many records each holds up.

    With --as-of, as they stood that day (a condition not yet raised is left out).

    Example: unionstate conditions --as-of 2021-05-28
    """
    s = session(ctx)
    dataset = s.load()
    reports = queries.condition_reports(dataset, as_of)
    s.emit(views.conditions_view(reports, dataset), json_out, fields)


@app.command(rich_help_panel=READING)
def summary(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="On a terminal, everything (piped and JSON output always are)."
        ),
    ] = False,
    section: Annotated[str | None, _section_option(SUMMARY_SECTIONS)] = None,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Progress at a glance: what is still open, and both axes.

    On a terminal it fits one screen; --full adds spheres, every reported count beside the
    record's, and the open questions. Through a pipe, one table: the records per status,
    or the --section named; --json has it all. For a page to share: `unionstate report`.

    Example: unionstate summary --as-of 2019-12-31

    Example: unionstate summary --section counts | cut -f1,2,13
    """
    s = session(ctx)
    dataset = s.load()
    _past_the_end(s, dataset, as_of)
    result = queries.summarise(dataset, as_of)
    view = views.summary_view(result, full, dataset)
    s.emit(view.section(section) if section else view, json_out, fields)


@app.command(rich_help_panel=PUBLISHING)
def report(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="Directory to write the site into (made if missing)."),
    ] = Path("site"),
    force: Annotated[
        bool,
        typer.Option("--force", help="Write into a folder that holds files of someone else's."),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The site's http(s) address: the feed and the citations link absolutely "
            "[links relative to the site].",
        ),
    ] = None,
    as_of: RewindOpt = None,
) -> None:
    """Write the record as a static web site, with a feed and data.

    What is still open, charts, a page per record, the conditions, the sources, an Atom
    feed and the data as downloads. No script, nothing fetched from elsewhere.

    DIR must be new, empty, or a site the report wrote before (it leaves a
    `.unionstate-report` file); --force writes into any folder. Only the report's own files
    are written (each atomically), never through a symbolic link; nothing else is touched.

    Example: unionstate report site --base-url https://example.org/roadmaps/
    """
    s = session(ctx)
    from unionstate import report as web

    base = web.base_url(base_url) if base_url is not None else None
    site = web.build(_rewound(s, s.load(), as_of), base)
    files.write_files(directory, site, force=force)
    pages = sum(path.endswith(".html") for path in site)
    others = len(site) - pages
    s.say(
        f"wrote {pages} pages and {others} other file{'' if others == 1 else 's'} to {directory}; "
        f"open {directory / 'index.html'}"
    )


class EventKind(str, Enum):
    """What an event of `history --kind` is about."""

    ROADMAP = "roadmap"
    PROGRAM = "program"
    DIRECTIONS = "directions"
    CONDITION = "condition"
    COUNT = "count"

    @property
    def kind(self) -> str:
        """The timeline's own name of it (a count is a milestone)."""
        return "milestone" if self is EventKind.COUNT else self.value


@app.command(rich_help_panel=READING)
def history(
    ctx: typer.Context,
    roadmap: Annotated[
        str | None,
        typer.Argument(
            metavar="RECORD",
            help="Only this roadmap (number, id or prefix), program, Main Directions or condition.",
            autocompletion=complete_record,
        ),
    ] = None,
    since: Annotated[
        dt.date | None,
        typer.Option(
            parser=parse_start,
            metavar="DATE",
            help="Events on or after this date (YYYY-MM-DD; YYYY-MM or YYYY: its first day).",
        ),
    ] = None,
    until: Annotated[
        dt.date | None,
        typer.Option(
            parser=parse_end,
            metavar="DATE",
            help="Events on or before this date (YYYY-MM-DD; YYYY-MM or YYYY: its last day).",
        ),
    ] = None,
    chart: Annotated[
        bool,
        typer.Option(
            "--chart",
            help="Instead of events: roadmaps agreed, signed, pending and blocked at the end "
            "of each month, as bars (a table through a pipe).",
        ),
    ] = False,
    programs: Annotated[
        bool, typer.Option("--programs", help="With --chart: the union programs' adoption.")
    ] = False,
    implementation: Annotated[
        bool,
        typer.Option(
            "--implementation",
            help="With --chart: the programs' implementation (completed, under way, "
            "disputed, undetermined, not started).",
        ),
    ] = False,
    kind: Annotated[
        list[EventKind] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Only events of this kind of record (repeatable); count: the figures "
            "officials reported.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            help="Only the latest N events (still oldest first) [all].",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """One timeline of every record's events, oldest first.

    Status changes, assessments and notes of roadmaps, programs, Main Directions and
    conditions, and the counts officials reported.

    Example: unionstate history gas-market --since 2020-01-01

    Example: unionstate history --kind program --limit 10

    Example: unionstate history --chart

    Example: unionstate history --chart --implementation
    """
    s = session(ctx)
    dataset = s.load()
    if chart:
        axis = "implementation" if implementation else "programs" if programs else "roadmaps"
        _progress_chart(s, dataset, roadmap, axis, (since, until), json_out, fields)
        return
    if programs or implementation:
        raise UsageError("--programs and --implementation go with --chart")
    found = queries.find_record(dataset, roadmap) if roadmap else None
    events = queries.timeline(dataset, found, since, until)
    if kind:
        wanted = {k.kind for k in kind}
        events = [e for e in events if e.kind in wanted]
    total = len(events)
    if limit is not None and total > limit:
        events = events[-limit:]
        s.say(f"showing the latest {limit} of {total} events")
    if not events:
        s.say(_no_events(roadmap, kind, since, until))
        if s.tables and not (json_out or fields):
            return
    s.emit(views.timeline_view(events, dataset), json_out, fields)


def _no_events(
    roadmap: str | None,
    kind: Sequence[EventKind] | None,
    since: dt.date | None,
    until: dt.date | None,
) -> str:
    """What `history` says when nothing matched: which of its filters were given."""
    what = [f"of {roadmap}"] if roadmap else []
    if kind:
        what.append(f"of kind {' or '.join(k.value for k in kind)}")
    if since:
        what.append(f"on or after {since}")
    if until:
        what.append(f"on or before {until}")
    return "no event " + " ".join(what) if what else "the record has no events"


def _programs_by_month(dataset: Dataset) -> list[queries.MonthProgress]:
    return queries.progress_by_month(dataset, dataset.programs)


CHARTS = {  # history --chart: what is counted, how, and the chart's title
    "roadmaps": (
        queries.progress_by_month,
        queries.STATUSES,
        "Roadmaps by status at the end of each month",
    ),
    "programs": (
        _programs_by_month,
        queries.STATUSES,
        "Programs by status at the end of each month",
    ),
    "implementation": (
        queries.implementation_by_month,
        queries.IMPLEMENTATION_STATES,
        "Programs by implementation at the end of each month",
    ),
}


def _progress_chart(
    s: Session,
    dataset: Dataset,
    roadmap: str | None,
    axis: str,
    period: tuple[dt.date | None, dt.date | None],
    json_out: bool,
    fields: str | None,
) -> None:
    if roadmap:
        counted = "roadmaps" if axis == "roadmaps" else "programs"
        raise UsageError(f"--chart counts all {counted}: leave out ROADMAP")
    since, until = period
    by_month, states, title = CHARTS[axis]
    start = since.replace(day=1) if since else None
    months = [
        m
        for m in by_month(dataset)
        if (start is None or m.month >= start) and (until is None or m.month <= until)
    ]
    s.emit(views.progress_view(months, title, states), json_out, fields)


@app.command(rich_help_panel=SETUP)
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            help="Files to check, all of them [the data file in use].",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check data files; every problem as FILE:LINE:COL (exit 3).

    One OK line per valid file. With --json, one document: each file, whether it is
    valid, what it holds, and its problems (still exit 3 when there are any).

    Example: unionstate validate data/roadmaps.yaml
    """
    s = session(ctx)
    problems: list[str] = []
    checked: list[dict[str, Any]] = []
    for target in paths or [s.data_file().path]:
        try:
            dataset = store.load(target)
        except DataError as exc:
            problems.extend(exc.problems)
            checked.append({"file": str(target), "valid": False, "problems": list(exc.problems)})
            continue
        counts = {
            "roadmaps": len(dataset.roadmaps),
            "programs": len(dataset.programs),
            "directions": len(dataset.directions),
            "conditions": len(dataset.conditions),
            "milestones": len(dataset.milestones),
            "sources": len(dataset.sources),
        }
        checked.append({"file": str(target), "valid": True, **counts, "problems": []})
        if not json_out:
            s.plain(
                f"ok: {target}: {counts['roadmaps']} roadmaps, {counts['conditions']} "
                f"conditions, {counts['milestones']} milestones, {counts['sources']} sources\n"
            )
    if json_out:
        s.plain(views.to_json(checked))
    if problems:
        raise DataError(problems)


class CsvTable(str, Enum):
    """The tables of `export --format csv`."""

    ROADMAPS = "roadmaps"
    PROGRAMS = "programs"
    DIRECTIONS = "directions"
    CONDITIONS = "conditions"
    EVENTS = "events"
    COUNTS = "counts"
    SOURCES = "sources"


RewindOpt = Annotated[
    dt.date | None,
    typer.Option(
        "--as-of",
        parser=parse_end,
        metavar="DATE",
        help="The record as it stood on this date (what surely happened by then), as "
        "`init --as-of` makes it.",
    ),
]


def _rewound(s: Session, dataset: Dataset, as_of: dt.date | None) -> Dataset:
    """The record as it stood on `as_of` (all of it when None); on or past its last day,
    the whole record as it is (saying where it ends), never one that claims a later day."""
    if as_of is None:
        return dataset
    _past_the_end(s, dataset, as_of)
    if as_of >= dataset.as_of:
        return dataset
    from unionstate import updates

    return updates.rewind(dataset, as_of)


@app.command(rich_help_panel=PUBLISHING)
def export(
    ctx: typer.Context,
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.JSON,
    table: Annotated[
        CsvTable | None,
        typer.Option(
            "--table",
            "-t",
            help="With csv: which table, a row per record, event, reported count or source "
            "[roadmaps].",
            show_default=False,
        ),
    ] = None,
    as_of: RewindOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Write to this file ('-': stdout) [stdout]. A FIFO or device is written into.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow writing over the data file in use.")
    ] = False,
) -> None:
    """Export the record as JSON, one CSV table, or Markdown.

    JSON is all of it; CSV one table (--table); Markdown a report to read.

    The Markdown report has what is still open, both axes, the conditions, the counts
    officials reported, the open questions and every record with its sourced history.

    Example: unionstate export --format csv --table events --output events.csv

    Example: unionstate export --format markdown --as-of 2021-12-31
    """
    s = session(ctx)
    if table is not None and format is not ExportFormat.CSV:
        raise UsageError("--table goes with --format csv")
    dataset = _rewound(s, s.load(), as_of)
    document = views.dataset_object(dataset)
    if format is ExportFormat.CSV:
        name = (table or CsvTable.ROADMAPS).value
        view = views.text_view(views.csv_table(dataset, name), document)
    elif format is ExportFormat.MARKDOWN:
        view = views.text_view(views.to_markdown(dataset, queries.summarise(dataset)), document)
    else:
        view = views.text_view(views.to_json(document), document)
    target = None if output is None or str(output) == "-" else output
    if target is not None:
        from unionstate import targets

        targets.check_not_data_file(target, s.data_file().path, force)
    s.emit(view, target=target)


@app.command(rich_help_panel=SETUP)
def info(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Show the version, the data file in use and why it was chosen.

    Example: unionstate info
    """
    s = session(ctx)
    data_file = s.data_file()
    why = {
        "--data": "given with --data",
        "UNIONSTATE_DATA": "from the UNIONSTATE_DATA environment variable",
        "tree": "found as data/roadmaps.yaml in this directory or above, in a directory you own",
        "user": "your working copy made by `unionstate init`",
        "bundled": "the copy bundled with unionstate (read-only; `unionstate init` makes one)",
    }[data_file.origin]
    if data_file.stopped_at:
        why += (
            f"; the search for data/roadmaps.yaml stopped at {data_file.stopped_at}, "
            "which you do not own"
        )
    document = {
        "version": __version__,
        "data_file": str(data_file.path),
        "chosen": why,
        "writable": data_file.writable,
        "schema_version": SCHEMA_VERSION,
    }
    rows = [[key, views.value_text(value)] for key, value in document.items()]
    s.emit(views.table_view(("field", "value"), rows, document), json_out)


@app.command(rich_help_panel=SETUP)
def schema(ctx: typer.Context) -> None:
    """Print the data file's JSON Schema, for editors.

    Generated from the data model.

    A data file's first line points editors at roadmaps.schema.json beside it.

    Example: unionstate schema > data/roadmaps.schema.json
    """
    session(ctx).plain(views.schema_json())


# -------------------------------------------------------------------- write commands


def _today() -> dt.date:
    return dt.date.today()


def _apply(s: Session, change: Callable[[Dataset], store.ChangeT]) -> store.ChangeT:
    """Run a pure update under the data file's lock, journaled for undo; what it did."""
    from unionstate import journal

    return journal.update(s.writable_path(), change, s.say)


def _transition(
    ctx: typer.Context,
    action: str,
    roadmaps: list[str],
    on: When | None,
    note: str | None,
    source: list[str] | None,
    *,
    condition: str | None = None,
    force: bool = False,
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    if action == "reopen":  # roadmaps, programs, or a condition
        outcome = _apply(s, lambda d: updates.reopen(d, roadmaps, entry, today))
    else:
        outcome = _apply(
            s,
            lambda d: updates.transition(
                d, action, roadmaps, entry, today, condition=condition, force=force
            ),
        )
    target = updates.TRANSITIONS[action][1].value
    labels = {r.id: r.label for r in outcome.dataset.documents}
    reopened = {c.id for c in outcome.dataset.conditions} & set(outcome.changed)
    if reopened:
        statuses = {c.id: c.status.value for c in outcome.dataset.conditions}
        for cid in reopened:
            s.say(f"condition {cid}: open on {entry.on}" + _backfilled(outcome, cid, statuses))
            s.say(
                "the records it freed stay as they are: "
                f"`unionstate block ROADMAP --condition {cid}` for those it holds up again"
            )
        return
    for rid in outcome.unchanged:
        s.say(f"{labels[rid]} is already {target}; nothing changed")
    statuses = {r.id: r.status.value for r in outcome.dataset.documents}
    for rid in outcome.changed:
        s.say(f"{labels[rid]}: {target} on {entry.on}" + _backfilled(outcome, rid, statuses))
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


def _backfilled(outcome: updates.Outcome, rid: str, statuses: dict[str, str]) -> str:
    """What a back-filled event leaves: the record's later events decide its status."""
    if rid not in outcome.backfilled:
        return ""
    return f" (back-filled before its event of {outcome.backfilled[rid]}; now {statuses[rid]})"


@app.command(rich_help_panel=RECORDING)
def sign(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Sign even if not agreed or tied to an open condition (needs --note)."
        ),
    ] = False,
) -> None:
    """Mark roadmaps signed; refused while not agreed or held up.

    All or nothing: refused while one is not agreed or a linked condition is open.

    Example: unionstate sign customs --on 2021-09-10
    """
    _transition(ctx, "sign", roadmaps, on, note, source, force=force)


@app.command(rich_help_panel=RECORDING)
def agree(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Mark roadmaps agreed (from pending or blocked).

    Example: unionstate agree gas-market --on 2021-09-09
    """
    _transition(ctx, "agree", roadmaps, on, note, source)


@app.command(rich_help_panel=RECORDING)
def block(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    condition: Annotated[
        str,
        typer.Option(
            "--condition",
            "-c",
            help="The open condition that blocks them.",
            autocompletion=complete_condition,
        ),
    ],
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Mark roadmaps blocked by an open condition (linked if need be).

    Example: unionstate block customs --condition goods-restrictions
    """
    _transition(ctx, "block", roadmaps, on, note, source, condition=condition)


@app.command(rich_help_panel=RECORDING)
def reopen(
    ctx: typer.Context,
    roadmaps: Annotated[
        list[str],
        typer.Argument(
            metavar="RECORD",
            help="Roadmaps by number, id or unique id prefix; or one condition's id.",
            show_default=False,
            autocompletion=complete_record,
        ),
    ],
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Send roadmaps back to pending, or a resolved condition to open.

    Agreed, signed and set-aside roadmaps may be reopened.

    Example: unionstate reopen customs --note "Reopened by RBC report"

    Example: unionstate reopen gas-price --on 2022-01 --source URL
    """
    _transition(ctx, "reopen", roadmaps, on, note, source)


@app.command("set-aside", rich_help_panel=RECORDING)
def set_aside(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Take roadmaps off the table; `reopen` brings them back.

    From pending, blocked or agreed. A set-aside roadmap is not unresolved, and cannot be
    agreed or signed until reopened.

    Example: unionstate set-aside supranational-bodies --on 2019-12-07
    """
    _transition(ctx, "set-aside", roadmaps, on, note, source)


@app.command(rich_help_panel=RECORDING)
def resolve(
    ctx: typer.Context,
    condition: Annotated[
        str,
        typer.Argument(
            metavar="CONDITION", help="Condition id.", autocompletion=complete_condition
        ),
    ],
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Mark a condition resolved; says which roadmaps it frees.

    The roadmaps it alone held up go from blocked to pending.

    Example: unionstate resolve gas-price --on 2021-09-09
    """
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(s, lambda d: updates.resolve_condition(d, condition, entry, today))
    for cid in outcome.unchanged:
        s.say(f"condition {cid} is already resolved; nothing changed")
    statuses = {c.id: c.status.value for c in outcome.dataset.conditions}
    statuses.update({r.id: r.status.value for r in outcome.dataset.documents})
    for cid in outcome.changed:
        s.say(f"condition {cid}: resolved on {entry.on}" + _backfilled(outcome, cid, statuses))
    if outcome.freed:
        backfilled = [
            f"{r} (before its event of {outcome.backfilled[r]}; now {statuses[r]})"
            for r in outcome.freed
            if r in outcome.backfilled
        ]
        now = [r for r in outcome.freed if r not in outcome.backfilled]
        if now:
            s.say(f"freed (now pending): {', '.join(now)}")
        if backfilled:
            s.say(f"freed on {entry.on}: {', '.join(backfilled)}")
    elif outcome.changed:
        s.say("no roadmap was waiting on it alone")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


# ------------------------------------------- the implementation axis, notes and targets

Side = models.Side
RecordArg = Annotated[
    str,
    typer.Argument(
        metavar="RECORD",
        help="A roadmap, program (P25) or Main Directions document (D2) by number or id.",
        autocompletion=complete_roadmap,
    ),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who said it.", callback=_text_arg)]
SideOpt = Annotated[Side | None, typer.Option("--side", help="Whose side said it.")]
TargetArg = Annotated[str, typer.Argument(metavar="TARGET", help="The target's id.")]
DueOpt = Annotated[
    When,
    typer.Option("--due", parser=parse_when, metavar="DATE", help="The planned date."),
]


def _recorded(s: Session, outcome: updates.Outcome, what: str, source: list[str] | None) -> None:
    labels = {r.id: r.label for r in outcome.dataset.documents}
    labels.update({c.id: f"condition {c.id}" for c in outcome.dataset.conditions})
    for rid in outcome.changed:
        s.say(f"{labels[rid]}: {what}")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


_ASSESS_HELP = (
    "Record how far a program is implemented, and who says so.\n\n"
    "A program or a Main Directions document: its state, who assessed it, and a figure."
    "\n\nExample: "
    "unionstate assess P19 under-way --on 2023-06-08 --by Zverev --side russia "
    "--done 101 --total 112 --unit tasks --source uralelement-transport"
)


@app.command(help=_ASSESS_HELP, rich_help_panel=RECORDING)
def assess(
    ctx: typer.Context,
    record: RecordArg,
    state: Annotated[
        models.ImplementationState,
        typer.Argument(metavar="STATE", help="not-started, under-way or completed."),
    ],
    by: Annotated[str, typer.Option("--by", help="Who assessed it.", callback=_text_arg)],
    side: Annotated[Side, typer.Option("--side", help="Whose side assessed it.")],
    source: SourceOpt = None,
    on: OnOpt = None,
    note: NoteOpt = None,
    percent: Annotated[
        float | None, typer.Option(min=0, max=100, help="Progress as a percentage.")
    ] = None,
    done: Annotated[int | None, typer.Option(min=0, help="Parts done (with --total).")] = None,
    total: Annotated[int | None, typer.Option(min=0, help="Parts in all (with --done).")] = None,
    unit: Annotated[
        str | None, typer.Option(help="What the parts are: tasks, measures…", callback=_text_arg)
    ] = None,
    late: Annotated[int | None, typer.Option(min=0, help="Parts behind schedule.")] = None,
) -> None:
    from unionstate import updates

    if (done is None) != (total is None):
        raise UsageError("give --done and --total together")
    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    progress = {"percent": percent, "done": done, "total": total, "unit": unit, "late": late}
    outcome = _apply(
        s,
        lambda d: updates.assess(
            d, record, state.value, entry, today, by=by, side=side.value, progress=progress
        ),
    )
    _recorded(s, outcome, f"{state.value} on {entry.on}, according to {by} ({side.value})", source)


@app.command("note", rich_help_panel=RECORDING)
def note_command(
    ctx: typer.Context,
    record: Annotated[
        str,
        typer.Argument(
            metavar="RECORD",
            help="A roadmap, program, Main Directions document or condition.",
            autocompletion=complete_subject,
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="What was said.", callback=_text_arg)],
    source: SourceOpt = None,
    on: OnOpt = None,
    by: ByOpt = None,
    side: SideOpt = None,
) -> None:
    """Record a statement that changes no status, and its source.

    An observation, on a roadmap, program, Main Directions document or condition.

    Example: unionstate note P25 --on 2025 --note "No launch date." --source reform-news-gas
    """
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: updates.note(d, record, entry, today, by=by, side=side.value if side else None),
    )
    _recorded(s, outcome, f"note on {entry.on}", source)


target_app = typer.Typer(
    cls=_Group,
    help="Targets: what is to be achieved by a planned date.\n\n"
    "Add one, move its date, or set it met or missed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(target_app, name="target", rich_help_panel=RECORDING)


_TARGET_ADD_HELP = (
    "Give a record a target with its planned date.\n\nExample: "
    "unionstate target add P28 nuclear-law --title 'Nuclear-safety law unified' "
    "--due 2023-12 --on 2021-09-10 --source trend-az-3482292"
)


@target_app.command("add", help=_TARGET_ADD_HELP)
def target_add(
    ctx: typer.Context,
    record: RecordArg,
    target: TargetArg,
    title: Annotated[
        str, typer.Option("--title", help="What is to be achieved.", callback=_text_arg)
    ],
    due: DueOpt,
    source: SourceOpt = None,
    on: Annotated[
        When | None,
        typer.Option("--on", parser=parse_when, metavar="DATE", help="When it was set [today]."),
    ] = None,
    by: ByOpt = None,
    side: SideOpt = None,
    note: NoteOpt = None,
    notes: Annotated[
        str | None,
        typer.Option(
            "--notes",
            help="The target's standing notes (--note is about its planned date).",
            callback=_text_arg,
        ),
    ] = None,
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: updates.add_target(
            d,
            record,
            target,
            title,
            due,
            entry,
            today,
            by=by,
            side=side.value if side else None,
            notes=notes,
        ),
    )
    _recorded(s, outcome, f"target {target} due {due}", source)


_TARGET_MOVE_HELP = (
    "Record that a target's planned date moved.\n\nThe old dates stay in its history."
    "\n\nExample: "
    "unionstate target move P26 oil-market --due 2027-01-01 --on 2024-12-06 --source "
    "https://telegraf.news/ehkonomika/"
    "rossiya-otlozhila-perehod-na-obshhij-s-belarusju-neftyanoj-rynok-kogda-novyj-srok/"
)


@target_app.command("move", help=_TARGET_MOVE_HELP)
def target_move(
    ctx: typer.Context,
    record: RecordArg,
    target: TargetArg,
    due: DueOpt,
    source: SourceOpt = None,
    on: Annotated[
        When | None,
        typer.Option("--on", parser=parse_when, metavar="DATE", help="When it moved [today]."),
    ] = None,
    by: ByOpt = None,
    side: SideOpt = None,
    note: NoteOpt = None,
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: updates.move_target(
            d, record, target, due, entry, today, by=by, side=side.value if side else None
        ),
    )
    _recorded(s, outcome, f"target {target} now due {due}", source)


class Settled(str, Enum):
    """How a target ended."""

    MET = "met"
    MISSED = "missed"


_TARGET_SET_HELP = (
    "Record that a target was met or missed.\n\nExample: "
    "unionstate target set P27 electricity-market-opens missed --on 2023-12-29 "
    "--source tass-1728047"
)


@target_app.command("set", help=_TARGET_SET_HELP)
def target_set(
    ctx: typer.Context,
    record: RecordArg,
    target: TargetArg,
    state: Annotated[Settled, typer.Argument(metavar="met|missed", help="How it ended.")],
    source: SourceOpt = None,
    on: OnOpt = None,
    note: NoteOpt = None,
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s, lambda d: updates.settle_target(d, record, target, state.value, entry, today)
    )
    _recorded(s, outcome, f"target {target} {state.value} on {entry.on}", source)


@app.command(rich_help_panel=SETUP)
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(metavar="PATH", help="Where to write the copy [your user data directory]."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    as_of: Annotated[
        dt.date | None,
        typer.Option(
            "--as-of",
            parser=parse_end,
            metavar="DATE",
            help="Rewind the copy to this date: only what surely happened by then is kept, "
            "so that history can be replayed with the update commands.",
        ),
    ] = None,
) -> None:
    """Write your own working copy of the bundled dataset.

    A fresh copy, or (--as-of) the record as it stood on a date.

    Example: unionstate init ~/roadmaps.yaml

    Example: unionstate init --as-of 2021-05-28 sochi-2021.yaml
    """
    from unionstate import targets

    s = session(ctx)
    target = path or Path(typer.get_app_dir("unionstate")) / store.DATA_NAME
    # The header's `$schema=roadmaps.schema.json` is relative: an editor looks beside the file.
    schema = target.parent / SCHEMA_NAME
    if not force:
        for existing in (target, schema):
            if existing.exists() or existing.is_symlink():
                raise Refused(
                    f"{one_line(str(existing))} already exists; nothing was written "
                    "(use --force to overwrite)"
                )
    data = store.read_bytes(store.bundled_path())
    if as_of is not None:
        from unionstate import updates

        data = store.dumps(updates.rewind(store.loads(data, str(store.bundled_path())), as_of))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(f"{target.parent}: cannot create: {exc.strerror or exc}") from None
    targets.write(target, data)
    rewound = f" as it stood on {as_of}" if as_of else ""
    s.say(f"wrote a working copy of the dataset{rewound} to {target}")
    targets.write(schema, views.schema_json().encode("utf-8"))
    s.say(f"wrote its JSON Schema, for editors, to {schema}")
    if path is not None:
        s.say(f"use it with: unionstate --data {target} …  (or export UNIONSTATE_DATA={target})")


# ------------------------------------------------------------- git, diff and undo


@app.command("merge", rich_help_panel=GIT)
def merge_versions(
    ctx: typer.Context,
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor (%O).")],
    ours: Annotated[
        Path, typer.Argument(metavar="OURS", help="Our version (%A); the result goes here.")
    ],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (%B).")],
    path: Annotated[
        str | None,
        typer.Option("--path", metavar="NAME", help="The file's name, for messages (%P)."),
    ] = None,
) -> None:
    """Merge two versions of a data file record by record (git).

    Git's merge driver.

    Writes the merge to OURS. Exit 0 when clean; 1 when conflicts remain (one line each on
    stderr; OURS keeps our side of them, valid, with the conflicts recorded as comments);
    3 when a version is invalid (OURS untouched). `unionstate git-setup` registers it.

    Example: unionstate merge base.yaml ours.yaml theirs.yaml --path data/roadmaps.yaml
    """
    from unionstate import diff, gitrepo, merge

    s = session(ctx)
    name = path or str(ours)
    result = gitrepo.merge_files(base, ours, theirs, name)
    for theirs_id, ours_id in result.renamed.items():
        s.say(f"their new source {theirs_id} is {ours_id} here")
    if result.conflicts:
        raise merge.Unmerged(name, result.conflicts)
    taken = diff.changes(result.versions[-2], result.dataset)  # from ours
    s.say(f"merged {name}: {len(taken)} change(s) from theirs, no conflicts")


VersionsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[OLD] [NEW]",
        help="Files or git revisions of the data file in use [OLD: HEAD, NEW: the file].",
        show_default=False,
    ),
]


@app.command("diff", rich_help_panel=GIT)
def diff_versions(
    ctx: typer.Context,
    versions: VersionsArg = None,
    last: Annotated[
        bool,
        typer.Option(
            "--last", help="The last change made through unionstate (from its journal, no git)."
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """What changed between two versions of the data, in words.

    One change per line.

    OLD and NEW are files, or git revisions of the data file in use (a file by that name
    wins); NEW defaults to the file itself, OLD to the revision HEAD. Given git's seven
    arguments (nine for a rename) it works as an external diff (`diff.unionstate.command`,
    see the README).

    Example: unionstate diff HEAD~1

    Example: unionstate diff --last
    """
    from unionstate import diff

    s = session(ctx)
    given = list(versions or [])
    if last:
        if given:
            raise UsageError("--last takes no versions: it is the journal's last change")
        from unionstate import journal

        entry, old_bytes, new_bytes = journal.change(s.data_file().path)
        s.say(f"#{entry.id} ({entry.time}): {entry.description}")
        pair = [(old_bytes, f"before #{entry.id}"), (new_bytes, str(s.data_file().path))]
        found = diff.changes(*store.loads_versions(pair))
    elif len(given) in (7, 9):  # git's external diff: path old-file old-hex old-mode new-file
        # new-hex new-mode, and for a rename or copy the new path and how similar they are
        old, new = _external_versions(given[0], given[1], given[4])
        found = (
            []
            if old is new is None
            else diff.changes(old or diff.empty_like(new), new or diff.empty_like(old))
        )
        renamed = f" → {given[7]}" if len(given) == 9 else ""
        s.plain(one_line(f"unionstate diff {given[0]}{renamed}") + "\n")
    elif len(given) > 2:
        raise UsageError("diff takes at most two versions: OLD and NEW")
    elif not given:  # HEAD, the revision, even if a file in this folder is called HEAD
        found = diff.changes(*_data_versions(s, "HEAD", None, revision=True))
    else:
        old_spec, new_spec = [*given, None, None][:2]
        found = diff.changes(*_data_versions(s, old_spec, new_spec))
    text = "".join(clean(change.text) + "\n" for change in found)
    s.emit(views.text_view(text, [change.as_json() for change in found]), json_out)


def _data_versions(s: Session, *specs: str | None, revision: bool = False) -> list[Dataset]:
    """Versions to compare: the data file in use (None), files, or git revisions of it
    (with `revision`, the first spec is a revision even if a file has its name)."""
    path = s.data_file().path
    files = [path if spec is None else Path(spec) for spec in specs]
    is_file = [
        spec is None or (file.is_file() and not (revision and i == 0))
        for i, (spec, file) in enumerate(zip(specs, files, strict=True))
    ]
    if all(is_file):
        return [store.load(file) for file in files]  # files: the parse cache may know them
    from unionstate import gitrepo

    versions = []
    for spec, file, plain_file in zip(specs, files, is_file, strict=True):
        if spec is None or plain_file:
            versions.append((store.read_bytes(file), str(file)))
        else:
            versions.append((gitrepo.show(path, spec), f"{spec}:{path}"))
    return store.loads_versions(versions)


def _external_versions(name: str, *files: str) -> list[Dataset | None]:
    """The two sides of git's external diff (None for '/dev/null': no file on that side)."""
    sides = [(store.read_bytes(Path(f)), name) for f in files if f != os.devnull]
    loaded = iter(store.loads_versions(sides))
    return [None if f == os.devnull else next(loaded) for f in files]


@app.command(rich_help_panel=GIT)
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    to: Annotated[
        int | None,
        typer.Option(
            "--to", metavar="N", help="Go back to the state before change #N (see --list)."
        ),
    ] = None,
    list_changes: Annotated[
        bool,
        typer.Option("--list", help="Show the recent changes instead, newest last."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Step back through the changes unionstate made to the data file.

    Each undo goes one change further back; `unionstate redo` puts them back.

    Prints what it will revert and asks (--yes does not; off a terminal --yes is needed).
    Refused when the file was changed by something else since. --list shows the journal:
    each change by its main effect, and whether it is applied or undone.

    Example: unionstate undo --yes

    Example: unionstate undo --to 3 --yes
    """
    from unionstate import journal

    s = session(ctx)
    path = s.writable_path()
    if list_changes:
        if to is not None:
            raise UsageError("--list and --to do not go together")
        _undo_list(s, path, json_out)
        return
    steps = journal.plan(path, to)
    for entry in steps:
        s.say(f"will revert #{entry.id} ({entry.time}): {entry.description}")
    _confirm(yes, "undo", "Revert it?" if len(steps) == 1 else f"Revert these {len(steps)}?")
    journal.undo(path, steps)
    reverted = ", ".join(f"#{e.id}" for e in steps)
    s.say(f"reverted {reverted}; `unionstate redo` puts {'it' if len(steps) == 1 else 'them'} back")


def _undo_list(s: Session, path: Path, json_out: bool) -> None:
    from unionstate import journal

    entries = journal.entries(path)
    applied, undone = journal.stacks(entries)

    def state(entry: journal.Entry) -> str:
        if entry.step:
            return "undo" if entry.undoes is not None else "redo"
        return "applied" if entry in applied else "undone" if entry in undone else "forgotten"

    rows = [[str(e.id), e.time, state(e), e.description] for e in entries]
    document = [{**journal.as_json(e), "state": state(e)} for e in entries]
    s.emit(views.table_view(("id", "time", "state", "change"), rows, document), json_out)


def _confirm(yes: bool, command: str, question: str) -> None:
    """Ask on a terminal unless --yes; off a terminal --yes is needed (a usage error)."""
    if yes:
        return
    if not is_terminal(sys.stdin):
        raise UsageError(f"not on a terminal: run `unionstate {command} --yes` to do it")
    try:
        confirmed = typer.confirm(question, err=True)
    except typer.Abort:  # Ctrl-C or end of input at the prompt
        sys.stderr.write("\nunionstate: interrupted; nothing was changed\n")
        raise typer.Exit(130) from None
    if not confirmed:
        raise Refused("nothing was changed")


@app.command(rich_help_panel=GIT)
def redo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Put back the change undone last (an undo of an undo).

    Refused once a new change was made since, or when the file was changed by something
    else.

    Example: unionstate redo --yes
    """
    from unionstate import journal

    s = session(ctx)
    path = s.writable_path()
    entry = journal.next_redo(path)
    s.say(f"will put back #{entry.id} ({entry.time}): {entry.description}")
    _confirm(yes, "redo", "Put it back?")
    journal.redo(path, entry)
    s.say(f"put back #{entry.id}; `unionstate undo` reverts it again")


@app.command("git-setup", rich_help_panel=GIT)
def git_setup(
    ctx: typer.Context,
    pattern: Annotated[
        str | None,
        typer.Argument(
            metavar="PATTERN",
            help="The .gitattributes pattern [the data file in use; with --global its name].",
        ),
    ] = None,
    everywhere: Annotated[
        bool,
        typer.Option("--global", help="In your global git config and attributes file instead."),
    ] = False,
) -> None:
    """Register unionstate's merge driver with git; safe to rerun.

    Sets merge.unionstate in the repository's git config and adds `PATTERN merge=unionstate`
    to its .gitattributes (with --global: your global config and attributes file).

    Example: unionstate git-setup
    """
    from unionstate import gitrepo

    s = session(ctx)
    path = s.data_file().path if everywhere else s.writable_path()
    for line in gitrepo.setup(path, pattern, everywhere):
        s.say(line)


# ------------------------------- records: sources, counts, new records, edits (issue 20)


def parse_day(value: str) -> dt.date:
    """A whole day, YYYY-MM-DD (a source's date); else a usage error."""
    text = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
        raise typer.BadParameter(f"expected a date as YYYY-MM-DD; got {value!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a real date") from None


def _ids_arg(value: str | None) -> list[str] | None:
    """A comma-separated list of ids (--members, --succeeds); None when not given."""
    value = _text_arg(value)
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


source_app = typer.Typer(
    cls=_Group,
    help="Sources: add one with its publisher and title, or correct one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(source_app, name="source", rich_help_panel=RECORDING)

PublisherOpt = Annotated[
    str | None, typer.Option("--publisher", help="Who published it.", callback=_text_arg)
]
SourceTitleOpt = Annotated[
    str | None, typer.Option("--title", help="Its headline, as published.", callback=_text_arg)
]
SourceDateOpt = Annotated[
    dt.date | None,
    typer.Option("--date", parser=parse_day, metavar="YYYY-MM-DD", help="When it was published."),
]
LanguageOpt = Annotated[
    str | None,
    typer.Option("--language", help="The language of its text (ru, be, en).", callback=_text_arg),
]
ReprintOpt = Annotated[
    str | None,
    typer.Option(
        "--reprint-of",
        metavar="AGENCY",
        help="The agency whose copy it carries, if it says so (TASS, BelTA).",
        callback=_text_arg,
    ),
]


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="Its http(s) address.")],
    publisher: Annotated[
        str, typer.Option("--publisher", help="Who published it.", callback=_text_arg)
    ],
    title: SourceTitleOpt = None,
    date: SourceDateOpt = None,
    language: LanguageOpt = None,
    reprint_of: ReprintOpt = None,
    source_id: Annotated[
        str | None,
        typer.Option("--id", help="Its id [derived from the URL].", callback=_text_arg),
    ] = None,
) -> None:
    """Add a source and print its id; a URL the record already holds prints the id it has.

    Every `--source` may then name the id or the URL.

    Example: unionstate source add https://en.trend.az/world/russia/3481813.html
    --publisher Trend --reprint-of TASS --id trend-az-3481813
    """
    from unionstate import records

    s = session(ctx)
    fields = {
        "publisher": publisher,
        "title": title,
        "date": date,
        "language": language,
        "reprint_of": reprint_of,
    }
    added = _apply(s, lambda d: records.add_source(d, url, fields, source_id))
    if added.existed:
        differ = ", ".join(f"--{name.replace('_', '-')}" for name in added.ignored)
        hint = (
            f"; nothing changed (it differs in {differ}: `unionstate source edit {added.id}` "
            "changes it)"
            if added.ignored
            else ""
        )
        s.say(f"{url} is already source {added.id}{hint}")
    else:
        s.say(f"added source {added.id}")
    s.plain(added.id + "\n")


@source_app.command("edit")
def source_edit(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(metavar="SOURCE", help="Its id or URL.", autocompletion=complete_source),
    ],
    publisher: PublisherOpt = None,
    title: SourceTitleOpt = None,
    date: SourceDateOpt = None,
    language: LanguageOpt = None,
    reprint_of: ReprintOpt = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Its corrected address.", callback=_text_arg)
    ] = None,
) -> None:
    """Correct a source's publisher, title, date, language, agency or address (not its id).

    Example: unionstate source edit tass-1295507 --language en
    """
    from unionstate import records

    s = session(ctx)
    fields = {
        "publisher": publisher,
        "title": title,
        "date": date,
        "language": language,
        "reprint_of": reprint_of,
        "url": url,
    }
    done: list[tuple[models.Source, list[str]]] = []

    def change(d: Dataset) -> updates.Outcome:
        from unionstate import updates

        new, found, changed = records.edit_source(d, source, dict(fields))
        done.append((found, changed))
        return updates.Outcome(new)

    _apply(s, change)
    found, changed = done[-1]
    if changed:
        s.say(f"source {found.id}: {', '.join(changed)} changed")
    else:
        s.say(f"source {found.id} already says so; nothing changed")


@app.command("sources", rich_help_panel=READING)
def list_sources(
    ctx: typer.Context,
    unused: Annotated[
        bool, typer.Option("--unused", help="Only the sources nothing in the record cites.")
    ] = False,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """List the sources, with how many times the record cites each.

    Example: unionstate sources --unused
    """
    from unionstate import sources

    s = session(ctx)
    dataset = s.load()
    cited = sources.citations(dataset)
    found = [src for src in dataset.sources if not unused or not cited[src.id]]
    s.emit(views.sources_view(found, cited), json_out, fields)


count_app = typer.Typer(
    cls=_Group,
    help="Official counts: a reported figure, checked at once.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(count_app, name="count", rich_help_panel=RECORDING)


@count_app.command("add")
def count_add(
    ctx: typer.Context,
    unit: Annotated[
        str,
        typer.Option(
            "--unit",
            help="What was counted: roadmaps, programs, directions, percent, tasks, "
            "activities or measures.",
            callback=_text_arg,
        ),
    ],
    reported: Annotated[
        str,
        typer.Option("--reported", help="The figure in the words reported.", callback=_text_arg),
    ],
    source: SourceOpt = None,
    on: OnOpt = None,
    done: Annotated[
        str | None,
        typer.Option("--done", metavar="N", help="Fully done: N, N..M, N.. or ..M (with --total)."),
    ] = None,
    total: Annotated[int | None, typer.Option("--total", min=0, help="Out of how many.")] = None,
    agreed: Annotated[
        str | None, typer.Option("--agreed", metavar="N", help="Agreed: N, N..M, N.. or ..M.")
    ] = None,
    open_: Annotated[
        str | None, typer.Option("--open", metavar="N", help="Still open: N, N..M, N.. or ..M.")
    ] = None,
    percent: Annotated[float | None, typer.Option("--percent", help="Done, in percent.")] = None,
    members: Annotated[
        str | None,
        typer.Option(
            "--members",
            metavar="ID,ID",
            help="The records counted, where officials named them.",
            callback=_ids_arg,
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            metavar="RECORD",
            help="The one record the figure is about (P19), if only one.",
            callback=_text_arg,
        ),
    ] = None,
    no_figure: Annotated[
        bool,
        typer.Option(
            "--no-figure",
            help="The words give no figure to check (a plan, a bound such as 'under 80%'): "
            "keep the words only.",
        ),
    ] = False,
    by: ByOpt = None,
    side: SideOpt = None,
    note: NoteOpt = None,
) -> None:
    """Record a count officials reported ("94% done", "22 of 28") and say at once whether
    the record on that date allows it, as `summary` checks it.

    Example: unionstate count add --on 2023-11 --unit programs --done 22 --total 28
    --by "Belarusian side" --reported "22 of 28 fully implemented; the rest by end-2023"
    --source belarusinfocus-hunger-games
    """
    from unionstate import records, updates

    units = models.Unit.__args__  # type: ignore[attr-defined]
    if unit not in units:
        raise UsageError(f"--unit {unit!r}: choose {', '.join(units)}")
    figures = records.count_figures(
        done=done, total=total, agreed=agreed, open_=open_, percent=percent, no_figure=no_figure
    )
    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: records.add_count(
            d,
            entry,
            today,
            unit=unit,
            figures=figures,
            reported=reported,
            by=by,
            side=side.value if side else None,
            members=list(members) if members else None,
            subject=subject,
        ),
    )
    s.say(f"count of {entry.on} added: {reported}")
    s.say(records.comparison_text(outcome.comparison))
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


class NewKind(str, Enum):
    """What `add` makes."""

    ROADMAP = "roadmap"
    PROGRAM = "program"
    DIRECTIONS = "directions"
    CONDITION = "condition"


class Succession(str, Enum):
    """How a program's succession of roadmaps is known."""

    REPORTED = "reported"
    HYPOTHESIS = "hypothesis"


class ConditionKind(str, Enum):
    """A demand can be met; a red line is a standing limit."""

    DEMAND = "demand"
    RED_LINE = "red-line"


SucceedsOpt = Annotated[
    str | None,
    typer.Option(
        "--succeeds",
        metavar="ROADMAP,ROADMAP",
        help="A program: the roadmaps it continues (with --succession).",
        callback=_ids_arg,
    ),
]
SuccessionOpt = Annotated[
    Succession | None,
    typer.Option("--succession", help="How the succession is known: reported or hypothesis."),
]
TitleBasisOpt = Annotated[
    models.TitleBasis | None,
    typer.Option(
        "--title-basis",
        help="How far a source vouches for the title: verbatim, named, sphere-and-position, "
        "sphere or reconstructed [add: reconstructed].",
        show_default=False,
    ),
]
LinkOpt = Annotated[
    str | None,
    typer.Option(
        "--link",
        metavar="CONDITION,CONDITION",
        help="Conditions it is tied to.",
        callback=_ids_arg,
        autocompletion=complete_condition,
    ),
]


@app.command("add", rich_help_panel=RECORDING)
def add_record(
    ctx: typer.Context,
    kind: Annotated[
        NewKind, typer.Argument(metavar="KIND", help="roadmap, program, directions or condition.")
    ],
    record_id: Annotated[
        str, typer.Option("--id", help="Its id: a-z, 0-9 and '-'.", callback=_text_arg)
    ],
    title: Annotated[str, typer.Option("--title", help="Its title.", callback=_text_arg)],
    source: SourceOpt = None,
    on: Annotated[
        When | None,
        typer.Option(
            "--on", parser=parse_when, metavar="DATE", help="Its first event's date [today]."
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", help="What its first event was [First recorded.].", callback=_text_arg
        ),
    ] = None,
    sphere: Annotated[
        str | None,
        typer.Option("--sphere", help="A document's sphere (energy, …).", callback=_text_arg),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Its status after the first event [pending; a condition: open]."
        ),
    ] = None,
    number: Annotated[
        int | None, typer.Option("--number", min=1, help="A document's number [the next one].")
    ] = None,
    title_basis: TitleBasisOpt = None,
    link: LinkOpt = None,
    succeeds: SucceedsOpt = None,
    succession: SuccessionOpt = None,
    contains: Annotated[
        str | None,
        typer.Option(
            "--contains",
            metavar="PROGRAM,PROGRAM",
            help="Main Directions: the programs it takes in.",
            callback=_ids_arg,
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option(
            "--description", help="A condition: what Belarus asks for.", callback=_text_arg
        ),
    ] = None,
    condition_kind: Annotated[
        ConditionKind | None,
        typer.Option("--kind", help="A condition: a demand [default] or a red line."),
    ] = None,
    notes: Annotated[
        str | None,
        typer.Option(
            "--notes",
            help="A document's standing notes: how it is known, what the record cannot say.",
            callback=_text_arg,
        ),
    ] = None,
) -> None:
    """Add a roadmap, program, Main Directions document or condition.

    The new record gets its first event, dated and sourced.

    Example: unionstate add program --id program-gas-market --title "Formation of a unified
    gas market" --sphere energy --number 25 --succeeds gas-market --succession hypothesis
    --status blocked --link gas-price --on 2021-08-09 --source urdupoint-1322753
    """
    from unionstate import records, updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: records.add_record(
            d,
            kind.value,
            record_id,
            title,
            entry,
            today,
            sphere=sphere,
            number=number,
            status=status,
            title_basis=title_basis or models.TitleBasis.RECONSTRUCTED,
            succeeds=list(succeeds) if succeeds else None,
            succession=succession.value if succession else None,
            contains=list(contains) if contains else None,
            description=description,
            condition_kind=condition_kind.value if condition_kind else None,
            link=list(link) if link else None,
            notes=notes,
        ),
    )
    s.say(f"added {outcome.label}, first recorded on {entry.on}")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


@app.command("edit", rich_help_panel=RECORDING)
def edit_record(
    ctx: typer.Context,
    record: Annotated[
        str | None,
        typer.Argument(
            metavar="[RECORD]",
            help="A roadmap, program, Main Directions document or condition [none: the "
            "whole file in your editor].",
            autocompletion=complete_roadmap,
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Its new title.", callback=_text_arg)
    ] = None,
    sphere: Annotated[
        str | None, typer.Option("--sphere", help="Its new sphere.", callback=_text_arg)
    ] = None,
    link: LinkOpt = None,
    unlink: Annotated[
        str | None,
        typer.Option(
            "--unlink",
            metavar="CONDITION,CONDITION",
            help="Conditions it is no longer tied to.",
            callback=_ids_arg,
            autocompletion=complete_condition,
        ),
    ] = None,
    succeeds: SucceedsOpt = None,
    succession: SuccessionOpt = None,
    title_basis: TitleBasisOpt = None,
    source: SourceOpt = None,
    on: Annotated[
        When | None,
        typer.Option(
            "--on", parser=parse_when, metavar="DATE", help="When the source said so [today]."
        ),
    ] = None,
    note: NoteOpt = None,
) -> None:
    """Change a record's fields, or edit the whole file in an editor.

    A field change is recorded with its source as a dated observation (shown in its
    history and by `diff`). With no field to change, the data file opens in $VISUAL or
    $EDITOR: it is checked on save (problems as FILE:LINE:COL, then edit again or stop)
    and replaced only by a valid version, atomically. Off a terminal that is refused.

    Example: unionstate edit P25 --title-basis named --on 2022-12..2022-12-19
    --source minval-124294807 --note "Lukashenko names the program (BelTA)."

    Example: unionstate edit
    """
    from unionstate import records, updates

    s = session(ctx)
    fields = (title, sphere, link, unlink, succeeds, succession, title_basis)
    if all(value is None for value in fields):
        if record is not None:
            raise UsageError(
                "say what to change (--title, --sphere, --link, --unlink, --succeeds, "
                "--succession, --title-basis), or run `unionstate edit` alone to edit "
                "the file in your editor"
            )
        if source or on or note:
            raise UsageError("--source, --on and --note go with a field to change")
        _edit_in_editor(s)
        return
    if record is None:
        raise UsageError("name the RECORD to change")
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: records.edit_record(
            d,
            record,
            entry,
            today,
            title=title,
            sphere=sphere,
            link=list(link) if link else None,
            unlink=list(unlink) if unlink else None,
            succeeds=list(succeeds) if succeeds is not None else None,
            succession=succession.value if succession else None,
            title_basis=title_basis,
        ),
    )
    if not outcome.changes:
        s.say(f"{outcome.label} already says so; nothing changed")
        return
    for said in outcome.changes:
        s.say(f"{outcome.label}: {said} (recorded on {entry.on})")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {_named(source)}")


def _edit_in_editor(s: Session) -> None:
    """`edit` with no field: the whole data file in the user's editor, visudo-style."""
    from unionstate import editing

    path = s.writable_path()
    if not (is_terminal(sys.stdin) and is_terminal(sys.stdout)):
        raise UsageError(
            "not on a terminal: `unionstate edit` opens your editor and asks questions; "
            "name a RECORD and the field to change instead (--title, --link, …)"
        )
    command = editing.editor_command(os.environ)

    def again(problems: list[str]) -> bool:
        for problem in problems:
            sys.stderr.write(one_line(problem) + "\n")
        try:
            return typer.confirm("The file is not valid. Edit it again?", default=True, err=True)
        except typer.Abort:  # Ctrl-C or end of input at the prompt
            return False

    done = editing.edit(path, command, again)
    if done.result == "unchanged":
        layout = " to the data (comments and layout are not kept)" if done.canonical else ""
        s.say(f"{path}: no change{layout}")
    elif done.result == "abandoned":
        raise Refused(f"{path} was not changed; your edit was discarded")
    else:
        kept = (
            " (in its canonical form: comments and layout are not kept)" if done.canonical else ""
        )
        s.say(f"saved {path}{kept}; `unionstate undo` takes it back")


class Shell(str, Enum):
    """The shells `completion` writes a script for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"
    POWERSHELL = "powershell"


@app.command(rich_help_panel=SETUP)
def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.")],
) -> None:
    """Print the completion script for SHELL; it edits nothing.

    It completes commands, options and values: roadmap ids and numbers, programs (P2) and
    Main Directions (D1), condition and source ids. Load it from your shell's startup
    file, or save it where your shell looks for completions.

    Example: unionstate completion bash > ~/.local/share/bash-completion/completions/unionstate

    Example: echo 'eval "$(unionstate completion zsh)"' >> ~/.zshrc
    """
    from typer._completion_shared import get_completion_script

    script = get_completion_script(
        prog_name="unionstate", complete_var="_UNIONSTATE_COMPLETE", shell=shell.value
    )
    session(ctx).plain(script.rstrip("\n") + "\n")


@app.command("help", rich_help_panel=SETUP)
def help_command(
    ctx: typer.Context,
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[COMMAND]...",
            help="A command (`target add`: a subcommand).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show the help of a command (of unionstate itself without one).

    Example: unionstate help list

    Example: unionstate help target move
    """
    root = ctx.find_root()
    current: Any = root.command
    here: Any = root
    for name in command or []:
        group = hasattr(current, "list_commands")  # a command with subcommands
        found = current.get_command(here, name) if group else None
        if found is None:
            names = list(current.list_commands(here)) if group else []
            raise UsageError(
                f"no command {name!r}{views.close_to(name, names)}; `unionstate --help` lists them"
            )
        here = found.make_context(name, [], parent=here, resilient_parsing=True)
        current = found
    session(ctx).plain(current.get_help(here) + "\n")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so a write in progress cleans up its temp file


def main() -> None:
    """Console-script entry point."""
    import signal

    # A closed stdout (`>&-`) is None to Python: writing data to it fails with exit 5, as on
    # a full disk; a closed stderr only loses the messages.
    if sys.stdout is None:
        sys.stdout = terminal.ClosedStream()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    # SIGTERM and SIGHUP would otherwise end Python without running any cleanup.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    terminal.escape_unencodable()
    if "_UNIONSTATE_COMPLETE" in os.environ:  # a shell asks for completions
        from typer._completion_classes import completion_init

        completion_init()  # the shells typer completes (its --install-completion would)
    # A fixed name: `python -m unionstate` completes and prints usage as `unionstate` does.
    code: int | str | None = 0
    try:
        _only_the_command_run(sys.argv[1:])
        app(prog_name="unionstate")
    except SystemExit as done:
        code = done.code
    except OSError as exc:  # --help or --version, printed while parsing, before any command
        if not terminal.is_stdout_error(exc):
            raise
        code = _stdout_failed(exc)
    try:
        terminal.flush_stdout()  # what is still buffered fails here, not at exit
    except OSError as exc:
        if not terminal.is_stdout_error(exc):
            raise
        code = _stdout_failed(exc) if code in (0, None) else code
    raise SystemExit(code)


_GLOBAL_VALUES = ("--data", "--color")  # the global options that take a value


def _only_the_command_run(args: list[str]) -> None:
    """Register only the command these arguments run, when they name one.

    Typer builds the click parameters of every registered command on each start (about
    a third of a warm `list`); a run needs those of one command. Top-level help, a
    misspelt command (which gets "did you mean"), `help` and shell completion keep them
    all. What the one command parses, prints and returns is the same either way.
    """
    if any(key.startswith("_UNIONSTATE_COMPLETE") for key in os.environ):
        return
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            return
        if arg in _GLOBAL_VALUES:
            next(rest, None)
        elif not arg.startswith("-"):
            break
    else:
        return
    commands = [
        c
        for c in app.registered_commands
        if (c.name or typer.main.get_command_name(c.callback.__name__ if c.callback else "")) == arg
    ]
    groups = [g for g in app.registered_groups if g.name == arg]
    if arg == "help" or not (commands or groups):
        return
    app.registered_commands = commands
    app.registered_groups = groups


def _stdout_failed(exc: OSError) -> int:
    terminal.discard_stdout()
    sys.stderr.write(f"unionstate: cannot write to stdout: {exc.strerror or exc}\n")
    return int(ExitCode.WRITE)
