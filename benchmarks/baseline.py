"""The straightforward implementation the benchmark compares unionstate with.

Every command loads the file the plain way: PyYAML's CSafeLoader, then pydantic validation
of the project's own models (`checks.validate`). Then:

- `list`: a rich table of the roadmaps (on a terminal; the first 500 rows, where unionstate's
  table stops too) or tab-separated rows of all of them (piped);
- `summary`: the project's own `queries.summarise`, then its one-screen rich renderable
  (`tables.summary_brief`) on a terminal, or its plain text piped;
- `report`: the project's own `report.build`, each page written with `Path.write_text`;
- `sign`: a JSON-style dump of every field (`plain.jsonable`), the change, validation of the
  whole again, and CSafeDumper.

No cache, no lazy imports, no typer: whatever unionstate does around the same queries and
renderers (start-up, loading, caching, writing) is measured against this.

    python benchmarks/baseline.py list PATH
    python benchmarks/baseline.py summary PATH
    python benchmarks/baseline.py report PATH DIR
    python benchmarks/baseline.py sign PATH ROADMAP
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from unionstate import queries, report, tables, views
from unionstate.checks import validate
from unionstate.models import Dataset
from unionstate.plain import jsonable

TABLE_ROWS = 500  # as unionstate's terminal table


def load(path: Path) -> Dataset:
    """CSafeLoader, then pydantic validation."""
    with path.open("rb") as handle:
        data = yaml.load(handle, Loader=yaml.CSafeLoader)
    return validate(data)


def on_terminal() -> bool:
    """A table or plain rows: as unionstate decides (TTY_COMPATIBLE, else isatty)."""
    forced = os.environ.get("TTY_COMPATIBLE", "")
    return forced == "1" if forced in ("0", "1") else sys.stdout.isatty()


def list_roadmaps(path: Path) -> None:
    """Print the roadmaps as a rich table or TSV."""
    dataset = load(path)
    open_ids = {c.id for c in dataset.conditions if c.status.value == "open"}
    rows = [
        [
            str(r.number),
            r.id,
            r.title,
            r.sphere,
            r.status.value,
            ",".join(c for c in r.linked_conditions if c in open_ids),
            r.history[-1].date.text,
        ]
        for r in dataset.roadmaps
    ]
    header = ("number", "id", "title", "sphere", "status", "open_conditions", "last_event")
    if not on_terminal():
        sys.stdout.write("".join("\t".join(row) + "\n" for row in [list(header), *rows]))
        return
    table = Table(title=f"{len(rows)} roadmaps", header_style="bold")
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows[:TABLE_ROWS]:
        table.add_row(*row)
    Console().print(table)


def summary(path: Path) -> None:
    """The project's summary of the record: one screen on a terminal, plain text piped."""
    result = queries.summarise(load(path))
    if on_terminal():
        console = Console()
        console.print(tables.summary_brief(result, console.width))
    else:
        sys.stdout.write(views.summary_view(result).plain(colored=False))


def write_report(path: Path, directory: Path) -> None:
    """The project's web report of the record, written page by page."""
    for relative, text in report.build(load(path)).items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def sign(path: Path, roadmap_id: str) -> None:
    """Sign one agreed roadmap: load, change, re-validate, dump with CSafeDumper."""
    dataset = load(path)
    data = jsonable(dataset)
    for record in data["roadmaps"]:
        if record["id"] == roadmap_id:
            if record["status"] != "agreed":
                raise SystemExit(f"{roadmap_id} is {record['status']}, not agreed")
            record["status"] = "signed"
            record["history"].append(
                {"date": dt.date.today().isoformat(), "status": "signed", "note": "Signed."}
            )
            break
    else:
        raise SystemExit(f"unknown roadmap {roadmap_id}")
    data["as_of"] = max(data["as_of"], dt.date.today().isoformat())
    data = jsonable(validate(data))
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    """Command line: see the module's docstring."""
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    if command == "list" and len(args) == 1:
        list_roadmaps(Path(args[0]))
    elif command == "summary" and len(args) == 1:
        summary(Path(args[0]))
    elif command == "report" and len(args) == 2:
        write_report(Path(args[0]), Path(args[1]))
    elif command == "sign" and len(args) == 2:
        sign(Path(args[0]), args[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
