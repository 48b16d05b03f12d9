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


class _Group(TyperGroup):
    """Turns every domain error into its message and exit code; nothing else does."""

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


def _source_arg(value: str | None) -> str | None:
    """A source id, or an http(s) URL that can be taken apart (not `http://[x`, no spaces)."""
    from unionstate import sources

    value = _text_arg(value)
    if value is None:
        return None
    try:
        return sources.reference(value)
    except UsageError as exc:
        raise typer.BadParameter(exc.message) from None


NoteOpt = Annotated[
    str | None,
    typer.Option("--note", help="What happened, in a sentence.", callback=_text_arg),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="A source id from the data file, or a URL (added as a source).",
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


@app.command("list")
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
    """List roadmaps (or programs) with status, open conditions and last event.

    Example: unionstate list --unresolved --sphere energy

    Example: unionstate list --programs
    """
    s = session(ctx)
    dataset = s.load()
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
    rows = queries.select(
        queries.states(dataset, as_of, documents),
        statuses=[s.value for s in status or []],
        unresolved=unresolved,
        sphere=sphere,
        condition=condition,
        search=search,
    )
    total = len(rows)
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


@app.command()
def show(
    ctx: typer.Context,
    roadmap: Annotated[
        str,
        typer.Argument(
            metavar="ROADMAP",
            help="Roadmap number, id or unique id prefix.",
            autocompletion=complete_roadmap,
        ),
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Show one roadmap or program: status, conditions, dated history with sources, notes.

    Example: unionstate show gas-market

    Example: unionstate show P25
    """
    s = session(ctx)
    dataset = s.load()
    found = queries.find_roadmap(dataset, roadmap)
    row = queries.state_of(dataset, found, as_of)
    s.emit(views.show_view(dataset, row), json_out, fields)


@app.command()
def conditions(ctx: typer.Context, json_out: JsonOpt = False, fields: FieldsOpt = None) -> None:
    """List Belarus's linked conditions, ranked by how many roadmaps each holds up.

    Example: unionstate conditions
    """
    s = session(ctx)
    dataset = s.load()
    s.emit(views.conditions_view(queries.condition_reports(dataset), dataset), json_out, fields)


@app.command()
def summary(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="On a terminal, everything (piped and JSON output always are)."
        ),
    ] = False,
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """Progress at a glance: roadmaps and programs, implementation, open conditions, news.

    On a terminal it fits one screen; --full adds spheres, every reported count beside the
    record's, and the open questions. `unionstate report` makes a web page of it all.

    For a page to share, see `unionstate report`.

    Example: unionstate summary --as-of 2019-12-31
    """
    s = session(ctx)
    dataset = s.load()
    result = queries.summarise(dataset, as_of)
    s.emit(views.summary_view(result, full, dataset), json_out, fields)


@app.command()
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
) -> None:
    """Write the record as a static web site: what is still open, charts, a page per record,
    the conditions, the sources, an Atom feed and the data as downloads. No script, nothing
    fetched from elsewhere.

    DIR must be new, empty, or a site the report wrote before (it leaves a
    `.unionstate-report` file); --force writes into any folder. Only the report's own files
    are written (each atomically), never through a symbolic link; nothing else is touched.

    Example: unionstate report site --base-url https://example.org/roadmaps/
    """
    s = session(ctx)
    from unionstate import report as web

    base = web.base_url(base_url) if base_url is not None else None
    site = web.build(s.load(), base)
    files.write_files(directory, site, force=force)
    pages = sum(path.endswith(".html") for path in site)
    others = len(site) - pages
    s.say(
        f"wrote {pages} pages and {others} other file{'' if others == 1 else 's'} to {directory}; "
        f"open {directory / 'index.html'}"
    )


@app.command()
def history(
    ctx: typer.Context,
    roadmap: Annotated[
        str | None,
        typer.Argument(
            metavar="ROADMAP",
            help="Only this roadmap (number, id or prefix).",
            autocompletion=complete_roadmap,
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
    json_out: JsonOpt = False,
    fields: FieldsOpt = None,
) -> None:
    """One timeline of roadmap, condition and milestone events, oldest first.

    Example: unionstate history gas-market --since 2020-01-01

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
    found = queries.find_roadmap(dataset, roadmap) if roadmap else None
    events = queries.timeline(dataset, found, since, until)
    s.emit(views.timeline_view(events, dataset), json_out, fields)


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


@app.command()
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
) -> None:
    """Check data files: one OK line per valid file; every problem as FILE:LINE:COL (exit 3).

    Example: unionstate validate data/roadmaps.yaml
    """
    s = session(ctx)
    problems: list[str] = []
    for target in paths or [s.data_file().path]:
        try:
            dataset = store.load(target)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        s.plain(
            f"ok: {target}: {len(dataset.roadmaps)} roadmaps, "
            f"{len(dataset.conditions)} conditions, {len(dataset.milestones)} milestones, "
            f"{len(dataset.sources)} sources\n"
        )
    if problems:
        raise DataError(problems)


@app.command()
def export(
    ctx: typer.Context,
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.JSON,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file ('-': stdout) [stdout]. A FIFO or device is written into.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow writing over the data file in use.")
    ] = False,
) -> None:
    """Export the whole dataset (json), one row per roadmap (csv), or a report (markdown).

    Example: unionstate export --format csv --output roadmaps.csv
    """
    s = session(ctx)
    dataset = s.load()
    document = views.dataset_object(dataset)
    if format is ExportFormat.CSV:
        view = views.text_view(views.to_csv(queries.states(dataset)), document)
    elif format is ExportFormat.MARKDOWN:
        summary = queries.summarise(dataset)
        view = views.text_view(
            views.to_markdown(dataset, summary, queries.states(dataset)), document
        )
    else:
        view = views.text_view(views.to_json(document), document)
    target = None if output is None or str(output) == "-" else output
    if target is not None:
        from unionstate import targets

        targets.check_not_data_file(target, s.data_file().path, force)
    s.emit(view, target=target)


@app.command()
def info(ctx: typer.Context) -> None:
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
    s.emit(views.table_view(("field", "value"), rows, document))


@app.command()
def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of the data file, generated from the data model, for editors.

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

    return journal.update(s.writable_path(), change)


def _transition(
    ctx: typer.Context,
    action: str,
    roadmaps: list[str],
    on: When | None,
    note: str | None,
    source: str | None,
    *,
    condition: str | None = None,
    force: bool = False,
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: updates.transition(
            d, action, roadmaps, entry, today, condition=condition, force=force
        ),
    )
    target = updates.TRANSITIONS[action][1].value
    labels = {r.id: r.label for r in outcome.dataset.documents}
    for rid in outcome.unchanged:
        s.say(f"{labels[rid]} is already {target}; nothing changed")
    for rid in outcome.changed:
        s.say(f"{labels[rid]}: {target} on {entry.on}")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


@app.command()
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
    """Mark roadmaps signed (all or nothing); refused while not agreed or a condition is open.

    Example: unionstate sign customs --on 2021-09-10
    """
    _transition(ctx, "sign", roadmaps, on, note, source, force=force)


@app.command()
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


@app.command()
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
    """Mark roadmaps blocked by an open condition (linking it if needed).

    Example: unionstate block customs --condition goods-restrictions
    """
    _transition(ctx, "block", roadmaps, on, note, source, condition=condition)


@app.command()
def reopen(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Send agreed, signed or set-aside roadmaps back to pending.

    Example: unionstate reopen customs --note "Reopened by RBC report"
    """
    _transition(ctx, "reopen", roadmaps, on, note, source)


@app.command("set-aside")
def set_aside(
    ctx: typer.Context,
    roadmaps: RoadmapsArg,
    on: OnOpt = None,
    note: NoteOpt = None,
    source: SourceOpt = None,
) -> None:
    """Take roadmaps off the table (from pending, blocked or agreed); `reopen` brings them back.

    A set-aside roadmap is not unresolved, and cannot be agreed or signed until reopened.

    Example: unionstate set-aside supranational-bodies --on 2019-12-07
    """
    _transition(ctx, "set-aside", roadmaps, on, note, source)


@app.command()
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
    """Mark a condition resolved and report which roadmaps it frees (blocked -> pending).

    Example: unionstate resolve gas-price --on 2021-09-09
    """
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(s, lambda d: updates.resolve_condition(d, condition, entry, today))
    for cid in outcome.unchanged:
        s.say(f"condition {cid} is already resolved; nothing changed")
    for cid in outcome.changed:
        s.say(f"condition {cid}: resolved on {entry.on}")
    if outcome.freed:
        s.say(f"freed (now pending): {', '.join(outcome.freed)}")
    elif outcome.changed:
        s.say("no roadmap was waiting on it alone")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


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


def _recorded(s: Session, outcome: updates.Outcome, what: str, source: str | None) -> None:
    labels = {r.id: r.label for r in outcome.dataset.documents}
    labels.update({c.id: f"condition {c.id}" for c in outcome.dataset.conditions})
    for rid in outcome.changed:
        s.say(f"{labels[rid]}: {what}")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


_ASSESS_HELP = (
    "Record how far a program or Main Directions document is implemented, and who says so."
    "\n\nExample: "
    "unionstate assess P19 under-way --on 2023-06-08 --by Zverev --side russia "
    "--done 101 --total 112 --unit tasks --source uralelement-transport"
)


@app.command(help=_ASSESS_HELP)
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


@app.command("note")
def note_command(
    ctx: typer.Context,
    record: Annotated[
        str,
        typer.Argument(
            metavar="RECORD",
            help="A roadmap, program, Main Directions document or condition.",
            autocompletion=complete_roadmap,
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="What was said.", callback=_text_arg)],
    source: SourceOpt = None,
    on: OnOpt = None,
    by: ByOpt = None,
    side: SideOpt = None,
) -> None:
    """Record a statement that changes no status (an observation), and its source.

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
    help="Targets: something to achieve by a planned date (add, move its date, set met or missed).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(target_app, name="target")


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
) -> None:
    from unionstate import updates

    s = session(ctx)
    today = _today()
    entry = updates.Entry(on=on or When.parse(today), note=note, source=source)
    outcome = _apply(
        s,
        lambda d: updates.add_target(
            d, record, target, title, due, entry, today, by=by, side=side.value if side else None
        ),
    )
    _recorded(s, outcome, f"target {target} due {due}", source)


_TARGET_MOVE_HELP = (
    "Record that a target's planned date moved (the old dates stay in its history).\n\nExample: "
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


@app.command()
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
    """Write a fresh working copy of the bundled dataset (or of it as it stood on a date).

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


@app.command("merge")
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
    """Merge two versions of a data file record by record: git's merge driver.

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


@app.command("diff")
def diff_versions(
    ctx: typer.Context, versions: VersionsArg = None, json_out: JsonOpt = False
) -> None:
    """What changed between two versions of the data, one change per line, in words.

    OLD and NEW are files, or git revisions of the data file in use (a file by that name
    wins); NEW defaults to the file itself, OLD to the revision HEAD. Given git's seven
    arguments (nine for a rename) it works as an external diff (`diff.unionstate.command`,
    see the README).

    Example: unionstate diff HEAD~1
    """
    from unionstate import diff

    s = session(ctx)
    given = list(versions or [])
    if len(given) in (7, 9):  # git's external diff: path old-file old-hex old-mode new-file
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


@app.command()
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    list_changes: Annotated[
        bool, typer.Option("--list", help="Show the recent changes instead, newest last.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Revert the last change made through unionstate to the data file in use.

    Prints what it will revert and asks (--yes does not; off a terminal --yes is needed).
    Refused when the file was changed by something else since. An undo is a change too:
    undo again to redo.

    Example: unionstate undo --yes
    """
    from unionstate import journal

    s = session(ctx)
    path = s.writable_path()
    if list_changes:
        entries = journal.entries(path)
        rows = [[str(e.id), e.time, e.description] for e in entries]
        document = [journal.as_json(e) for e in entries]
        s.emit(views.table_view(("id", "time", "change"), rows, document), json_out)
        return
    entry = journal.last(path)
    s.say(f"will revert #{entry.id} ({entry.time}): {entry.description}")
    if not yes:
        if not is_terminal(sys.stdin):
            raise UsageError("not on a terminal: run `unionstate undo --yes` to revert it")
        try:
            confirmed = typer.confirm("Revert it?", err=True)
        except typer.Abort:  # Ctrl-C or end of input at the prompt
            sys.stderr.write("\nunionstate: interrupted; nothing was changed\n")
            raise typer.Exit(130) from None
        if not confirmed:
            raise Refused("nothing was changed")
    journal.undo(path, entry)
    s.say(f"reverted #{entry.id}; `unionstate undo` again puts it back")


@app.command("git-setup")
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
    """Register unionstate's merge driver with git for the data file; safe to run again.

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
app.add_typer(source_app, name="source")

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


@app.command("sources")
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
    help="Official counts: a figure officials reported, checked against the record at once.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(count_app, name="count")


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
        done=done, total=total, agreed=agreed, open_=open_, percent=percent
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
        ),
    )
    s.say(f"count of {entry.on} added: {reported}")
    s.say(records.comparison_text(outcome.comparison))
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


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
TitleConfirmedOpt = Annotated[
    bool | None,
    typer.Option(
        "--title-confirmed/--title-unconfirmed",
        help="Whether a source names it so (the title is official) [unconfirmed].",
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


@app.command("add")
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
    title_confirmed: TitleConfirmedOpt = None,
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
) -> None:
    """Add a roadmap, program, Main Directions document or condition, with its first event.

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
            title_confirmed=bool(title_confirmed),
            succeeds=list(succeeds) if succeeds else None,
            succession=succession.value if succession else None,
            contains=list(contains) if contains else None,
            description=description,
            condition_kind=condition_kind.value if condition_kind else None,
            link=list(link) if link else None,
        ),
    )
    s.say(f"added {outcome.label}, first recorded on {entry.on}")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


@app.command("edit")
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
    title_confirmed: TitleConfirmedOpt = None,
    source: SourceOpt = None,
    on: Annotated[
        When | None,
        typer.Option(
            "--on", parser=parse_when, metavar="DATE", help="When the source said so [today]."
        ),
    ] = None,
    note: NoteOpt = None,
) -> None:
    """Change a record's fields, recorded with their source as a dated observation (shown in
    its history and by `diff`); or, with no field to change, edit the data file in $VISUAL
    or $EDITOR: it is checked on save (problems as FILE:LINE:COL, then edit again or stop)
    and replaced only by a valid version, atomically. Off a terminal that is refused.

    Example: unionstate edit P25 --title-confirmed --on 2022-12..2022-12-19
    --source minval-124294807 --note "Lukashenko names the program (BelTA)."

    Example: unionstate edit
    """
    from unionstate import records, updates

    s = session(ctx)
    fields = (title, sphere, link, unlink, succeeds, succession, title_confirmed)
    if all(value is None for value in fields):
        if record is not None:
            raise UsageError(
                "say what to change (--title, --sphere, --link, --unlink, --succeeds, "
                "--succession, --title-confirmed), or run `unionstate edit` alone to edit "
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
            title_confirmed=title_confirmed,
        ),
    )
    if not outcome.changes:
        s.say(f"{outcome.label} already says so; nothing changed")
        return
    for said in outcome.changes:
        s.say(f"{outcome.label}: {said} (recorded on {entry.on})")
    if outcome.new_source:
        s.say(f"added source {outcome.new_source} for {source}")


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
    # A fixed name: `python -m unionstate` completes and prints usage as `unionstate` does.
    code: int | str | None = 0
    try:
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


def _stdout_failed(exc: OSError) -> int:
    terminal.discard_stdout()
    sys.stderr.write(f"unionstate: cannot write to stdout: {exc.strerror or exc}\n")
    return int(ExitCode.WRITE)
