"""The command line as a user meets it, on a copy of the shipped dataset.

Every update is checked by reloading the file through `store.load`; every refusal by
comparing the file's bytes before and after. Expected values come from the issue's
"done when" list and, where they are counts, from the raw YAML read independently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from unionstate import __version__, cli, files, store, updates
from unionstate.cli import app
from unionstate.models import ConditionStatus, RoadmapStatus, When
from unionstate.queries import STATUSES

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = REPO_ROOT / "tests" / "data" / "record-2021-05-28.yaml"  # frozen: see tests/data
TODAY = dt.date.today()
TOMORROW = TODAY + dt.timedelta(days=1)

ESC = "\x1b"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX_DRAWING = re.compile("[\u2500-\u257f]")
LIST_HEADER = "number\tid\ttitle\tsphere\tstatus\topen_conditions\tlast_event"
NOT_ADOPTED = ["taxation", "customs", "oil-market", "gas-market", "supranational-bodies"]
# pending or blocked on 2021-05-28, and two agreed roadmaps tied to an open demand
UNRESOLVED = [
    "taxation",
    "customs",
    "oil-market",
    "gas-market",
    "agriculture",
    "veterinary",
    "supranational-bodies",
]
COMMANDS = [
    "list",
    "show",
    "conditions",
    "summary",
    "history",
    "validate",
    "export",
    "info",
    "sign",
    "agree",
    "block",
    "reopen",
    "resolve",
    "init",
    "merge",
    "diff",
    "undo",
    "git-setup",
]

# Variables that change layout or colour: unset unless a test sets them on purpose.
CLEAN_ENV: dict[str, str | None] = {
    "TTY_COMPATIBLE": None,
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "COLUMNS": None,
    "UNIONSTATE_DEBUG": None,
}
TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "200"}


# ------------------------------------------------------------------------ helpers


def run(data: Path | None, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Run `unionstate [--data DATA] ARGS`; it may fail, but never with a traceback."""
    argv = ["--data", str(data), *args] if data is not None else list(args)
    result = CliRunner().invoke(app, argv, env={**CLEAN_ENV, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code != 70, result.stderr
    return result


def ids(stdout: str) -> list[str]:
    """The second column of tab-separated output, as `cut -f2` gives it, without the header."""
    return [line.split("\t")[1] for line in stdout.splitlines()[1:]]


def raw(path: Path) -> dict[str, Any]:
    """The data file read with plain PyYAML: an oracle independent of unionstate's loader."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def raw_status_on(roadmap: dict[str, Any], when: dt.date) -> str | None:
    """A roadmap's status on `when` from its raw history (None: no event yet)."""
    status = None
    for event in roadmap["history"]:
        if When.parse(spelled(event["date"])).last <= when:
            status = event["status"]
    return status


def spelled(value: Any) -> str:
    """A date as the data file spells it (PyYAML reads a plain day as a date)."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def write_state(path: Path, action: str, names: list[str], on: str) -> None:
    """Set up a state through the library (not the CLI under test)."""
    entry = updates.Entry(on=dt.date.fromisoformat(on))
    store.update(path, lambda d: updates.transition(d, action, names, entry, TODAY))


# --------------------------------------------------------------------------- list


def test_list_unresolved_gives_the_five_roadmaps_open_on_2021_05_28(data: Path) -> None:
    result = run(data, "list", "--unresolved")
    assert result.exit_code == 0
    # the five not adopted, and two agreed ones still tied to an open demand
    assert ids(result.stdout) == UNRESOLVED
    rows = json.loads(run(data, "list", "--unresolved", "--json").stdout)
    because = {row["id"]: row["unresolved_because"] for row in rows}
    assert because["taxation"] == ["not-adopted", "open-condition"]
    assert because["agriculture"] == ["open-condition"]
    assert because["supranational-bodies"] == ["not-adopted", "open-condition"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--status", "pending"], ["customs"]),
        (["--status", "blocked"], ["taxation", "oil-market", "gas-market", "supranational-bodies"]),
        (["--status", "pending", "--status", "blocked"], NOT_ADOPTED),
        (["-s", "signed"], []),
        (["--sphere", "energy"], ["oil-market", "gas-market", "electricity"]),
        (["--sphere", "ENERGY"], ["oil-market", "gas-market", "electricity"]),
        (["--unresolved", "--sphere", "energy"], ["oil-market", "gas-market"]),
        (["--condition", "gas-price"], ["gas-market"]),
        (["--condition", "tax-manoeuvre-compensation"], ["taxation", "oil-market", "gas-market"]),
        (["--condition", "goods-restrictions"], ["agriculture", "veterinary"]),
        (["--search", "ROAMING"], ["communications"]),  # in the title only
        (["--search", "single GAS"], ["gas-market"]),
        (
            ["--search", "oreshkin"],  # in the notes only
            [
                "taxation",
                "customs",
                "oil-market",
                "gas-market",
                "agriculture",
                "alcohol-trade",
                "communications",
            ],
        ),
        (["--search", "no such words anywhere"], []),
        (["--as-of", "2019-12-31", "--status", "pending"], []),
        (
            ["--as-of", "2019-12-31", "--unresolved"],
            [
                "taxation",
                "oil-market",
                "gas-market",
                "agriculture",  # agreed, tied to an open demand
                "veterinary",
                "supranational-bodies",
            ],
        ),
        (["--as-of", "2019-11-30", "--status", "agreed"], ["monetary-policy"]),
        (["--as-of", "2019-08-31"], []),  # before the list of roadmaps was approved
    ],
)
def test_list_filters(data: Path, args: list[str], expected: list[str]) -> None:
    result = run(data, "list", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(LIST_HEADER)  # --unresolved: + reasons
    assert ids(result.stdout) == expected


def test_list_status_agreed_matches_the_raw_data(data: Path) -> None:
    expected = [r["id"] for r in raw(data)["roadmaps"] if r["status"] == "agreed"]
    result = run(data, "list", "--status", "agreed")
    assert ids(result.stdout) == expected
    assert len(expected) == 26


def test_list_as_of_rebuilds_the_state_on_that_date(data: Path) -> None:
    """On 2019-12-31 customs was agreed; it went back to pending only in May 2021."""
    when = dt.date(2019, 12, 31)
    result = run(data, "list", "--as-of", when.isoformat(), "--json")
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["customs"]["status"] == "agreed"
    expected = {r["id"]: raw_status_on(r, when) for r in raw(data)["roadmaps"]}
    assert {rid: row["status"] for rid, row in rows.items()} == expected
    assert all(row["last_event_date"] <= when.isoformat() for row in rows.values())


@pytest.mark.parametrize(
    ("condition", "expected_error"),
    [
        ("gas-pric", "did you mean 'gas-price'"),
        ("tax-manoeuvre", "did you mean 'tax-manoeuvre-compensation'"),
        ("zzz", "unknown condition 'zzz'"),
    ],
)
def test_list_unknown_condition_is_refused(data: Path, condition: str, expected_error: str) -> None:
    result = run(data, "list", "--condition", condition)
    assert result.exit_code == 1
    assert expected_error in result.stderr
    assert result.stdout == ""


def test_list_piped_is_tab_separated_with_one_header(data: Path) -> None:
    result = run(data, "list")
    lines = result.stdout.splitlines()
    assert lines[0] == LIST_HEADER
    assert len(lines) == 32
    assert all(len(line.split("\t")) == 7 for line in lines)
    assert ids(result.stdout) == [r["id"] for r in raw(data)["roadmaps"]]
    assert not BOX_DRAWING.search(result.stdout)
    assert ESC not in result.stdout
    gas = next(line.split("\t") for line in lines if "\tgas-market\t" in line)
    assert gas == [
        "14",
        "gas-market",
        "Gas market (single gas market)",
        "energy",
        "blocked",
        "gas-price,tax-manoeuvre-compensation",
        "~2021-05-26",
    ]


@pytest.mark.parametrize("env", [{}, TERMINAL], ids=["piped", "terminal"])
def test_list_json_shape(data: Path, env: dict[str, str]) -> None:
    """`list --json` is the same document on a terminal and through a pipe: no colour, indent 2."""
    result = run(data, "list", "--json", env=env)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert result.stdout == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert ESC not in result.stdout
    assert len(document) == 31
    fields = {
        "number",
        "id",
        "title",
        "sphere",
        "status",
        "linked_conditions",
        "open_conditions",
        "last_event_date",
    }
    assert all(fields <= set(row) for row in document)
    gas = next(row for row in document if row["id"] == "gas-market")
    assert gas["number"] == 14
    assert gas["status"] == "blocked"
    assert gas["linked_conditions"] == ["gas-price", "tax-manoeuvre-compensation"]
    assert gas["open_conditions"] == ["gas-price", "tax-manoeuvre-compensation"]
    assert gas["last_event_date"] == "~2021-05-26"  # approximate, and says so


def test_list_on_a_terminal_draws_a_table_with_every_row(data: Path) -> None:
    result = run(data, "list", env=TERMINAL)
    assert result.exit_code == 0
    assert BOX_DRAWING.search(result.stdout)
    assert "\t" not in result.stdout
    plain = ANSI.sub("", result.stdout)
    for roadmap in raw(data)["roadmaps"]:
        cells = rf"│\s*{roadmap['number']} │ {roadmap['id']}\s+│"
        row = next(line for line in plain.splitlines() if re.match(cells, line))
        assert roadmap["title"] in row
        assert f" {roadmap['status']} " in row  # spelled out, not colour alone


@pytest.mark.parametrize("width", [60, 80, 100, 200])
def test_list_at_any_width_keeps_every_row_and_breaks_no_id_or_date(data: Path, width: int) -> None:
    """Numbers, statuses and dates never wrap; the title stays (its first words at least,
    on the row's first line); the id is the first to go below 80 columns (the number is
    accepted back), then columns drop out."""
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": str(width)}
    result = run(data, "--color", "never", "list", env=env)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    for roadmap in raw(data)["roadmaps"]:
        row = next(line for line in lines if re.match(rf"│\s*{roadmap['number']} │", line))
        assert f" {roadmap['status']} " in row
        assert f" {roadmap['title'].split()[0]}" in row
        assert (f" {roadmap['id']} " in row) is (width >= 80)
    assert ("sphere" in lines[2]) is (width >= 200)  # the first column to go when narrow


@pytest.mark.parametrize("width", [60, 80, 100, 200])
@pytest.mark.parametrize(
    "command", [["history"], ["conditions"], ["summary"], ["history", "--chart"]]
)
def test_no_view_breaks_an_id_or_a_date_at_any_width(
    data: Path, width: int, command: list[str]
) -> None:
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": str(width)}
    result = run(data, "--color", "never", *command, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    document = raw(data)
    ids = [r["id"] for r in document["roadmaps"]] + [c["id"] for c in document["conditions"]]
    for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", result.stdout):
        # Any id-like word that starts an id is the whole id: nothing broke it in two.
        cut = [i for i in ids if i.startswith(word) and i != word and i[len(word)] != "-"]
        if cut and word not in ids:
            assert word.isdigit() or re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", word), word
    for date in re.findall(r"\b\d{4}-\d{2}-\d{0,1}\b(?!\d)", result.stdout):
        raise AssertionError(f"a date was cut: {date!r}")


def test_summary_on_a_terminal_fits_one_screen_and_full_gives_everything(data: Path) -> None:
    env = {"TTY_COMPATIBLE": "1", "COLUMNS": "80", "LINES": "24"}
    brief = run(data, "--color", "never", "summary", env=env)
    assert len(brief.stdout.splitlines()) <= 23
    assert brief.stdout.startswith("Russia–Belarus Union State integration, as of 2021-05-28")
    assert "Roadmaps (2019), 31: 1 pending, 26 agreed, 4 blocked" in brief.stdout
    full = run(data, "--color", "never", "summary", "--full", env=env)
    assert len(full.stdout.splitlines()) > 24
    assert "Counts officials reported" in full.stdout
    piped = run(data, "summary")
    assert piped.stdout == run(data, "summary", "--full").stdout  # a pipe gets everything


# --------------------------------------------------------------------------- show


@pytest.mark.parametrize(
    ("name", "expected_id", "expected_error"),
    [
        ("14", "gas-market", None),
        ("gas-market", "gas-market", None),
        ("gas", "gas-market", None),
        ("GAS-Market", "gas-market", None),
        ("31", "supranational-bodies", None),
        ("unid", None, "ambiguous: it could be unidentified-27, unidentified-28, "),
        ("c", None, "ambiguous"),
        ("gaz", None, "did you mean 'gas-market'"),
        ("custom", "customs", None),
        ("customz", None, "did you mean 'customs'"),
        ("99", None, "unknown roadmap '99'"),
        ("0", None, "unknown roadmap '0'"),
    ],
)
def test_show_names_a_roadmap_by_number_id_or_prefix(
    data: Path, name: str, expected_id: str | None, expected_error: str | None
) -> None:
    result = run(data, "show", name, "--json")
    if expected_error is None:
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["id"] == expected_id
    else:
        assert result.exit_code == 1
        assert expected_error in result.stderr
        assert result.stdout == ""


def test_show_ambiguous_prefix_lists_every_candidate(data: Path) -> None:
    result = run(data, "show", "unidentified")
    assert result.exit_code == 1
    for number in (27, 28, 29, 30):
        assert f"unidentified-{number}" in result.stderr


def test_show_json_has_title_basis_history_with_sources_and_notes(data: Path) -> None:
    result = run(data, "show", "gas-market", "--json")
    assert result.exit_code == 0
    detail = json.loads(result.stdout)
    assert result.stdout == json.dumps(detail, indent=2, ensure_ascii=False) + "\n"
    expected = next(r for r in raw(data)["roadmaps"] if r["id"] == "gas-market")
    assert detail["title"] == expected["title"]
    assert detail["title_basis"] == "named"  # a version 2 file: its confirmed flag
    assert detail["notes"] == expected["notes"]
    assert detail["status"] == "blocked"
    assert [e["date"] for e in detail["history"]] == [
        spelled(e["date"]) for e in expected["history"]
    ]
    sources = {s["id"]: s for s in raw(data)["sources"]}
    for event, raw_event in zip(detail["history"], expected["history"], strict=True):
        assert {"date", "status", "note", "sources"} <= set(event)
        assert event["status"] == raw_event["status"]
        assert event["note"] == raw_event["note"]
        assert [(s["publisher"], s["url"]) for s in event["sources"]] == [
            (sources[sid]["publisher"], sources[sid]["url"]) for sid in raw_event["sources"]
        ]


def test_show_piped_is_one_table_of_facts_and_each_section_is_one_table(data: Path) -> None:
    result = run(data, "show", "customs")
    assert result.exit_code == 0
    assert "\n\n" not in result.stdout  # one table
    rows = dict(line.split("\t", 1) for line in result.stdout.splitlines()[1:])
    assert rows["id"] == "customs"
    assert rows["status"] == "pending"
    assert rows["title_basis"] == "named"
    history = run(data, "show", "customs", "--section", "history").stdout.splitlines()
    assert history[0] == "date\tkind\tstatus\tnote\tsources"
    assert len(history) - 1 == len(store.load(data).roadmap_by_id("customs").history)
    cited = {sid for line in history[1:] for sid in line.split("\t")[4].split(",") if sid}
    sources = run(data, "show", "customs", "--section", "sources").stdout.splitlines()
    assert sources[0] == "id\tpublisher\turl\ttitle\tdate\tlanguage\treprint_of"
    assert {line.split("\t")[0] for line in sources[1:]} == cited  # every id, its own row
    assert all(line.split("\t")[2].startswith("http") for line in sources[1:])
    assert ESC not in result.stdout


def test_program_numbers_piped_are_accepted_back_by_show(shipped: Path, tmp_path: Path) -> None:
    """`list --programs | cut -f1 | sed -n 2p | xargs unionstate show` opens P1, not 1."""
    exe = Path(sys.executable).parent / "unionstate"
    env = {**os.environ, "UNIONSTATE_DATA": str(shipped), "UNIONSTATE_CACHE_DIR": str(tmp_path)}
    pipeline = f"'{exe}' list --programs | cut -f1 | sed -n 2p | xargs '{exe}' show"
    done = subprocess.run(
        ["sh", "-c", pipeline], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    rows = dict(line.split("\t", 1) for line in done.stdout.splitlines()[1:])
    assert rows["number"] == "P1"
    assert rows["id"] == store.load(shipped).programs[0].id


def test_a_section_that_is_not_there_is_a_usage_error_with_a_hint(data: Path) -> None:
    result = run(data, "summary", "--section", "sphere")
    assert result.exit_code == 2
    assert "unknown section 'sphere' (did you mean 'spheres'?)" in result.stderr
    assert result.stdout == ""


def test_show_on_a_terminal_draws_a_panel_with_sources(data: Path) -> None:
    result = run(data, "show", "gas-market", env=TERMINAL)
    assert result.exit_code == 0
    plain = ANSI.sub("", result.stdout)
    assert "Gas market (single gas market)" in plain
    assert "gas-price" in plain
    assert "blocked" in plain
    assert "https://news.online.ua/" in plain
    assert BOX_DRAWING.search(plain)


# ------------------------------------------------------------------------- sign


def test_sign_gas_market_is_refused_naming_the_open_gas_price_condition(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "gas-market")
    assert result.exit_code == 1
    assert "gas-price" in result.stderr
    assert "unionstate resolve gas-price" in result.stderr
    assert result.stdout == ""
    assert data.read_bytes() == before


def test_sign_pending_customs_is_refused_with_the_agree_command(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "customs")
    assert result.exit_code == 1
    assert "unionstate agree customs" in result.stderr
    assert data.read_bytes() == before


def test_done_when_resolve_agree_sign_gas_market(data: Path) -> None:
    """The issue's "done when": resolve both gas conditions, agree, then sign gas-market."""
    gas_history = len(store.load(data).roadmap_by_id("gas-market").history)

    result = run(data, "resolve", "gas-price", "--on", "2021-09-09", "--note", "Gas deal.")
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    gas_price = after.condition_by_id("gas-price")
    assert gas_price.status is ConditionStatus.RESOLVED
    assert gas_price.history[-1].date.lo == dt.date(2021, 9, 9)
    assert gas_price.history[-1].status is ConditionStatus.RESOLVED
    assert gas_price.history[-1].note == "Gas deal."
    # still tied to the open tax-manoeuvre condition
    assert after.roadmap_by_id("gas-market").status is RoadmapStatus.BLOCKED
    assert len(after.roadmap_by_id("gas-market").history) == gas_history

    result = run(
        data, "resolve", "tax-manoeuvre-compensation", "--on", "2021-09-09", "--note", "Deal."
    )
    assert result.exit_code == 0, result.stderr
    assert "gas-market" in result.stderr
    after = store.load(data)
    gas = after.roadmap_by_id("gas-market")
    assert gas.status is RoadmapStatus.PENDING
    assert len(gas.history) == gas_history + 1
    freed = gas.history[-1]
    assert (freed.date.lo, freed.status) == (dt.date(2021, 9, 9), RoadmapStatus.PENDING)
    assert "tax-manoeuvre-compensation" in freed.note
    for other in ("taxation", "oil-market"):
        assert after.roadmap_by_id(other).status is RoadmapStatus.PENDING

    result = run(data, "agree", "gas-market", "--on", "2021-09-09")
    assert result.exit_code == 0, result.stderr
    gas = store.load(data).roadmap_by_id("gas-market")
    assert gas.status is RoadmapStatus.AGREED
    assert len(gas.history) == gas_history + 2
    assert (gas.history[-1].date.lo, gas.history[-1].status) == (
        dt.date(2021, 9, 9),
        RoadmapStatus.AGREED,
    )

    result = run(data, "sign", "gas-market", "--on", "2021-09-10")
    assert result.exit_code == 0, result.stderr
    assert "signed" in result.stderr
    after = store.load(data)
    gas = after.roadmap_by_id("gas-market")
    assert gas.status is RoadmapStatus.SIGNED
    assert len(gas.history) == gas_history + 3
    assert (gas.history[-1].date.lo, gas.history[-1].status) == (
        dt.date(2021, 9, 10),
        RoadmapStatus.SIGNED,
    )
    assert after.as_of == dt.date(2021, 9, 10)

    summary = json.loads(run(data, "summary", "--json").stdout)
    assert summary["by_status"]["signed"] == 1
    assert summary["as_of"] == "2021-09-10"


def test_signing_an_already_signed_roadmap_changes_nothing(data: Path) -> None:
    write_state(data, "sign", ["transport"], "2021-09-01")
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", "2021-09-02")
    assert result.exit_code == 0
    assert "already signed" in result.stderr
    assert data.read_bytes() == before


def test_sign_several_roadmaps_is_all_or_nothing(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "transport", "trade", "customs", "--on", "2021-09-01")
    assert result.exit_code == 1
    assert "customs" in result.stderr
    assert data.read_bytes() == before
    assert store.load(data).roadmap_by_id("transport").status is RoadmapStatus.AGREED


def test_sign_several_roadmaps_signs_each_once(data: Path) -> None:
    before = store.load(data)
    result = run(data, "sign", "transport", "19", "trans", "--on", "2021-09-01")
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    for rid in ("transport", "trade"):
        roadmap = after.roadmap_by_id(rid)
        assert roadmap.status is RoadmapStatus.SIGNED
        assert len(roadmap.history) == len(before.roadmap_by_id(rid).history) + 1
        assert roadmap.history[-1].date.lo == dt.date(2021, 9, 1)


def test_sign_refusals_are_one_per_line(data: Path) -> None:
    result = run(data, "sign", "customs", "gas-market")
    assert result.exit_code == 1
    assert "\\u000a" not in result.stderr
    lines = result.stderr.splitlines()
    assert any("customs" in line and "gas-market" not in line for line in lines)
    assert any("gas-market" in line and "customs" not in line for line in lines)


def test_sign_force_without_note_is_a_usage_error(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "gas-market", "--force", "--on", "2021-09-01")
    assert result.exit_code == 2
    assert "--note" in result.stderr
    assert data.read_bytes() == before


def test_sign_force_with_note_signs_and_records_the_note(data: Path) -> None:
    result = run(
        data, "sign", "gas-market", "--force", "--note", "Signed despite gas.", "--on", "2021-09-01"
    )
    assert result.exit_code == 0, result.stderr
    gas = store.load(data).roadmap_by_id("gas-market")
    assert gas.status is RoadmapStatus.SIGNED
    assert gas.history[-1].status is RoadmapStatus.SIGNED
    assert gas.history[-1].note.startswith("Signed despite gas.")
    assert gas.history[-1].date.lo == dt.date(2021, 9, 1)


@pytest.mark.parametrize("on", ["2021-9-9", "09/09/2021", "2021-02-30", "yesterday", ""])
def test_sign_malformed_date_is_a_usage_error(data: Path, on: str) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", on)
    assert result.exit_code == 2
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("on", "expected_error"),
    [
        (TOMORROW.isoformat(), "in the future"),
        ("2021-05-25", "its later event of ~2021-05-26 leaves it agreed, which cannot follow"),
        ("2019-01-01", "before roadmap 21 (transport)'s first event (2019-09-06)"),
    ],
)
def test_sign_date_in_the_future_or_that_a_later_event_cannot_follow_is_refused(
    data: Path, on: str, expected_error: str
) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", on)
    assert result.exit_code == 1
    assert expected_error in result.stderr
    assert data.read_bytes() == before


def test_sign_on_the_day_of_the_last_event_is_allowed(data: Path) -> None:
    result = run(data, "sign", "transport", "--on", "2021-05-26")
    assert result.exit_code == 0, result.stderr
    assert store.load(data).roadmap_by_id("transport").history[-1].date.lo == dt.date(2021, 5, 26)


def test_sign_without_on_is_dated_today(data: Path) -> None:
    result = run(data, "sign", "transport")
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    assert after.roadmap_by_id("transport").history[-1].date.lo == TODAY
    assert after.as_of == TODAY


def test_sign_source_url_adds_a_source_and_cites_it(data: Path) -> None:
    url = "https://www.reuters.com/world/europe/belarus-russia-sign-2021-09-10/"
    before = store.load(data)
    result = run(data, "sign", "transport", "--on", "2021-09-10", "--source", url)
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    assert len(after.sources) == len(before.sources) + 1
    new = after.sources[-1]
    assert new.url == url
    assert new.publisher == "reuters.com"
    assert new.id not in {s.id for s in before.sources}
    assert after.roadmap_by_id("transport").history[-1].sources == [new.id]
    assert new.id in result.stderr


def test_sign_source_known_id_is_cited_without_a_new_source(data: Path) -> None:
    before = store.load(data)
    result = run(data, "sign", "transport", "--on", "2021-09-10", "--source", "tass-1295507")
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    assert after.sources == before.sources
    assert after.roadmap_by_id("transport").history[-1].sources == ["tass-1295507"]


def test_sign_source_known_url_reuses_its_id(data: Path) -> None:
    before = store.load(data)
    url = before.sources[0].url
    result = run(data, "sign", "transport", "--on", "2021-09-10", "--source", url)
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    assert after.sources == before.sources
    assert after.roadmap_by_id("transport").history[-1].sources == [before.sources[0].id]


def test_sign_unknown_source_id_is_refused(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", "2021-09-10", "--source", "tass-129550")
    assert result.exit_code == 1
    assert "unknown source 'tass-129550'" in result.stderr
    assert "did you mean" in result.stderr
    assert data.read_bytes() == before


def test_sign_note_with_a_control_character_is_refused(data: Path) -> None:
    before = data.read_bytes()
    result = run(data, "sign", "transport", "--on", "2021-09-10", "--note", "red \x1b[31m")
    assert result.exit_code == 1
    assert ESC not in result.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("on", "expected_as_of"),
    [
        ("2021-09-10", dt.date(2021, 9, 10)),  # after as_of: as_of moves forward
        ("2021-05-27", dt.date(2021, 5, 28)),  # before as_of: as_of stays
    ],
)
def test_an_event_after_as_of_moves_as_of_forward(
    data: Path, on: str, expected_as_of: dt.date
) -> None:
    result = run(data, "agree", "customs", "--on", on)
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    assert after.as_of == expected_as_of
    assert after.roadmap_by_id("customs").history[-1].date.lo == dt.date.fromisoformat(on)


@pytest.mark.parametrize(
    "command",
    [
        ["list", "--as-of", "31.12.2019"],
        ["summary", "--as-of", "2019-12-32"],
        ["history", "--since", "2019-1"],
        ["history", "--until", "soon"],
    ],
)
def test_read_commands_reject_malformed_dates(data: Path, command: list[str]) -> None:
    result = run(data, *command)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_update_while_another_process_holds_the_lock_exits_4(data: Path) -> None:
    before = data.read_bytes()
    with files.locked(data):
        result = run(
            data, "agree", "customs", "--on", "2021-09-01", env={"UNIONSTATE_LOCK_TIMEOUT": "0.2"}
        )
    assert result.exit_code == 4
    assert "lock" in result.stderr
    assert data.read_bytes() == before


def test_update_of_a_read_only_file_exits_5(data: Path) -> None:
    before = data.read_bytes()
    data.chmod(0o444)
    try:
        result = run(data, "agree", "customs", "--on", "2021-09-01")
    finally:
        data.chmod(0o644)
    assert result.exit_code == 5
    assert "read-only" in result.stderr
    assert data.read_bytes() == before


def test_a_missing_data_file_exits_3_and_says_how_to_make_one(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere.yaml", "list")
    assert result.exit_code == 3
    assert "unionstate init" in result.stderr
    assert result.stdout == ""


def test_update_messages_go_to_stderr_not_stdout(data: Path) -> None:
    result = run(data, "agree", "customs", "--on", "2021-09-01")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "roadmap 8 (customs): agreed on 2021-09-01" in result.stderr


# ---------------------------------------------------------- agree, block, reopen

# One roadmap in each status: customs pending, transport agreed, oil-market blocked (by
# tax-manoeuvre-compensation alone), trade signed in the fixture below.
ROADMAP_IN = {
    "pending": "customs",
    "agreed": "transport",
    "blocked": "oil-market",
    "signed": "trade",
}


@pytest.fixture
def four_statuses(data: Path) -> Path:
    """The shipped copy with `trade` signed on 2021-09-01, so every status has a roadmap."""
    write_state(data, "sign", ["trade"], "2021-09-01")
    return data


@pytest.mark.parametrize(
    ("start", "command", "extra", "expected", "expected_message"),
    [
        ("pending", "agree", [], "agreed", "agreed on 2021-09-10"),
        ("agreed", "agree", [], "unchanged", "nothing would record the note"),
        ("blocked", "agree", [], "agreed", "agreed on 2021-09-10"),
        ("signed", "agree", [], "refused", "unionstate reopen trade"),
        ("pending", "block", ["-c", "gas-price"], "blocked", "blocked on 2021-09-10"),
        ("agreed", "block", ["-c", "gas-price"], "blocked", "blocked on 2021-09-10"),
        ("blocked", "block", ["-c", "gas-price"], "blocked", "blocked on 2021-09-10"),
        ("blocked", "block", ["-c", "tax-manoeuvre-compensation"], "unchanged", "nothing would"),
        ("signed", "block", ["-c", "gas-price"], "refused", "unionstate reopen trade"),
        ("pending", "sign", [], "refused", "unionstate agree customs"),
        ("agreed", "sign", [], "signed", "signed on 2021-09-10"),
        ("blocked", "sign", [], "refused", "unionstate resolve tax-manoeuvre-compensation"),
        ("signed", "sign", [], "unchanged", "nothing would record the note"),
        ("pending", "reopen", [], "unchanged", "nothing would record the note"),
        ("agreed", "reopen", [], "pending", "pending on 2021-09-10"),
        ("blocked", "reopen", [], "refused", "unionstate resolve"),
        ("signed", "reopen", [], "pending", "pending on 2021-09-10"),
    ],
)
def test_transitions(
    four_statuses: Path,
    start: str,
    command: str,
    extra: list[str],
    expected: str,
    expected_message: str,
) -> None:
    """Each status × command: moved (new state and history entry), unchanged, or refused."""
    path = four_statuses
    rid = ROADMAP_IN[start]
    before_bytes = path.read_bytes()
    before = store.load(path).roadmap_by_id(rid)
    assert before.status.value == start

    result = run(path, command, rid, "--on", "2021-09-10", "--note", "Test note.", *extra)

    assert expected_message in result.stderr
    if expected in ("unchanged", "refused"):  # unchanged: a --note that would not be written
        assert result.exit_code == 1
        assert path.read_bytes() == before_bytes
        return
    assert result.exit_code == 0, result.stderr
    after = store.load(path).roadmap_by_id(rid)
    assert after.status.value == expected
    assert len(after.history) == len(before.history) + 1
    event = after.history[-1]
    assert (event.date.lo, event.status.value, event.note) == (
        dt.date(2021, 9, 10),
        expected,
        "Test note.",
    )
    if command == "block":
        assert extra[1] in after.linked_conditions


def test_block_links_the_condition_when_not_linked(data: Path) -> None:
    assert store.load(data).roadmap_by_id("customs").linked_conditions == []
    result = run(
        data, "block", "customs", "--condition", "goods-restrictions", "--on", "2021-09-01"
    )
    assert result.exit_code == 0, result.stderr
    after = store.load(data)
    customs = after.roadmap_by_id("customs")
    assert customs.status is RoadmapStatus.BLOCKED
    assert customs.linked_conditions == ["goods-restrictions"]
    assert customs.history[-1].status is RoadmapStatus.BLOCKED
    assert "goods-restrictions" in customs.history[-1].note
    listed = run(data, "list", "--condition", "goods-restrictions")
    assert ids(listed.stdout) == ["customs", "agriculture", "veterinary"]


def test_block_with_a_resolved_condition_is_refused(data: Path) -> None:
    assert run(data, "resolve", "gas-price", "--on", "2021-09-01").exit_code == 0
    before = data.read_bytes()
    result = run(data, "block", "customs", "--condition", "gas-price", "--on", "2021-09-02")
    assert result.exit_code == 1
    assert "gas-price" in result.stderr
    assert "resolved" in result.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected_code", "expected_error"),
    [
        (["--condition", "gas-pirce"], 1, "did you mean 'gas-price'"),
        ([], 2, "--condition"),
    ],
)
def test_block_needs_a_known_condition(
    data: Path, args: list[str], expected_code: int, expected_error: str
) -> None:
    before = data.read_bytes()
    result = run(data, "block", "customs", "--on", "2021-09-01", *args)
    assert result.exit_code == expected_code
    assert expected_error in result.stderr
    assert data.read_bytes() == before


def test_block_condition_id_is_case_insensitive_like_everywhere_else(data: Path) -> None:
    result = run(data, "block", "customs", "--condition", "GAS-PRICE", "--on", "2021-09-01")
    assert result.exit_code == 0, result.stderr
    assert store.load(data).roadmap_by_id("customs").linked_conditions == ["gas-price"]


# -------------------------------------------------------------------------- resolve


def test_resolve_frees_roadmaps_with_no_other_open_condition(data: Path) -> None:
    before = store.load(data)
    result = run(data, "resolve", "tax-manoeuvre-compensation", "--on", "2021-09-01")
    assert result.exit_code == 0, result.stderr
    assert "freed (now pending): taxation, oil-market" in result.stderr
    after = store.load(data)
    for rid in ("taxation", "oil-market"):
        roadmap = after.roadmap_by_id(rid)
        assert roadmap.status is RoadmapStatus.PENDING
        assert len(roadmap.history) == len(before.roadmap_by_id(rid).history) + 1
        assert roadmap.history[-1].date.lo == dt.date(2021, 9, 1)
    # gas-market is still tied to gas-price
    assert after.roadmap_by_id("gas-market") == before.roadmap_by_id("gas-market")
    condition = after.condition_by_id("tax-manoeuvre-compensation")
    assert condition.status is ConditionStatus.RESOLVED
    assert condition.history[-1].note == "Resolved."
    assert after.as_of == dt.date(2021, 9, 1)


def test_resolve_an_already_resolved_condition_changes_nothing(data: Path) -> None:
    assert run(data, "resolve", "sovereignty", "--on", "2021-09-01").exit_code == 0
    before = data.read_bytes()
    result = run(data, "resolve", "sovereignty", "--on", "2021-09-02")
    assert result.exit_code == 0
    assert "already resolved" in result.stderr
    assert data.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected_code", "expected_error"),
    [
        (["gas-prise"], 1, "did you mean 'gas-price'"),
        (["gas-price", "--on", "2019-01-01"], 1, "before condition gas-price's first event"),
        (["gas-price", "--on", TOMORROW.isoformat()], 1, "in the future"),
        (["gas-price", "--on", "28.05.2021"], 2, "YYYY-MM-DD"),
        (["gas-price", "--source", "nowhere"], 1, "unknown source 'nowhere'"),
    ],
)
def test_resolve_refusals_leave_the_file_untouched(
    data: Path, args: list[str], expected_code: int, expected_error: str
) -> None:
    before = data.read_bytes()
    result = run(data, "resolve", *args)
    assert result.exit_code == expected_code
    assert expected_error in result.stderr
    assert data.read_bytes() == before


