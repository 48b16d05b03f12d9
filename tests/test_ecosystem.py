"""unionstate where people live: shell completion, editors (JSON Schema), pre-commit, pictures.

Completion is driven the way a shell drives it: a real process with Typer's completion
environment variables (`_UNIONSTATE_COMPLETE`, `COMP_WORDS`/`COMP_CWORD` for bash,
`_TYPER_COMPLETE_ARGS` for zsh and fish).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from unionstate import checks, models, queries, store, views, yamlfile
from unionstate.checks import json_schema
from unionstate.cli import app
from unionstate.models import Dataset

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "roadmaps.yaml"
SCHEMA_FILE = ROOT / "data" / "roadmaps.schema.json"
# What a user reads: the README and the pages it links to.
README = "\n".join(
    path.read_text(encoding="utf-8")
    for path in (ROOT / "README.md", *sorted(ROOT.glob("docs/*.md")))
)

CLEAN = ("TTY_COMPATIBLE", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "UNIONSTATE_DEBUG")


def run(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Invoke the CLI in-process, with layout and colour variables unset unless given."""
    settings: dict[str, str | None] = dict.fromkeys(CLEAN)
    settings.update(env or {})
    return CliRunner().invoke(app, list(args), env=settings)


# ------------------------------------------------------------------ shell completion


