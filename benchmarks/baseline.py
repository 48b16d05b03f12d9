"""The straightforward implementation the benchmark compares unionstate with.

PyYAML's CSafeLoader, then pydantic validation of the project's own models
(`models.validate`), then a rich table; for a write, a JSON-style dump of every field
(`plain.jsonable`) and CSafeDumper. No cache, no lazy imports, no canonical-format tricks.

    python benchmarks/baseline.py list PATH         # unresolved roadmaps as a rich table
    python benchmarks/baseline.py sign PATH ROADMAP  # sign an agreed roadmap, rewrite the file
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from unionstate.checks import validate
from unionstate.models import Dataset
from unionstate.plain import jsonable


def load(path: Path) -> Dataset:
    """CSafeLoader, then pydantic validation."""
    with path.open("rb") as handle:
        data = yaml.load(handle, Loader=yaml.CSafeLoader)
    return validate(data)


def list_unresolved(path: Path) -> None:
    """Print the pending and blocked roadmaps as a rich table."""
    dataset = load(path)
    open_ids = {c.id for c in dataset.conditions if c.status.value == "open"}
    table = Table(title="unresolved roadmaps", header_style="bold")
    for name in ("#", "id", "title", "sphere", "status", "open conditions", "last event"):
        table.add_column(name, overflow="fold")
    for r in dataset.roadmaps:
        if r.status.value in ("pending", "blocked"):
            table.add_row(
                str(r.number),
                r.id,
                r.title,
                r.sphere,
                r.status.value,
                ", ".join(c for c in r.linked_conditions if c in open_ids),
                r.history[-1].date.text,
            )
    Console().print(table)


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
    """Command line: list PATH | sign PATH ROADMAP."""
    if len(argv) >= 2 and argv[0] == "list":
        list_unresolved(Path(argv[1]))
    elif len(argv) >= 3 and argv[0] == "sign":
        sign(Path(argv[1]), argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
