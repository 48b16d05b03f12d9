"""Hardening, round two (issue 14): hostile sizes, exit codes, exports that could attack their
readers, whose data file is used, and the writer's smaller gaps. Output targets and the cache
directory have their own files (test_output_targets.py, test_cache_dir.py).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from _proc import (
    REPO,
    SHIPPED,
    assert_refused,
    cli_command,
    cli_env,
    copy_shipped,
    private_cache,  # noqa: F401 - an autouse fixture: no user cache
    run,
    temp_files,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from unionstate import checks, files, models, queries, store, views, yamlfile
from unionstate.cli import app
from unionstate.errors import DataError, Refused
from unionstate.text import clean


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the shipped data file."""
    return copy_shipped(tmp_path / "work")


def invoke(data: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--data", str(data), *args])


def _save(tmp_path: Path, plain: dict[str, Any]) -> Path:
    path = tmp_path / "custom" / "roadmaps.yaml"
    path.parent.mkdir(exist_ok=True)
    store.save(checks.validate(plain), path)
    return path


# ----------------------------------------------------- class 3: no hang, nothing quadratic


@pytest.mark.parametrize("count", [150, 32_000])
def test_unknown_keys_are_reported_linearly_first_100_then_a_count(
    count: int, tmp_path: Path
) -> None:
    """32,000 unknown keys in one mapping took 78 s; now the first 100 and a count, quickly.

    Run as a process: the memory it takes must not stay in the test runner, whose size
    every later forked child would inherit.
    """
    raw = SHIPPED.read_bytes() + "".join(f"x{i}: 1\n" for i in range(count)).encode()
    path = tmp_path / "roadmaps.yaml"
    path.write_bytes(raw)
    result = run(["validate"], path, timeout=60)
    assert_refused(result, 3, path, raw, lines=yamlfile.MAX_PROBLEMS + 1)
    lines = result.stderr.splitlines()
    assert lines[0].endswith(": x0: unknown field 'x0'")
    assert lines[-1] == (
        f"{path}: … and {count - yamlfile.MAX_PROBLEMS:,} more problem(s) not shown; "
        "fix these first"
    )
    assert result.seconds < 15, result.seconds


def test_problems_are_listed_in_file_order_before_the_cut(tmp_path: Path) -> None:
    """The 100 shown are the first 100 by line, not pydantic's order."""
    raw = SHIPPED.read_text("utf-8")
    raw = raw.replace("  title: Macroeconomic policy", "  title: 7", 1)
    raw += "".join(f"x{i}: 1\n" for i in range(300))
    path = tmp_path / "roadmaps.yaml"
    path.write_text(raw, "utf-8")
    with pytest.raises(DataError) as caught:
        store.load(path)
    lines = caught.value.lines()
    numbers = [int(line.split(":")[1]) for line in lines[:-1]]
    assert numbers == sorted(numbers)
    assert "roadmap 1 (macroeconomic-policy): title: expected text" in lines[0]


def _with_event_dates(plain: dict[str, Any], first: str, last: str) -> dict[str, Any]:
    plain["roadmaps"][2]["history"][0].update(date=first)
    plain["roadmaps"][1]["history"][-1]["date"] = last
    plain["as_of"] = max(plain["as_of"], last)
    return plain


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("1700-01-01", "2021-05-28", "span 3,857 months (1700-01 to 2021-05)"),
        ("2019-01-01", "9999-12-31", "months (2019-01 to 9999-12)"),
        ("9999-12-01", "9999-12-31", "an event in 9999-12 is past the last month"),
    ],
)
def test_a_chart_over_centuries_is_refused_at_once(
    first: str, last: str, expected: str, minimal_data: dict[str, Any], tmp_path: Path
) -> None:
    if first.startswith("9999"):
        for roadmap in minimal_data["roadmaps"]:
            for event in roadmap["history"]:
                event.update(date=first)
        minimal_data["roadmaps"][1]["history"][-1]["date"] = last
        minimal_data["as_of"] = last
    else:
        _with_event_dates(minimal_data, first, last)
    path = _save(tmp_path, minimal_data)
    for args in (["history", "--chart"], ["history", "--chart", "--json"]):
        started = time.perf_counter()
        result = invoke(path, *args)
        assert time.perf_counter() - started < 5
        assert result.exit_code == 1, result.output
        assert expected in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_a_chart_of_a_century_is_still_drawn(minimal_data: dict[str, Any], tmp_path: Path) -> None:
    """Just under the cap: drawn, one row per month."""
    path = _save(tmp_path, _with_event_dates(minimal_data, "1922-01-01", "2021-05-28"))
    result = invoke(path, "history", "--chart", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count('"month"') == (2021 - 1922) * 12 + 5


# ------------------------------------------ class 4: an update never makes the file unreadable


def test_an_update_that_would_pass_the_size_cap_is_refused(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file just under the cap, and a note that would push it over: exit 1, unchanged."""
    before = data.read_bytes()
    # the room left is 100 bytes past the file as it will be written (schema 3's form)
    monkeypatch.setattr(store, "MAX_BYTES", len(store.dumps(store.load(data))) + 100)
    result = invoke(data, "agree", "customs", "--on", "2021-05-28", "--note", "n" * 400)
    assert result.exit_code == 1, result.output
    assert "over the" in result.stderr and "nothing was written" in result.stderr
    assert data.read_bytes() == before
    assert invoke(data, "list").exit_code == 0
    short = invoke(data, "agree", "customs", "--on", "2021-05-28", "--note", "ok")
    assert short.exit_code == 0, short.stderr  # a change that fits is still made


# -------------------------------------------------------------- class 5: exit 70 only for bugs


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("14", 0),
        (" 14 ", 0),
        ("²", 1),
        ("①", 1),
        ("١٤", 1),  # Arabic-Indic digits
        ("１４", 1),  # fullwidth digits
        ("۱۴", 1),  # Extended Arabic-Indic digits
        ("9" * 5000, 1),
        ("99999999999999999999", 1),
        ("0", 1),
    ],
)
def test_only_ascii_digits_select_a_roadmap_by_number(name: str, code: int, data: Path) -> None:
    result = invoke(data, "show", name, "--json")
    assert result.exit_code == code, result.output
    if code:
        assert result.stderr.startswith("unionstate: unknown roadmap")
        assert len(result.stderr.splitlines()) == 1
    else:
        assert '"number": 14' in result.stdout


@pytest.mark.parametrize("name", ["١٤", "１４", "²"])
def test_non_ascii_digits_are_never_a_number(name: str) -> None:
    dataset = store.load(SHIPPED)
    with pytest.raises(Refused, match="unknown roadmap"):
        queries.find_roadmap(dataset, name)


@pytest.mark.parametrize(
    "url",
    [
        "http://[x",
        "http://a／b.com/x",  # fullwidth solidus in the host
        "https://ex＠ample.com/",
        "http://example.com:99999/",
        "http://[::1",
    ],
)
def test_malformed_source_urls_are_usage_errors(url: str, data: Path) -> None:
    before = data.read_bytes()
    result = invoke(data, "agree", "customs", "--on", "2021-05-28", "--source", url)
    assert result.exit_code == 2, result.output
    assert "--source" in result.output and "not a valid URL" in result.output
    assert data.read_bytes() == before


@pytest.mark.parametrize("option", ["--note", "--source"])
def test_an_argument_that_is_not_utf8_is_a_usage_error(option: str, data: Path) -> None:
    """Bytes that do not decode reach Python as lone surrogates: refused, exit 2, no change."""
    before = data.read_bytes()
    args = [a.encode() for a in ("agree", "customs", "--on", "2021-05-28", option)]
    done = subprocess.run(
        [*(a.encode() for a in cli_command([])), *args, b"bad \xff\xfe text"],
        env=cli_env(data),
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert b"not valid UTF-8" in done.stderr and b"Traceback" not in done.stderr
    assert data.read_bytes() == before


def test_stdout_on_a_full_disk_is_exit_5(data: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            cli_command(["export"]),
            env=cli_env(data),
            cwd=REPO,
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert done.returncode == 5, done.stderr
    assert done.stderr.decode() == ("unionstate: cannot write to stdout: No space left on device\n")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["list"], 5),
        (["export", "-f", "csv"], 5),
        (["agree", "customs", "--on", "2021-05-28"], 0),  # writes only to stderr
    ],
)
def test_a_closed_stdout(args: list[str], code: int, data: Path) -> None:
    """`unionstate list >&-`: exit 5 for a command with data to print, no traceback."""
    done = subprocess.run(
        cli_command(args),
        env=cli_env(data),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    if code:
        assert done.stderr.decode() == "unionstate: cannot write to stdout: it is closed\n"
    else:
        assert b"Traceback" not in done.stderr


# -------------------------------------------------- class 6: exports that attack their readers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\tleading tab", "'\tleading tab"),
        ("\rleading CR", "'\\u000dleading CR"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("2021-05-28", "2021-05-28"),
    ],
)
def test_csv_cells_are_never_formulas(text: str, expected: str) -> None:
    assert views.csv_cell(text) == expected


def test_a_formula_in_the_data_exports_inert(minimal_data: dict[str, Any], tmp_path: Path) -> None:
    """End to end: a title and notes that validate, exported, read back by a CSV reader."""
    minimal_data["roadmaps"][0]["title"] = '=HYPERLINK("http://evil.example","Gas")'
    minimal_data["roadmaps"][0]["notes"] = "@SUM(A1:A9)"
    minimal_data["roadmaps"][1]["sphere"] = "-customs"
    path = _save(tmp_path, minimal_data)
    result = invoke(path, "export", "-f", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    formula_first = tuple("=+-@\t\r")
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(formula_first), (column, value)
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil.example","Gas")'
    assert rows[0]["notes"] == "'@SUM(A1:A9)"
    assert rows[1]["sphere"] == "'-customs"


def _markdown_html(dataset: models.Dataset) -> str:
    from markdown_it import MarkdownIt  # rich's own Markdown parser

    text = views.to_markdown(dataset, queries.summarise(dataset))
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def _hostile_markdown_dataset() -> models.Dataset:
    """Built without validation: what a renderer must survive even if validation slipped."""
    good = store.load(SHIPPED)
    sources = list(good.sources)
    cited = list(dict.fromkeys(s for e in good.roadmaps[0].history for s in e.sources))
    used, second = cited[0], cited[1]
    index = next(i for i, s in enumerate(sources) if s.id == used)
    sources[index] = replace(
        sources[index],
        publisher="<img src=x onerror=alert(1)>",
        url="https://evil.example/a) [x](javascript:alert(2)",
    )
    index = next(i for i, s in enumerate(sources) if s.id == second)
    sources[index] = replace(sources[index], url="javascript:alert(3)//https://ok.example")
    roadmaps = list(good.roadmaps)
    first = roadmaps[0]
    roadmaps[0] = replace(
        first,
        title="<script>alert(4)</script> **bold** [link](javascript:alert(5))",
        notes="<iframe src=https://evil.example></iframe> ![img](https://evil.example/t.png)",
        history=(
            replace(first.history[0], note="<a href='javascript:alert(6)'>x</a>"),
            *first.history[1:],
        ),
    )
    return replace(good, sources=tuple(sources), roadmaps=tuple(roadmaps))


def test_markdown_export_is_inert_in_a_renderer() -> None:
    html = _markdown_html(_hostile_markdown_dataset())
    assert "<script" not in html and "<iframe" not in html and "<img" not in html
    assert "onerror" not in html or "&lt;img" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs, "the sources should still be links"
    assert all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert 'href="https://evil.example/a%29%20%5Bx%5D(javascript:alert(2)"' not in html
    assert "https://evil.example/a%29%20%5Bx%5D%28javascript:alert%282%29" in html


def test_markdown_export_of_the_shipped_data_keeps_its_links() -> None:
    dataset = store.load(SHIPPED)
    html = _markdown_html(dataset)
    hrefs = re.findall(r'href="([^"]*)"', html)
    urls = {s.url for s in dataset.sources}
    assert len(hrefs) > 50
    assert all(h in urls or "%" in h for h in hrefs)


SEPARATORS = {"line-separator": "\\L", "paragraph-separator": "\\P", "u2028": "\\u2028"}


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=list(SEPARATORS))
@pytest.mark.parametrize(
    ("prefix", "field"),
    [
        ("  title: Macroeconomic policy", "title"),
        ("  publisher: Belsat", "publisher"),
        ("  sphere: finance", "sphere"),
    ],
)
def test_line_and_paragraph_separators_are_refused_in_single_line_fields(
    sep: str, prefix: str, field: str, tmp_path: Path
) -> None:
    raw = SHIPPED.read_text("utf-8")
    key = prefix.split(":")[0]
    line = next(line for line in raw.splitlines() if line.startswith(prefix))
    raw = raw.replace(line, f'{key}: "one{sep}two"', 1)
    path = tmp_path / "roadmaps.yaml"
    path.write_text(raw, "utf-8")
    with pytest.raises(DataError) as caught:
        store.load(path)
    (problem,) = caught.value.lines()
    assert f"{field}: must be a single line" in problem


# ------------------------------------------------------------- class 7: whose file is it


def test_the_search_up_the_tree_stops_at_a_directory_not_owned(tmp_path: Path) -> None:
    """Simulated (any user): every directory belongs to someone else than `uid`."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "roadmaps.yaml").write_text("planted")
    cwd = tmp_path / "me" / "project"
    cwd.mkdir(parents=True)
    user = tmp_path / "user"
    mine = os.geteuid()
    found = store.find_data_file(None, {}, cwd, user, uid=mine)
    assert found.origin == "tree" and found.path == tmp_path / "data" / "roadmaps.yaml"
    found = store.find_data_file(None, {}, cwd, user, uid=mine + 1)
    assert found.origin == "bundled"
    assert found.stopped_at == str(cwd)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make files of another owner")
@pytest.mark.parametrize("planted_by", ["parent-directory", "data-directory", "file"])
def test_a_planted_file_in_a_shared_parent_loses_to_the_users_own_copy(
    planted_by: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real owners: the user 54321 works in shared/me; someone else planted shared/data."""
    user_uid = 54321
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    planted = shared / "data" / "roadmaps.yaml"
    planted.write_bytes(SHIPPED.read_bytes())
    cwd = shared / "me"
    cwd.mkdir()
    os.chown(cwd, user_uid, user_uid)
    for path in (shared, shared / "data", planted):
        os.chown(path, user_uid, user_uid)
    victim = {"parent-directory": shared, "data-directory": shared / "data", "file": planted}
    os.chown(victim[planted_by], 0, 0)
    user_dir = tmp_path / "userdir"
    user_dir.mkdir()
    own = user_dir / "roadmaps.yaml"
    own.write_bytes(SHIPPED.read_bytes())
    os.chown(own, user_uid, user_uid)
    found = store.find_data_file(None, {}, cwd, user_dir, uid=user_uid)
    assert found.path == own and found.origin == "user"
    if planted_by == "parent-directory":
        assert found.stopped_at == str(shared)


def test_info_says_where_the_search_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNIONSTATE_DATA")
    monkeypatch.chdir(tmp_path)
    real = store.find_data_file

    def as_someone_else(*args: Any, **kwargs: Any) -> store.DataFile:
        return real(*args, uid=os.geteuid() + 1)

    monkeypatch.setattr(store, "find_data_file", as_someone_else)
    result = CliRunner().invoke(app, ["info"])
    assert result.exit_code == 0
    chosen = next(line for line in result.stdout.splitlines() if line.startswith("chosen"))
    assert f"stopped at {tmp_path}, which you do not own" in chosen


@pytest.mark.parametrize(
    "args",
    [
        ["--data", "/nonexistent\nunionstate: forged line", "list"],
        ["export", "-o", "/nonexistent/dir\nunionstate: forged line/out.json"],
        ["init", "{blocker}/x\nforged/roadmaps.yaml", "--force"],
    ],
)
def test_a_newline_in_a_path_cannot_forge_a_message_line(
    args: list[str], data: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = [a.replace("{blocker}", str(blocker)) for a in args]
    result = CliRunner().invoke(app, args if args[0] == "--data" else ["--data", str(data), *args])
    assert result.exit_code in (3, 5), result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "\\n" in result.stderr


# ---------------------------------------------------------------- class 8: smaller ones

LOOKALIKES = ["0o17", "0O17", "+0o7", "0x1F", "-0x1", "0b101", "y", "Y", "n", "N", "0o", "1_0"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_scalars_any_yaml_reader_would_retype_are_quoted(
    text: str, minimal_data: dict[str, Any], tmp_path: Path
) -> None:
    minimal_data["roadmaps"][0]["notes"] = text
    minimal_data["milestones"][0]["note"] = text
    path = _save(tmp_path, minimal_data)
    raw = path.read_text("utf-8")
    plain = text not in ("0o",)  # "0o" is no number for anyone: plain is fine
    assert (f"notes: '{text}'" in raw) == plain, raw
    assert store.load(path).roadmaps[0].notes == text
    assert yaml.safe_load(raw.split("\n", 4)[-1])["roadmaps"][0]["notes"] == text
    assert store.dumps(store.load(path)) == raw.encode()


@pytest.mark.parametrize("length", [100, 129, 1024, 1025, 2000])
def test_a_long_unknown_key_is_reported(length: int, tmp_path: Path) -> None:
    key = "k" * length
    raw = SHIPPED.read_bytes() + f"{key}: 1\n".encode()
    path = tmp_path / "roadmaps.yaml"
    path.write_bytes(raw)
    with pytest.raises(DataError) as caught:
        store.load(path)
    message = "\n".join(caught.value.lines())
    if length <= 1024:
        assert "unknown field" in message
    else:
        assert "invalid YAML" in message


def test_the_next_writer_cleans_up_old_temp_files_of_its_own_pattern(data: Path) -> None:
    old = time.time() - 2 * files.STALE_TEMP_SECONDS
    leftovers = {
        ".roadmaps.yaml.abcd_123.tmp": False,  # ours (mkstemp's 8 characters), old: removed
        ".roadmaps.yaml.young123.tmp": True,  # ours, young: perhaps a live writer's
        ".roadmaps.yaml.toolong12.tmp": True,  # 9 characters: not our pattern
        ".other.yaml.abcd1234.tmp": True,  # another file's
        "roadmaps.yaml.abcd1234.tmp": True,  # no leading dot
    }
    for name in leftovers:
        (data.parent / name).write_text("half")
        if "young" not in name:
            os.utime(data.parent / name, (old, old))
    link = data.parent / ".roadmaps.yaml.link1234.tmp"
    link.symlink_to(data.parent / "roadmaps.yaml")
    os.utime(link, (old, old), follow_symlinks=False)
    result = invoke(data, "agree", "customs", "--on", "2021-05-28")
    assert result.exit_code == 0, result.output
    for name, kept in leftovers.items():
        assert (data.parent / name).exists() == kept, name
    assert link.is_symlink(), "a symlink is never removed"
    assert ".roadmaps.yaml.young123.tmp" in temp_files(data.parent)


# ------------------------------------------------------ the export escapes, for any text

# Text that favours what matters to a spreadsheet and a Markdown renderer.
HOSTILE_TEXT = st.text(
    st.one_of(
        st.sampled_from(list("=+-@\t\r\n<>&\"'`*_[]()|~!#\\ :/%")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(text=HOSTILE_TEXT)
def test_no_csv_cell_is_ever_a_formula(text: str) -> None:
    """Not at its start, nor after any separator a spreadsheet may split at (issue 21)."""
    import re

    value = views.csv_cell(text)
    assert not value.startswith(tuple("=+-@\t\r"))
    for piece in re.split(r"[,;\t|\r\n]", value)[1:]:
        assert not piece.lstrip(" \t").startswith(tuple("=+-@")), (value, piece)
    assert value.replace("'", "") == clean(text).replace("'", "")  # only quotes are added


@settings(max_examples=300, deadline=None)
@given(
    label=HOSTILE_TEXT,
    url=HOSTILE_TEXT,
    scheme=st.sampled_from(["https://", "http://", "", "javascript:", "HTTPS://"]),
)
def test_a_markdown_link_never_yields_html_or_a_foreign_href(
    label: str, url: str, scheme: str
) -> None:
    from markdown_it import MarkdownIt

    line = f"- event: {views._md(label)} ({views._md_link(label, scheme + url)})"
    html = MarkdownIt("commonmark", {"html": True}).render(line)
    tags = set(re.findall(r"<([a-z0-9]+)", html))
    assert tags <= {"ul", "li", "a", "p"}, (line, html)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.lower().startswith(("https://", "http://")), (line, href)