def complete(shell: str, line: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """What the shell gets when the user presses TAB at the end of `line`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_TYPER", "COMP_"))}
    env["_UNIONSTATE_COMPLETE"] = f"complete_{shell}"
    if data is not None:
        env["UNIONSTATE_DATA"] = str(data)
    if shell == "bash":
        words = line.split(" ")
        env.update(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    return subprocess.run(
        [sys.executable, "-m", "unionstate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def offered(shell: str, line: str, data: Path | None = None) -> list[str]:
    """The values bash or fish offers (without descriptions); nothing may go to stderr."""
    done = complete(shell, line, data)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return [row.split("\t")[0] for row in done.stdout.splitlines() if row]


def bash(line: str, data: Path | None = None) -> list[str]:
    """The values bash offers for `line`."""
    return offered("bash", line, data)


def test_completing_show_ga_offers_the_gas_roadmap(data: Path) -> None:
    assert bash("unionstate show ga", data) == [
        "gas-market"
    ]  # a condition only where no roadmap matches


def test_zsh_offers_the_gas_roadmap_with_its_title(data: Path) -> None:
    done = complete("zsh", "unionstate show ga", data)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("_arguments")
    assert '"gas-market":"Gas market (single gas market)"' in done.stdout


def test_fish_offers_the_gas_roadmap_with_its_title(data: Path) -> None:
    done = complete("fish", "unionstate show ga", data)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == ["gas-market\tGas market (single gas market)"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("unionstate show cu", ["currency-control", "customs"]),
        ("unionstate history oil", ["oil-market"]),
        ("unionstate agree supra", ["supranational-bodies"]),
        ("unionstate reopen tax", ["taxation"]),
        ("unionstate show tax-m", ["tax-manoeuvre-compensation"]),  # no roadmap: a condition
        ("unionstate block elec", ["electricity"]),
        ("unionstate show 3", ["3", "30", "31"]),
        ("unionstate resolve g", ["gas-price", "goods-restrictions"]),
        ("unionstate list --condition so", ["sovereignty"]),
        ("unionstate block customs --condition tax", ["tax-manoeuvre-compensation"]),
        ("unionstate block customs -c tax", ["tax-manoeuvre-compensation"]),
        ("unionstate agree customs --source tass-12", ["tass-1295507"]),
        ("unionstate list --status ", [*queries.STATUSES]),
        ("unionstate list --status s", ["signed", "set-aside"]),
        ("unionstate export --format ", ["json", "csv", "markdown"]),
        ("unionstate --color ", ["auto", "always", "never"]),
        ("unionstate show zz", []),
    ],
)
def test_values_complete(data: Path, line: str, expected: list[str]) -> None:
    assert bash(line, data) == expected


def test_roadmaps_already_named_are_not_offered_again(data: Path) -> None:
    assert bash("unionstate sign customs cu", data) == ["currency-control"]
    assert bash("unionstate sign 8 cu", data) == ["currency-control"]


def test_a_data_flag_given_earlier_on_the_line_is_honoured(data: Path, data_file: Path) -> None:
    """UNIONSTATE_DATA is the shipped copy; --data names the small dataset, which wins."""
    assert bash(f"unionstate --data {data_file} show ", data) == [
        "gas-market",
        "customs",
        "tax-policy",
    ]
    assert bash(f"unionstate --data {data_file} resolve ", data) == ["gas-price"]


@pytest.mark.parametrize("content", [b"roadmaps: [\n", b"\xff\xfe", b"schema_version: 2\n"])
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_broken_data_file_gives_no_completions_and_no_errors(
    tmp_path: Path, content: bytes, shell: str
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(content)
    for line in (f"unionstate --data {broken} show ga", f"unionstate --data {broken} resolve "):
        done = complete(shell, line)
        assert done.returncode == 0
        assert done.stderr == ""
        assert "Traceback" not in done.stdout and "gas" not in done.stdout
        if shell == "zsh":
            assert done.stdout.strip() == "_files"  # zsh falls back to file names
        else:
            assert done.stdout.strip() == ""


def test_a_missing_data_file_gives_no_completions(tmp_path: Path) -> None:
    done = complete("bash", f"unionstate --data {tmp_path / 'nope.yaml'} show ga")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")


def test_roadmap_choices_is_a_pure_function(minimal_data: dict[str, Any]) -> None:
    dataset = checks.validate(minimal_data)
    assert queries.roadmap_choices(dataset, "") == [
        ("gas-market", "Single gas market"),
        ("customs", "Customs"),
        ("tax-policy", "Tax policy"),
    ]
    assert queries.roadmap_choices(dataset, "2") == [("2", "customs: Customs")]
    assert queries.roadmap_choices(dataset, "", taken=["gas", "3", "nonsense"]) == [
        ("customs", "Customs")
    ]
    assert queries.condition_choices(dataset, "gas") == [("gas-price", "open: Lower gas price")]
    assert queries.source_choices(dataset, "b") == [("belta-2", "BelTA")]


def test_completion_prints_the_script_and_edits_nothing(tmp_path: Path) -> None:
    """Like `gh completion`: the script on stdout; no option that edits a startup file."""
    assert "--install-completion" not in run("--help").stdout
    for shell in ("bash", "zsh", "fish", "powershell"):
        result = run("completion", shell, env={"HOME": str(tmp_path)})
        assert result.exit_code == 0, result.output
        assert "_UNIONSTATE_COMPLETE" in result.stdout
    assert list(tmp_path.iterdir()) == []  # no rc file was written
    assert run("completion", "tcsh").exit_code == 2
    assert "unionstate completion bash" in README


def test_programs_and_main_directions_complete_by_their_numbers(shipped: Path) -> None:
    assert bash("unionstate show P2", shipped) == ["P2", *(f"P{n}" for n in range(20, 29))]
    assert "program-gas-market" in bash("unionstate show program-g", shipped)
    assert bash("unionstate assess P1", shipped)[:2] == ["P1", "P10"]
    assert bash("unionstate note gas", shipped) == ["gas-market", "gas-price"]  # and conditions


# ----------------------------------------------------------------------- JSON Schema


def test_schema_command_prints_the_schema_kept_in_the_repository() -> None:
    """Fails when the models changed: run `unionstate schema > data/roadmaps.schema.json`."""
    result = run("schema")
    assert result.exit_code == 0, result.output
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_schema_output_is_stable_two_space_json() -> None:
    first, second = run("schema").stdout, run("schema").stdout
    assert first == second == views.schema_json()
    assert first.endswith("}\n")
    assert first.splitlines()[1].startswith('  "$schema"')
    document = json.loads(first)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["properties"]["as_of"] == {"format": "date", "title": "As Of", "type": "string"}
    assert document["additionalProperties"] is False
    assert document["$defs"]["RoadmapStatus"]["enum"] == [
        "pending",
        "agreed",
        "blocked",
        "signed",
        "set-aside",
    ]


def test_the_header_points_editors_at_the_schema_beside_the_file() -> None:
    assert models.HEADER.splitlines()[0] == "# yaml-language-server: $schema=roadmaps.schema.json"
    assert SHIPPED.read_text(encoding="utf-8").startswith(models.HEADER)
    assert (SHIPPED.parent / models.SCHEMA_NAME) == SCHEMA_FILE


def test_the_shipped_file_round_trips_byte_for_byte() -> None:
    raw = SHIPPED.read_bytes()
    assert store.dumps(store.load(SHIPPED)) == raw


# A small JSON Schema checker for the keywords pydantic emits, so that the test needs no
# extra dependency. It reads data as yaml-language-server does (YAML 1.2: dates are text).
def schema_errors(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], at: str = "$"
) -> Iterator[str]:
    """Every way `value` fails `schema`, as 'path: what' lines."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        yield from schema_errors(value, root["$defs"][name], root, at)
        return
    if "anyOf" in schema:
        branches = [list(schema_errors(value, s, root, at)) for s in schema["anyOf"]]
        if all(branches):
            yield f"{at}: matches none of anyOf"
        return
    kinds = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(value, kinds[kind]) and not (kind == "integer" and isinstance(value, bool))
        if not ok:
            yield f"{at}: expected {kind}, got {value!r}"
            return
    if "const" in schema and value != schema["const"]:
        yield f"{at}: expected {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        yield f"{at}: {value!r} is not one of {schema['enum']}"
    if "minimum" in schema and value < schema["minimum"]:
        yield f"{at}: below {schema['minimum']}"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        yield f"{at}: {value!r} does not match {schema['pattern']}"
    if schema.get("format") == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            yield f"{at}: {value!r} is not a date"
    if kind == "array":
        if len(value) < schema.get("minItems", 0):
            yield f"{at}: too few items"
        for i, item in enumerate(value):
            yield from schema_errors(item, schema.get("items", {}), root, f"{at}[{i}]")
    if kind == "object":
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                yield f"{at}: missing {name}"
        for name, item in value.items():
            if name in properties:
                yield from schema_errors(item, properties[name], root, f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                yield f"{at}: unknown field {name}"


def editor_view(raw: bytes) -> Any:
    """The data as an editor's YAML 1.2 parser sees it (an unquoted date stays a string)."""
    data, _ = yamlfile.parse(raw, "roadmaps.yaml")
    return data


def test_the_shipped_file_is_valid_against_its_schema() -> None:
    raw = SHIPPED.read_bytes()
    as_of = store.load(SHIPPED).as_of.isoformat()
    assert re.search(rf"^as_of: {as_of}$".encode(), raw, re.MULTILINE), "dates are unquoted"
    data = editor_view(raw)
    assert data["as_of"] == as_of
    assert list(schema_errors(data, json_schema(), json_schema())) == []


@pytest.mark.parametrize(
    ("old", "new", "expected_error"),
    [
        ("as_of: 20", "as_of: 2021-05-32\nx: ", "$.as_of: '2021-05-32' is not a date"),
        ("as_of: ", "as_off: ", "$: unknown field as_off"),
        ("  status: pending", "  status: done", "'done' is not one of"),
        ("schema_version: 4", "schema_version: 5", "$.schema_version: expected 4"),
        ("- number: 1\n", "- number: 0\n", "$.roadmaps[0].number: below 1"),
        ("  id: customs\n", "  id: Customs\n", "'Customs' does not match"),
    ],
)
def test_the_schema_flags_what_an_editor_should_flag(
    old: str, new: str, expected_error: str
) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    data = editor_view(text.replace(old, new, 1).encode("utf-8"))
    errors = list(schema_errors(data, json_schema(), json_schema()))
    assert any(expected_error in e for e in errors), errors


def test_init_writes_the_schema_beside_the_copy(tmp_path: Path) -> None:
    target = tmp_path / "mine" / "roadmaps.yaml"
    result = run("init", str(target))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine" / "roadmaps.schema.json").read_text(encoding="utf-8") == (
        SCHEMA_FILE.read_text(encoding="utf-8")
    )
    assert target.read_text(encoding="utf-8").startswith(models.HEADER)
    assert "roadmaps.schema.json" in result.stderr


# ------------------------------------------------------------------------ pre-commit


def test_the_pre_commit_hook_runs_validate_on_roadmaps_yaml_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "unionstate-validate"
    assert hook["language"] == "python"
    assert hook["entry"] == "unionstate validate"
    files = re.compile(hook["files"])
    checked = ("roadmaps.yaml", "data/roadmaps.yaml", "a/b/roadmaps.yaml", "roadmaps.yml")
    # The README's own `init` example names its copy my-roadmaps.yaml.
    checked += ("my-roadmaps.yaml", "data/team_roadmaps.yaml", "2021.roadmaps.yaml")
    for path in checked:
        assert files.search(path), path
    for path in ("roadmaps.yaml.lock", "myroadmaps.yaml", "roadmaps.schema.json", "x.yaml"):
        assert not files.search(path), path
    assert "id: unionstate-validate" in README


def test_validate_without_paths_checks_the_file_in_use(data: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0
    assert result.stdout == f"ok: {data}: 31 roadmaps, 4 conditions, 12 milestones, 54 sources\n"


def test_validate_checks_every_path_it_is_given(data: Path, data_file: Path) -> None:
    result = run("validate", str(data), str(data_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok: {data}: 31 roadmaps, 4 conditions, 12 milestones, 54 sources",
        f"ok: {data_file}: 3 roadmaps, 1 conditions, 1 milestones, 2 sources",
    ]


def test_validate_exits_3_if_any_file_is_invalid_and_still_checks_the_others(
    data: Path, data_file: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(data.read_text(encoding="utf-8").replace("as_of: 2021", "as_of: x2021"))
    missing = tmp_path / "missing.yaml"
    result = run("validate", str(data), str(broken), str(missing), str(data_file))
    assert result.exit_code == 3
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["ok", "ok"]
    assert str(data) in result.stdout and str(data_file) in result.stdout
    errors = result.stderr.splitlines()
    assert any(line.startswith(f"{broken}:") and "as_of" in line for line in errors), errors
    assert any(line.startswith(f"{missing}: no such file") for line in errors), errors
    assert "Traceback" not in result.output


# --------------------------------------------------------------- pictures of progress


def small(minimal_data: dict[str, Any], **changes: Any) -> Dataset:
    """The minimal dataset with top-level fields replaced."""
    return checks.validate({**minimal_data, **changes})


def test_progress_by_month_counts_each_status_at_each_month_end(
    minimal_data: dict[str, Any],
) -> None:
    """tax-policy from 2019 (year), customs from Sep 2019, gas blocked from 20 Dec 2019."""
    months = queries.progress_by_month(small(minimal_data))
    assert months[0].label == "2019-01" and months[-1].label == "2021-05"
    assert len(months) == 12 + 12 + 5
    by_label = {m.label: {k: n for k, n in m.counts.items() if n} for m in months}
    # tax-policy is dated only "2019": until the year ends it may not exist yet.
    assert by_label["2019-01"] == {"undetermined": 1}
    assert by_label["2019-08"] == {"undetermined": 1}
    assert by_label["2019-09"] == {"pending": 2, "undetermined": 1}
    assert by_label["2019-11"] == {"pending": 2, "undetermined": 1}
    assert by_label["2019-12"] == {"pending": 2, "blocked": 1}
    assert by_label["2020-01"] == {"pending": 2, "blocked": 1}
    assert by_label["2021-04"] == {"pending": 2, "blocked": 1}
    assert by_label["2021-05"] == {"agreed": 1, "pending": 1, "blocked": 1}
    assert [m.month.day for m in months] == [1] * len(months)


def test_progress_by_month_of_no_roadmaps_is_empty(minimal_data: dict[str, Any]) -> None:
    assert queries.progress_by_month(small(minimal_data, roadmaps=[])) == []


def test_progress_by_month_counts_an_event_on_the_last_day_of_its_month(
    minimal_data: dict[str, Any],
) -> None:
    roadmap = minimal_data["roadmaps"][2]
    roadmap["history"].append(
        {"date": "2020-02-29", "status": "agreed", "note": "Leap day.", "sources": []}
    )
    roadmap["status"] = "agreed"
    months = {m.label: m for m in queries.progress_by_month(small(minimal_data))}
    assert months["2020-01"].counts["agreed"] == 0
    assert months["2020-02"].counts["agreed"] == 1


def test_progress_of_the_shipped_dataset(shipped: Path) -> None:
    dataset = store.load(shipped)
    months = queries.progress_by_month(dataset)
    assert months[-1].label == f"{dataset.as_of:%Y-%m}"
    assert sum(months[-1].counts.values()) == len(dataset.roadmaps)
    now = queries.summarise(dataset, months[-1].month.replace(day=28)).by_status
    assert months[-1].counts.keys() == now.keys()
    assert all(sum(m.counts.values()) <= len(dataset.roadmaps) for m in months)


def test_history_chart_through_a_pipe_is_tsv(data: Path) -> None:
    result = run("history", "--chart")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "month\tpending\tagreed\tblocked\tsigned\tset-aside\tundetermined"
    assert lines[1] == "2019-09\t31\t0\t0\t0\t0\t0"
    assert lines[-1] == "2021-05\t1\t26\t4\t0\t0\t0"
    assert len(lines) == 1 + 21


def test_history_chart_json_and_period(data: Path) -> None:
    result = run("history", "--chart", "--json", "--since", "2019-12-15", "--until", "2020-01-31")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"month": m, **dict.fromkeys(queries.STATUSES, 0), "agreed": 27, "blocked": 4}
        for m in ("2019-12", "2020-01")
    ]


def test_history_chart_on_a_terminal_draws_bars_with_a_legend(data: Path) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "100", "NO_COLOR": "1"}
    result = run("history", "--chart", env=terminal)
    assert result.exit_code == 0, result.output
    assert "▓ agreed" in result.stdout and "× blocked" in result.stdout
    assert "signed" not in result.stdout  # no roadmap was ever signed: no column for it
    row = next(line for line in result.stdout.splitlines() if "2019-12" in line)
    assert "▓" * 35 + "×" * 5 in row  # 27 agreed and 4 blocked of 31, on 40 cells


def test_history_chart_of_one_roadmap_is_a_usage_error(data: Path) -> None:
    result = run("history", "gas-market", "--chart")
    assert result.exit_code == 2
    assert "--chart" in result.stderr and result.stdout == ""


# ------------------------------------------------------------------------------- help


def registered_commands() -> list[str]:
    """Every command the CLI offers, as a user types it."""
    names = []
    for command in app.registered_commands:
        assert command.callback is not None
        names.append(command.name or command.callback.__name__.replace("_", "-"))
    return names


@pytest.mark.parametrize("name", registered_commands())
def test_every_command_help_has_a_real_example(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0, result.output
    examples = re.findall(r"Example: (unionstate [^\n]+)", result.stdout)
    assert examples, result.stdout
    assert all(example.startswith(f"unionstate {name}") for example in examples), examples


def test_new_commands_and_flags_are_documented() -> None:
    for text in (
        "### unionstate schema\n",
        "### unionstate report\n",
        "](docs/report.png)",
        "unionstate history --chart",
        ".pre-commit-config.yaml",
        "unionstate init",
    ):
        assert text in README, text
