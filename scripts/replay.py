"""Print `scripts/replay.sh`: the record after 28 May 2021, replayed by `unionstate` commands.

Reads data/roadmaps.yaml and the seed `unionstate init --as-of 2021-05-28` writes (the same
`updates.rewind`), and prints one `unionstate` command for every fact the seed lacks: each
source first (with its publisher, title, date, language and agency), then, in date order,
every new program or Main Directions document (`add`), status event (`agree`, `sign`, ...),
condition event (`resolve`, `reopen`), observation (`note`), assessment (`assess`), official
count (`count add`) and target (`target add`, `move`, `set`), each with its sources and notes.
Run the script on a fresh init copy (UNIONSTATE_DATA pointing at it); tests/test_replay.py
does, and names the differences that remain from the shipped record, with their reasons.

    python scripts/replay.py > scripts/replay.sh
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unionstate import queries, store, updates  # noqa: E402
from unionstate.models import Condition, Dataset, Document, RoadmapStatus, When  # noqa: E402

SEED_DATE = dt.date(2021, 5, 28)
_VERB = {
    RoadmapStatus.AGREED: "agree",
    RoadmapStatus.SIGNED: "sign",
    RoadmapStatus.PENDING: "reopen",
    RoadmapStatus.SET_ASIDE: "set-aside",
}


def _opt(name: str, value: Any) -> list[str]:
    """`--name value`, or nothing for no value."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, list):
        value = ",".join(value)
    return [name, str(getattr(value, "value", value))]


def _sources(ids: Sequence[str]) -> list[str]:
    return [arg for sid in ids for arg in ("--source", sid)]


def _key(when: When) -> tuple[dt.date, dt.date]:
    return (when.first, when.last)


def _new(items: Sequence[Any], old: Sequence[Any]) -> list[Any]:
    kept = list(old)
    out = []
    for item in items:
        if item in kept:
            kept.remove(item)
        else:
            out.append(item)
    return out


def steps(full: Dataset, seed: Dataset) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
    """(sort key, argv) for every fact of `full` that `seed` lacks."""
    order = 0

    def step(when: When, rank: int, argv: list[str], after: tuple[Any, ...] = ()) -> Any:
        nonlocal order
        order += 1
        key = max((*_key(when), rank, order), after) if after else (*_key(when), rank, order)
        return key, argv

    known = {s.id for s in seed.sources}
    for source in full.sources:
        if source.id in known:
            continue
        yield (
            (dt.date.min,),
            [
                "source",
                "add",
                source.url,
                "--id",
                source.id,
                *_opt("--publisher", source.publisher),
                *_opt("--title", source.title),
                *_opt("--date", source.date),
                *_opt("--language", source.language),
                *_opt("--reprint-of", source.reprint_of),
            ],
        )

    old_docs: dict[str, Document] = {d.id: d for d in seed.documents}
    for kind, records in (("program", full.programs), ("directions", full.directions)):
        for doc in records:
            if doc.id in old_docs:  # drawn up by the seed's day: only what came later
                yield from _document(doc, old_docs[doc.id], step, (), full.conditions)
                continue
            first = doc.history[0]
            argv = [
                *("add", kind, "--id", doc.id, "--title", doc.title, "--number", str(doc.number)),
                *_opt("--sphere", doc.sphere),
                *_opt("--status", first.status),
                *_opt("--title-basis", doc.title_basis.value),
                *_opt("--link", doc.linked_conditions),
                *_opt("--succeeds", getattr(doc, "succeeds", [])),
                *_opt("--succession", getattr(doc, "succession", None)),
                *_opt("--contains", getattr(doc, "contains", [])),
                *_opt("--notes", doc.notes),
                *("--on", first.date.text, "--note", first.note),
                *_sources(first.sources),
            ]
            created = step(first.date, 0, argv)
            yield created
            yield from _document(doc, None, step, created[0], full.conditions)
    for doc in full.roadmaps:
        yield from _document(doc, old_docs[doc.id], step, (), full.conditions)

    old_conditions = {c.id: c for c in seed.conditions}
    for condition in full.conditions:
        old = old_conditions.get(condition.id)
        if old is None:  # none is raised after the seed's day; the brief's `add condition`
            raise SystemExit(f"condition {condition.id} is new: add it to replay.py")
        for event in _new(condition.history, old.history):
            verb = "resolve" if event.status.value == "resolved" else "reopen"
            yield step(
                event.date,
                1,
                [
                    verb,
                    condition.id,
                    "--on",
                    event.date.text,
                    "--note",
                    event.note,
                    *_sources(event.sources),
                ],
            )
        for obs in _new(condition.observations, old.observations):
            yield step(obs.date, 2, _note(condition.id, obs))

    for milestone in _new(full.milestones, seed.milestones):
        yield step(
            milestone.date,
            3,
            ["count", "add", "--on", milestone.date.text, "--unit", milestone.unit]
            + ["--reported", milestone.reported]
            + _opt("--done", milestone.done and milestone.done.text)
            + _opt("--total", milestone.total)
            + _opt("--agreed", milestone.agreed and milestone.agreed.text)
            + _opt("--open", milestone.open and milestone.open.text)
            + _opt("--percent", milestone.percent)
            + (["--no-figure"] if _figureless(milestone) else [])
            + _opt("--members", milestone.members)
            + _opt("--subject", milestone.subject)
            + _opt("--by", milestone.speaker)
            + _opt("--side", milestone.side)
            + _opt("--note", milestone.note)
            + _sources(milestone.sources),
        )


