"""The record after 28 May 2021, replayed by commands (issue 20's "Done when").

`scripts/replay.sh` (printed by `scripts/replay.py`) is run on a fresh
`unionstate init --as-of 2021-05-28` copy; the result must validate and differ from the
shipped record only in the kinds named in EXPECTED, each with the reason no command can
say it. The drift test keeps the committed script equal to what the generator prints now.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from unionstate import store

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data" / "roadmaps.yaml"
SCRIPT = REPO / "scripts" / "replay.sh"
UNIONSTATE = Path(sys.executable).parent / "unionstate"

Change = dict[str, Any]

# Every kind of difference that remains, and why no command can or should close it.
EXPECTED: dict[str, tuple[Callable[[Change], bool], str]] = {
    "open questions": (
        lambda c: c["collection"] == "open_questions" and c["kind"] == "removed",
        "open questions are today's questions about the record, not dated facts: "
        "`init --as-of` drops them and no command records one (hand-edit them, or `edit`)",
    ),
}


def _env(tmp: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIONSTATE")}
    env.update(
        UNIONSTATE=str(UNIONSTATE),
        UNIONSTATE_DATA=str(data),
        UNIONSTATE_CACHE_DIR=str(tmp / "cache"),
        XDG_CACHE_HOME=str(tmp / "xdg-cache"),
        XDG_STATE_HOME=str(tmp / "xdg-state"),
        NO_COLOR="1",
    )
    return env


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("replay")
    data = tmp / "replayed.yaml"
    env = _env(tmp, data)
    init = [str(UNIONSTATE), "--data", str(SHIPPED), "init", "--as-of", "2021-05-28", str(data)]
    subprocess.run(init, env=env, check=True, capture_output=True, cwd=tmp)
    ran = subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, cwd=tmp, timeout=1800
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    return data, env


@pytest.mark.slow
def test_the_replayed_record_validates(replayed: tuple[Path, dict[str, str]]) -> None:
    data, env = replayed
    result = subprocess.run(
        [str(UNIONSTATE), "validate", str(data)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shipped = store.load(SHIPPED)
    assert f"{len(shipped.sources)} sources" in result.stdout  # every source, none added twice


@pytest.mark.slow
def test_it_differs_from_the_shipped_record_only_as_expected(
    replayed: tuple[Path, dict[str, str]],
) -> None:
    data, env = replayed
    result = subprocess.run(
        [str(UNIONSTATE), "diff", str(SHIPPED), str(data), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    changes: list[Change] = json.loads(result.stdout)
    unexpected = [c["text"] for c in changes if not any(test(c) for test, _ in EXPECTED.values())]
    assert unexpected == []
    seen = {name for name, (test, _) in EXPECTED.items() if any(map(test, changes))}
    assert seen == set(EXPECTED)  # each named difference still exists (else drop it)


def test_the_committed_script_is_what_the_generator_prints() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import replay
    finally:
        sys.path.remove(str(REPO / "scripts"))
    from unionstate import store

    assert SCRIPT.read_text(encoding="utf-8") == replay.script(store.load(SHIPPED)), (
        "scripts/replay.sh drifted: python scripts/replay.py > scripts/replay.sh"
    )
