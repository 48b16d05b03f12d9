"""Synthetic datasets in the real schema, for the benchmark: N roadmaps x 10 history events.

The sources, conditions and milestones are the shipped dataset's own; the roadmaps are made
up, deterministically (a fixed seed), with notes of the shipped notes' length and alphabet
(apostrophes, colons, en dashes, Cyrillic), so that the YAML exercises plain and quoted
scalars alike. Final statuses: 45% agreed, 15% signed, 25% pending, 15% blocked.

    python benchmarks/generate.py 10000 /tmp/roadmaps-10k.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

from unionstate import store
from unionstate.checks import validate
from unionstate.models import Dataset
from unionstate.plain import to_plain

EVENTS = 10
SPHERES = [
    "finance",
    "tax",
    "customs",
    "trade regime",
    "energy",
    "industry",
    "agriculture",
    "transport",
    "communications",
    "competition",
    "consumer protection",
    "procurement",
    "social",
    "business law",
]
# fmt: off
WORDS = [
    "harmonised", "rules", "for", "the", "single", "market", "in", "oil", "products", "gas",
    "electricity", "tariffs", "customs", "clearance", "transit", "tax", "codes", "excise",
    "duties", "labelling", "veterinary", "controls", "procurement", "access", "consumer",
    "rights", "insurance", "banking", "supervision", "payments", "currency",
]
# fmt: on
PHRASES = [
    "Oreshkin: agreed at working-group level",
    "Semashko says the text is 'almost ready'",
    "Listed among those approved on 2019-09-06",
    "Inferred: not named open (~26–27 May 2021)",
    "Kozak: the sides still disagree",
    "Лукашенко: nothing is signed until gas is solved",
    "TASS: the commission discussed draft #3",
    "Approved by the Council of Ministers",
    "Belarus's side asked for equal conditions",
]
WEIGHTS = {"agreed": 45, "signed": 15, "pending": 25, "blocked": 15}
START = dt.date(2019, 1, 1)
PRECISIONS = ["day"] * 17 + ["approximate", "month", "year"]


def _note(rng: random.Random) -> str:
    return f"{rng.choice(PHRASES)} ({rng.choice(WORDS)} {rng.randint(1, 999)})."


def _history(
    rng: random.Random, final: str, as_of: dt.date, source_ids: list[str]
) -> list[dict[str, Any]]:
    span = (as_of - START).days
    days = sorted(rng.randint(0, span) for _ in range(EVENTS))
    statuses = ["pending"] * EVENTS
    # the roadmap moves on part-way through its history, and ends where `final` says
    turn = rng.randint(3, EVENTS - 1)
    for i in range(turn, EVENTS):
        statuses[i] = {"signed": "agreed" if i < EVENTS - 1 else "signed"}.get(final, final)
    history = []
    for day, status in zip(days, statuses, strict=True):
        when = START + dt.timedelta(days=day)
        event: dict[str, Any] = {
            "date": when,
            "status": status,
            "note": _note(rng),
            "sources": rng.sample(source_ids, rng.choice((0, 1, 1, 2))),
        }
        precision = rng.choice(PRECISIONS)
        if precision == "month":
            event["date"] = when.replace(day=1)
        elif precision == "year":
            event["date"] = when.replace(month=1, day=1)
        if precision != "day":
            event["date_precision"] = precision
        history.append(event)
    # a coarser date (the 1st of a month or year) may now come before its predecessor
    for i in range(1, EVENTS):
        if history[i]["date"] < history[i - 1]["date"]:
            history[i]["date"] = history[i - 1]["date"]
            history[i].pop("date_precision", None)
    for event in history:  # schema 2 spells the precision in the date: 2021-05, 2021, ~...
        day, precision = event["date"], event.pop("date_precision", "day")
        spelled = {"month": day.strftime("%Y-%m"), "year": f"{day.year:04d}"}
        event["date"] = spelled.get(precision, f"~{day}" if precision == "approximate" else day)
    return history


def generate(count: int, seed: int = 2019) -> Dataset:
    """A valid dataset of `count` synthetic roadmaps with 10 events each."""
    rng = random.Random(seed)
    shipped = store.load(store.bundled_path())
    base = to_plain(shipped)
    source_ids = [s["id"] for s in base["sources"]]
    open_ids = [c["id"] for c in base["conditions"] if c["status"] == "open"]
    all_ids = [c["id"] for c in base["conditions"]]
    as_of = shipped.as_of
    statuses = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    roadmaps = []
    for number in range(1, count + 1):
        final = rng.choices(statuses, weights)[0]
        sphere = rng.choice(SPHERES)
        words = rng.sample(WORDS, 3)
        if final == "blocked":
            linked = [*rng.sample(all_ids, rng.randint(0, 1)), rng.choice(open_ids)]
            linked = list(dict.fromkeys(linked))
        elif final in ("agreed", "signed"):
            linked = []
        else:
            linked = rng.sample(all_ids, rng.randint(0, 2))
        roadmaps.append(
            {
                "number": number,
                "id": f"{sphere.replace(' ', '-')}-{words[0]}-{number}",
                "title": f"{' '.join(words).capitalize()} ({sphere})",
                "title_confirmed": rng.random() < 0.2,
                "sphere": sphere,
                "status": final,
                "linked_conditions": linked,
                "history": _history(rng, final, as_of, source_ids),
                "notes": _note(rng) if rng.random() < 0.5 else "",
            }
        )
    base["title"] = f"Synthetic benchmark dataset: {count} roadmaps"
    base["roadmaps"] = roadmaps
    for program in base.get("programs", []):  # the shipped roadmaps they continue are gone
        program.update(succeeds=[], succession=None)
    return validate(base)


def signable(dataset: Dataset) -> str:
    """The id of an agreed roadmap with no linked condition: `sign` accepts it."""
    middle = len(dataset.roadmaps) // 2
    for roadmap in dataset.roadmaps[middle:] + dataset.roadmaps[:middle]:
        if roadmap.status.value == "agreed" and not roadmap.linked_conditions:
            return roadmap.id
    raise ValueError("no agreed roadmap without conditions")


def write(count: int, path: Path, seed: int = 2019) -> str:
    """Write the dataset canonically to `path`; return the id of a roadmap `sign` accepts."""
    dataset = generate(count, seed)
    store.save(dataset, path)
    return signable(dataset)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate.py COUNT PATH [--seed N]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args(argv)
    roadmap = write(args.count, args.path, args.seed)
    print(f"wrote {args.path} ({args.path.stat().st_size:,} bytes); signable: {roadmap}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