def _figureless(milestone: Any) -> bool:
    figures = ("done", "total", "agreed", "open", "percent")
    return all(getattr(milestone, name) is None for name in figures)


def _note(record: str, obs: Any) -> list[str]:
    return [
        "note",
        record,
        "--on",
        obs.date.text,
        "--note",
        obs.note,
        *_opt("--by", obs.by),
        *_opt("--side", obs.side),
        *_sources(obs.sources),
    ]


def _document(
    doc: Document,
    old: Document | None,
    step: Any,
    after: tuple[Any, ...],
    conditions: Sequence[Condition] = (),
) -> Any:
    history = doc.history[1:] if old is None else _new(doc.history, old.history)
    for event in history:
        argv = [_VERB.get(event.status, "block"), doc.id, "--on", event.date.text]
        argv += ["--note", event.note]
        if event.status == RoadmapStatus.BLOCKED:  # by the one linked condition open then
            holding = [
                c.id
                for c in conditions
                if c.id in doc.linked_conditions
                and queries.condition_standing(c, event.date.last) == "open"
            ]
            if len(holding) != 1:
                raise SystemExit(f"{doc.id}: blocked by which of {holding} on {event.date}?")
            argv += ["--condition", holding[0]]
        if event.override:
            argv.append("--force")
        yield step(event.date, 1, argv + _sources(event.sources), after)
    for obs in _new(doc.observations, old.observations if old else []):
        yield step(obs.date, 2, _note(doc.id, obs), after)
    for item in _new(getattr(doc, "implementation", []), getattr(old, "implementation", [])):
        yield step(
            item.date,
            2,
            [
                "assess",
                doc.id,
                item.state.value,
                "--on",
                item.date.text,
                "--by",
                item.assessor,
                "--side",
                item.side.value,
                *_opt("--percent", item.percent),
                *_opt("--done", item.done),
                *_opt("--total", item.total),
                *_opt("--unit", item.unit),
                *_opt("--late", item.late),
                *_opt("--note", item.note),
                *_sources(item.sources),
            ],
            after,
        )
    old_targets = {t.id: t for t in (old.targets if old else [])}
    for target in doc.targets:
        was = old_targets.get(target.id)
        due = target.due if was is None else _new(target.due, was.due)
        added = after
        for n, planned in enumerate(due):
            verb = "add" if was is None and n == 0 else "move"
            argv = ["target", verb, doc.id, target.id]
            argv += (
                ["--title", target.title, *_opt("--notes", target.note)] if verb == "add" else []
            )
            argv += ["--due", planned.date.text, "--on", planned.set.text]
            argv += _opt("--by", planned.by) + _opt("--side", planned.side)
            argv += _opt("--note", planned.note) + _sources(planned.sources)
            added = step(planned.set, 4, argv, added)[0]
            yield added, argv
        outcome = target.outcome
        if outcome is not None and (was is None or was.outcome != outcome):
            yield step(
                outcome.date,
                5,
                [
                    "target",
                    "set",
                    doc.id,
                    target.id,
                    outcome.state,
                    "--on",
                    outcome.date.text,
                    *_opt("--note", outcome.note),
                    *_sources(outcome.sources),
                ],
                added,
            )


def script(full: Dataset) -> str:
    seed = updates.rewind(full, SEED_DATE)
    lines = [
        "#!/bin/sh",
        "# The record after 28 May 2021, replayed by commands. Generated by scripts/replay.py:",
        "# do not edit. Run it on a fresh copy, as tests/test_replay.py does:",
        "#   unionstate init --as-of 2021-05-28 replay.yaml",
        "#   UNIONSTATE_DATA=replay.yaml sh scripts/replay.sh",
        "set -eu",
        'unionstate="${UNIONSTATE:-unionstate}"',
    ]
    for _, argv in sorted(steps(full, seed), key=lambda s: s[0]):
        lines.append('"$unionstate" ' + shlex.join(argv))
    return "\n".join(lines) + "\n"


def main() -> None:
    full = store.load(ROOT / "data" / "roadmaps.yaml")
    sys.stdout.write(script(full))


if __name__ == "__main__":
    main()
