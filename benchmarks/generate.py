"""Synthetic datasets for the benchmark: N times the shipped record, in its own shape.

Copy 1 is the shipped record as it is; copies 2..N repeat every record of it (sources,
conditions, milestones, roadmaps, programs, open questions) with its ids suffixed `-xK`
and its numbers moved on, and every reference inside a copy (cited sources, linked
conditions, `succeeds`, a milestone's subject) points into the same copy. So 10x has 310
roadmaps, 280 programs, 1,090 sources and ten times the histories, notes and file size;
the metadata (title, as_of, description) is kept once. The result is validated in full
and written with the project's own `store.save`, so it is canonical and valid.

    python benchmarks/generate.py 100 /tmp/roadmaps-100x.yaml
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

from unionstate import store
from unionstate.checks import validate
from unionstate.models import Dataset
from unionstate.plain import to_plain

KINDS = ("sources", "conditions", "milestones", "roadmaps", "programs", "open_questions")
REFERENCES = ("id", "sources", "linked_conditions", "succeeds", "subject")


def _renamed(record: dict[str, Any], suffix: str, offset: int) -> dict[str, Any]:
    """A copy of a record (and its history) whose ids and references carry `suffix`."""
    out = copy.deepcopy(record)
    for item in (out, *out.get("history", [])):
        for key in REFERENCES:
            value = item.get(key)
            if isinstance(value, str):
                item[key] = value + suffix
            elif isinstance(value, list):
                item[key] = [name + suffix for name in value]
    if "number" in out:
        out["number"] += offset
    return out


def generate(times: int) -> Dataset:
    """A valid dataset holding `times` copies of the shipped record's records."""
    base = to_plain(store.load(store.bundled_path()))
    plain = {key: value for key, value in base.items() if key not in KINDS}
    plain["title"] = f"Synthetic benchmark dataset: {times}x the shipped record"
    for kind in KINDS:
        records = base.get(kind, [])
        step = max((r.get("number", 0) for r in records), default=0)
        plain[kind] = [
            _renamed(record, f"-x{k + 1}" if k else "", k * step)
            for k in range(times)
            for record in records
        ]
    return validate(plain)


def signable(dataset: Dataset) -> str:
    """The id of an agreed roadmap with no linked condition, from the middle: `sign` takes it."""
    middle = len(dataset.roadmaps) // 2
    for roadmap in dataset.roadmaps[middle:] + dataset.roadmaps[:middle]:
        if roadmap.status.value == "agreed" and not roadmap.linked_conditions:
            return roadmap.id
    raise ValueError("no agreed roadmap without conditions")


def write(times: int, path: Path) -> str:
    """Write the dataset canonically to `path`; return the id of a roadmap `sign` accepts."""
    dataset = generate(times)
    store.save(dataset, path)
    return signable(dataset)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate.py TIMES PATH."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("times", type=int, help="copies of the shipped record (1 or more)")
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.times < 1:
        parser.error("TIMES must be 1 or more")
    roadmap = write(args.times, args.path)
    print(f"wrote {args.path} ({args.path.stat().st_size:,} bytes); signable: {roadmap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