# ----------------------------------------------------------------------- conditions


def test_conditions_ranked_by_unresolved_roadmaps_held_up(data: Path) -> None:
    result = run(data, "conditions")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "id\ttitle\tstatus\tholds_up\tblocks\troadmaps\tprograms"
    rows = [line.split("\t") for line in lines[1:]]
    assert rows[0][0] == "tax-manoeuvre-compensation"
    assert rows[0][3] == "3"
    held_up = [int(row[3]) for row in rows]
    assert held_up == sorted(held_up, reverse=True)
    assert {row[0] for row in rows} == {c["id"] for c in raw(data)["conditions"]}


def test_conditions_json(data: Path) -> None:
    result = run(data, "conditions", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert result.stdout == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert all({"id", "title", "status", "roadmaps"} <= set(c) for c in document)
    by_id = {c["id"]: c for c in document}
    assert document[0]["id"] == "tax-manoeuvre-compensation"
    assert by_id["tax-manoeuvre-compensation"]["roadmaps"] == [
        "taxation",
        "oil-market",
        "gas-market",
    ]
    assert by_id["gas-price"]["roadmaps"] == ["gas-market"]
    assert by_id["goods-restrictions"]["roadmaps"] == ["agriculture", "veterinary"]
    assert by_id["sovereignty"]["roadmaps"] == ["supranational-bodies"]
    assert {c["status"] for c in document} == {"open"}


def test_conditions_after_resolving_drops_to_the_end(data: Path) -> None:
    run(data, "resolve", "tax-manoeuvre-compensation", "--on", "2021-09-01")
    document = json.loads(run(data, "conditions", "--json").stdout)
    # it holds up the most: two blocked roadmaps and two agreed ones it keeps unresolved
    assert document[0]["id"] == "goods-restrictions"
    assert document[-1]["id"] == "tax-manoeuvre-compensation"
    assert document[-1]["status"] == "resolved"


def test_conditions_on_a_terminal(data: Path) -> None:
    result = run(data, "conditions", env=TERMINAL)
    plain = ANSI.sub("", result.stdout)
    assert BOX_DRAWING.search(plain)
    assert "tax-manoeuvre-compensation" in plain
    assert "open" in plain


# -------------------------------------------------------------------------- summary


def test_summary_counts_by_status_match_the_data(data: Path) -> None:
    result = run(data, "summary", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert result.stdout == json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    counts = Counter(r["status"] for r in raw(data)["roadmaps"])
    assert summary["by_status"] == {s: counts.get(s, 0) for s in STATUSES}
    assert summary["by_status"] == {
        **dict.fromkeys(STATUSES, 0),
        **{"pending": 1, "agreed": 26, "blocked": 4},
    }
    assert summary["total"] == 31
    assert summary["as_of"] == "2021-05-28"
    assert {"by_sphere", "conditions", "latest", "milestones"} <= set(summary)
    assert sum(sphere["total"] for sphere in summary["by_sphere"]) == 31
    assert summary["conditions"][0]["id"] == "tax-manoeuvre-compensation"
    assert len(summary["milestones"]) == len(raw(data)["milestones"])


def test_summary_as_of_shows_that_dates_state(data: Path) -> None:
    when = dt.date(2019, 12, 31)
    summary = json.loads(run(data, "summary", "--as-of", when.isoformat(), "--json").stdout)
    counts = Counter(raw_status_on(r, when) for r in raw(data)["roadmaps"])
    assert summary["as_of"] == "2019-12-31"
    assert summary["by_status"] == {s: counts.get(s, 0) for s in STATUSES}
    assert summary["by_status"] == {**dict.fromkeys(STATUSES, 0), "agreed": 27, "blocked": 4}


def test_summary_piped_shows_the_signed_count_change(data: Path) -> None:
    def status_rows(stdout: str) -> dict[str, str]:
        lines = [line.split("\t") for line in stdout.splitlines()]
        assert lines[0] == ["as_of", "records", "axis", "status", "count", "share"]
        return {row[3]: row[4] for row in lines[1:] if row[1:3] == ["roadmaps", "adoption"]}

    assert status_rows(run(data, "summary").stdout)["signed"] == "0"
    assert run(data, "sign", "transport", "--on", "2021-09-01").exit_code == 0
    rows = status_rows(run(data, "summary").stdout)
    assert rows["signed"] == "1"
    assert rows["agreed"] == "25"


def test_summary_on_a_terminal_spells_out_every_status(data: Path) -> None:
    result = run(data, "summary", "--full", env=TERMINAL)
    plain = ANSI.sub("", result.stdout)
    assert "Roadmaps on 2021-05-28: 31 listed" in plain
    for status in ("pending", "agreed", "blocked"):
        assert status in plain
    assert "█" in plain


# -------------------------------------------------------------------------- history


def test_history_is_one_timeline_oldest_first(data: Path) -> None:
    result = run(data, "history", "--json")
    assert result.exit_code == 0
    events = json.loads(result.stdout)
    assert all({"date", "kind", "subject", "status", "note", "sources"} <= set(e) for e in events)
    dates = [(e["earliest"] or e["latest"], e["latest"]) for e in events]
    assert dates == sorted(dates)
    assert {e["kind"] for e in events} == {"roadmap", "condition", "milestone"}
    assert all(e["status"] is None for e in events if e["kind"] == "milestone")
    document = raw(data)
    expected = (
        sum(len(r["history"]) for r in document["roadmaps"])
        + sum(len(c["history"]) for c in document["conditions"])
        + len(document["milestones"])
    )
    assert len(events) == expected


def test_history_of_one_roadmap(data: Path) -> None:
    events = json.loads(run(data, "history", "gas", "--json").stdout)
    gas = next(r for r in raw(data)["roadmaps"] if r["id"] == "gas-market")
    assert {(e["kind"], e["subject"]) for e in events} == {("roadmap", "gas-market")}
    assert [e["date"] for e in events] == [spelled(e["date"]) for e in gas["history"]]
    assert [e["status"] for e in events] == [e["status"] for e in gas["history"]]


@pytest.mark.parametrize(
    ("args", "since", "until"),
    [
        (["--since", "2021-05-26"], "2021-05-26", None),
        (["--until", "2019-09-06"], None, "2019-09-06"),
        (["--since", "2019-12-07", "--until", "2019-12-20"], "2019-12-07", "2019-12-20"),
    ],
)
def test_history_since_until_bounds_are_inclusive(
    data: Path, args: list[str], since: str | None, until: str | None
) -> None:
    events = json.loads(run(data, "history", *args, "--json").stdout)
    document = raw(data)
    all_dates = [e["date"] for r in document["roadmaps"] for e in r["history"]]
    all_dates += [e["date"] for c in document["conditions"] for e in c["history"]]
    all_dates += [m["date"] for m in document["milestones"]]
    windows = [When.parse(spelled(d)) for d in all_dates]
    expected = sorted(
        (
            w.text
            for w in windows
            if (since is None or w.last.isoformat() >= since)
            and (until is None or w.first.isoformat() <= until)
        ),
        key=lambda text: (When.parse(text).first, When.parse(text).last),
    )
    assert [e["date"] for e in events] == expected
    assert expected  # the bounds hit real events
    assert since is None or any(since in text for text in expected)
    assert until is None or any(until in text for text in expected)


def test_history_piped_is_tab_separated(data: Path) -> None:
    result = run(data, "history", "customs")
    lines = result.stdout.splitlines()
    assert lines[0] == "date\tkind\tsubject\tstatus\tnote\tsources"
    assert all(len(line.split("\t")) == 6 for line in lines)
    assert [line.split("\t")[3] for line in lines[1:]][-1] == "pending"
    assert not BOX_DRAWING.search(result.stdout)


def test_history_records_updates(data: Path) -> None:
    run(data, "agree", "customs", "--on", "2021-09-01", "--note", "Customs agreed.")
    events = json.loads(run(data, "history", "--since", "2021-09-01", "--json").stdout)
    assert [(e["kind"], e["subject"], e["status"], e["note"]) for e in events] == [
        ("roadmap", "customs", "agreed", "Customs agreed.")
    ]


# ------------------------------------------------------------------------- validate


def test_validate_the_shipped_copy_prints_one_ok_line(data: Path) -> None:
    result = run(data, "validate")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("ok: ")
    assert "31 roadmaps" in result.stdout
    assert result.stderr == ""


def _broken_status(text: str) -> tuple[str, int]:
    """Customs' status misspelt; returns the text and the 1-based line of the typo."""
    lines = text.splitlines(keepends=True)
    start = lines.index("- number: 8\n")
    index = lines.index("  status: pending\n", start)
    lines[index] = "  status: pendng\n"
    return "".join(lines), index + 1


def _broken_yaml(text: str) -> tuple[str, int]:
    """An unclosed flow sequence in the customs record; the parser fails at or after it."""
    lines = text.splitlines(keepends=True)
    index = lines.index("- number: 8\n") + 1
    lines[index] = "  id: [customs\n"
    return "".join(lines), index + 1


@pytest.mark.parametrize(
    ("breaker", "expected_error"),
    [
        (_broken_status, "roadmap 8 (customs): status: expected one of"),
        (_broken_yaml, "invalid YAML"),
    ],
)
@pytest.mark.parametrize("command", [["validate", "{path}"], ["--data", "{path}", "list"]])
def test_validate_a_broken_copy_exits_3_with_file_line_col(
    tmp_path: Path, breaker: Any, expected_error: str, command: list[str]
) -> None:
    text, line = breaker(SHIPPED.read_text(encoding="utf-8"))
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(None, *(arg.format(path=path) for arg in command))
    assert result.exit_code == 3
    assert result.stdout == ""
    problems = result.stderr.splitlines()
    assert problems
    for problem in problems:
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", problem), problem
    first = re.match(rf"{re.escape(str(path))}:(\d+):\d+: ", problems[0])
    assert first is not None
    assert int(first.group(1)) >= line
    assert expected_error in result.stderr
    if breaker is _broken_status:
        assert problems[0].startswith(f"{path}:{line}:")


def test_validate_a_missing_file_exits_3(tmp_path: Path) -> None:
    result = run(None, "validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 3
    assert "nope.yaml" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- export


def test_export_json_loads_back(data: Path) -> None:
    result = run(data, "export", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert len(document["roadmaps"]) == 31
    assert store.loads(yaml.safe_dump(document).encode(), "export") == store.load(data)


def test_export_csv_has_a_header_and_one_row_per_roadmap(data: Path) -> None:
    result = run(data, "export", "--format", "csv")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 32
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == [r["id"] for r in raw(data)["roadmaps"]]
    gas = next(r for r in rows if r["id"] == "gas-market")
    assert gas["status"] == "blocked"
    assert gas["open_conditions"] == "gas-price,tax-manoeuvre-compensation"
    assert gas["title_basis"] == "named"


def test_export_markdown_has_every_title(data: Path) -> None:
    result = run(data, "export", "-f", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith("# ")
    for roadmap in raw(data)["roadmaps"]:
        assert f"{roadmap['number']}. {roadmap['title']}" in result.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_export_output_writes_the_file(data: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"export.{fmt}"
    result = run(data, "export", "--format", fmt, "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert str(target) in result.stderr
    assert target.read_text(encoding="utf-8") == run(data, "export", "--format", fmt).stdout


# ----------------------------------------------------------------------------- init


@pytest.fixture
def only_bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No --data, no UNIONSTATE_DATA, no data/ up the tree, an empty user dir.

    The bundled path is pointed at a copy, so that even a bug cannot write the real file.
    """
    monkeypatch.delenv("UNIONSTATE_DATA", raising=False)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    app_dir = tmp_path / "app-dir"
    monkeypatch.setattr(typer, "get_app_dir", lambda *args, **kwargs: str(app_dir))
    bundled = tmp_path / "package" / "_data" / "roadmaps.yaml"
    bundled.parent.mkdir(parents=True)
    shutil.copyfile(SHIPPED, bundled)
    monkeypatch.setattr(store, "bundled_path", lambda: bundled)
    info = run(None, "info").stdout
    assert f"data_file\t{bundled}\n" in info
    assert "writable\tfalse\n" in info
    return bundled


def test_init_writes_a_copy_of_the_bundled_dataset(tmp_path: Path) -> None:
    target = tmp_path / "mine" / "roadmaps.yaml"
    result = run(None, "init", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == store.bundled_path().read_bytes()
    assert str(target) in result.stderr
    assert result.stdout == ""


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "roadmaps.yaml"
    target.write_text("mine\n")
    result = run(None, "init", str(target))
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert target.read_text() == "mine\n"

    result = run(None, "init", str(target), "--force")
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == store.bundled_path().read_bytes()


def test_init_defaults_to_the_user_data_directory(only_bundled: Path, tmp_path: Path) -> None:
    result = run(None, "init")
    target = tmp_path / "app-dir" / "roadmaps.yaml"
    assert result.exit_code == 0, result.stderr
    assert str(target) in result.stderr
    assert target.read_bytes() == only_bundled.read_bytes()

    # The user copy is now the data file in use, and it is writable.
    assert run(None, "agree", "customs", "--on", "2021-09-01").exit_code == 0
    assert store.load(target).roadmap_by_id("customs").status is RoadmapStatus.AGREED
    assert only_bundled.read_bytes() == SHIPPED.read_bytes()


@pytest.mark.parametrize(
    "command",
    [
        ["sign", "transport", "--on", "2021-09-01"],
        ["agree", "customs", "--on", "2021-09-01"],
        ["block", "customs", "--condition", "gas-price", "--on", "2021-09-01"],
        ["reopen", "transport", "--on", "2021-09-01"],
        ["resolve", "gas-price", "--on", "2021-09-01"],
    ],
)
def test_writing_to_the_bundled_copy_is_refused(only_bundled: Path, command: list[str]) -> None:
    before = only_bundled.read_bytes()
    result = run(None, *command)
    assert result.exit_code == 1
    assert "unionstate init" in result.stderr
    assert only_bundled.read_bytes() == before


def test_reading_the_bundled_copy_works(only_bundled: Path) -> None:
    result = run(None, "list", "--unresolved")
    assert result.exit_code == 0
    assert ids(result.stdout) == UNRESOLVED


# --------------------------------------------------------------------- global options


def test_data_from_the_environment(data: Path) -> None:
    assert os.environ["UNIONSTATE_DATA"] == str(data)
    run(data, "agree", "customs", "--on", "2021-09-01")
    result = run(None, "list", "--status", "pending")
    assert ids(result.stdout) == []


def test_data_flag_wins_over_the_environment(data: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    shutil.copyfile(data, other)
    write_state(other, "agree", ["customs"], "2021-09-01")
    assert ids(run(other, "list", "--status", "pending").stdout) == []
    assert ids(run(None, "list", "--status", "pending").stdout) == ["customs"]


def test_global_options_go_before_the_command(data: Path) -> None:
    result = run(None, "list", "--data", str(data))
    assert result.exit_code == 2


def test_version() -> None:
    result = run(None, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"unionstate {__version__}\n"


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_command(flag: str) -> None:
    result = run(None, flag)
    assert result.exit_code == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_an_example(command: str) -> None:
    result = run(None, command, "-h")
    assert result.exit_code == 0
    assert f"Example: unionstate {command}" in result.stdout


@pytest.mark.parametrize(
    ("flags", "env", "expected_esc"),
    [
        ([], TERMINAL, True),
        (["--color", "never"], TERMINAL, False),
        ([], {**TERMINAL, "NO_COLOR": "1"}, False),
        ([], {}, False),
        (["--color", "always"], {}, True),
        (["--color", "always"], TERMINAL, True),
    ],
)
def test_colour_follows_the_flag_the_terminal_and_no_color(
    data: Path, flags: list[str], env: dict[str, str], expected_esc: bool
) -> None:
    result = run(data, *flags, "list", env=env)
    assert result.exit_code == 0
    assert (ESC in result.stdout) is expected_esc


def test_color_never_on_a_terminal_still_draws_a_table(data: Path) -> None:
    result = run(data, "--color", "never", "list", env=TERMINAL)
    assert ESC not in result.stdout
    assert BOX_DRAWING.search(result.stdout)


def test_color_always_through_a_pipe_draws_no_table(data: Path) -> None:
    result = run(data, "--color", "always", "list")
    assert ESC in result.stdout
    assert not BOX_DRAWING.search(result.stdout)
    assert ANSI.sub("", result.stdout).splitlines()[0].split() == LIST_HEADER.split("\t")


@pytest.mark.parametrize("command", [["list"], ["conditions"], ["history", "customs"]])
def test_color_always_through_a_pipe_keeps_the_tab_separated_layout(
    data: Path, command: list[str]
) -> None:
    result = run(data, "--color", "always", *command)
    assert ESC in result.stdout
    plain = ANSI.sub("", result.stdout)
    assert plain == run(data, "--color", "never", *command).stdout


@pytest.mark.parametrize("command", ["list", "show customs", "conditions", "summary", "history"])
def test_json_never_carries_colour(data: Path, command: str) -> None:
    result = run(data, "--color", "always", *command.split(), "--json", env=TERMINAL)
    assert result.exit_code == 0
    assert ESC not in result.stdout
    json.loads(result.stdout)


# --------------------------------------------------------------------- hostile text

HOSTILE = "[bold red]x[/] :warning: Customs"


@pytest.fixture
def hostile(data: Path) -> Path:
    """The shipped copy with rich markup and an emoji code in customs' title."""
    text = data.read_text(encoding="utf-8")
    assert "  title: Customs regulation\n" in text
    data.write_text(text.replace("  title: Customs regulation\n", f"  title: '{HOSTILE}'\n"))
    assert store.load(data).roadmap_by_id("customs").title == HOSTILE
    return data


@pytest.mark.parametrize("env", [{}, TERMINAL], ids=["piped", "terminal"])
@pytest.mark.parametrize("command", [["list"], ["show", "customs"], ["list", "--json"]])
def test_markup_in_data_prints_literally(hostile: Path, env: dict[str, str], command: list[str]):
    result = run(hostile, *command, env=env)
    assert result.exit_code == 0
    shown = ANSI.sub("", result.stdout)
    if "--json" in command:
        shown = json.dumps(json.loads(shown), ensure_ascii=False)
    assert HOSTILE in shown
    assert "⚠" not in shown


# ------------------------------------------------------------------------ processes


def _console_script() -> Path:
    beside = Path(sys.executable).parent / "unionstate"
    if beside.is_file():
        return beside
    found = shutil.which("unionstate")
    if found is None:
        pytest.fail("the unionstate console script is not installed")
    return Path(found)


def _process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    return env


def test_installed_console_script_lists_unresolved(data: Path) -> None:
    result = subprocess.run(
        [str(_console_script()), "--data", str(data), "list", "--unresolved"],
        capture_output=True,
        text=True,
        env=_process_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[1] for line in result.stdout.splitlines()[1:]] == UNRESOLVED


@pytest.mark.parametrize(
    "args",
    [
        ["--color", "never", "--data", "{data}", "show", "2"],  # options with values first
        ["--data={data}", "list", "--fields", "number,id"],
        ["--data", "{data}", "lis"],  # a misspelt command still gets "did you mean"
        ["--data", "{data}", "target", "--help"],
        ["--data", "{data}", "history", "--since", "2021-05-01"],
    ],
)
def test_a_process_runs_each_command_as_the_whole_app_does(args: list[str], data: Path) -> None:
    """The console script registers only the command it runs (start-up): same bytes out."""
    args = [a.format(data=data) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "unionstate", *args],
        capture_output=True,
        text=True,
        env=_process_env(),
        timeout=60,
        check=False,
    )
    whole = CliRunner().invoke(app, args, prog_name="unionstate")
    assert (result.returncode, result.stdout) == (whole.exit_code, whole.stdout)
    if args[-1] == "lis":
        assert "Did you mean 'list'?" in result.stderr


def test_python_m_unionstate_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "unionstate", "--version"],
        capture_output=True,
        text=True,
        env=_process_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"unionstate {__version__}\n"


# --------------------------------------------------------------------- row limit


def test_list_limit_cuts_rows_and_says_so_on_stderr(data: Path) -> None:
    result = run(data, "list", "--limit", "2")
    assert result.exit_code == 0
    assert ids(result.stdout) == ["macroeconomic-policy", "monetary-policy"]
    assert "showing 2 of 31 roadmaps" in result.stderr


def test_the_shipped_data_is_never_cut_in_a_terminal_table(data: Path) -> None:
    result = run(data, "list", env=TERMINAL)
    assert result.exit_code == 0
    assert "showing" not in result.stderr
    assert "31 of 31 roadmaps" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "shown", "note"),
    [
        (["list"], TERMINAL, 3, True),  # a terminal table stops at the default limit
        (["list"], {}, 31, False),  # piped rows are never cut by default
        (["list", "--json"], TERMINAL, 31, False),  # nor is JSON
        (["list", "--limit", "0"], TERMINAL, 31, False),  # 0 shows everything
    ],
)
def test_default_row_limit_applies_only_to_terminal_tables(
    data: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    shown: int,
    note: bool,
) -> None:
    monkeypatch.setattr(cli, "TABLE_LIMIT", 3)
    result = run(data, *args, env=env)
    assert result.exit_code == 0
    if "--json" in args:
        count = len(json.loads(result.stdout))
    elif env:
        count = len(re.findall(r"^│\s*\d+ │", ANSI.sub("", result.stdout), re.MULTILINE))
    else:
        count = len(ids(result.stdout))
    assert count == shown
    assert ("showing 3 of 31 roadmaps" in result.stderr) is note
