"""The cache of parsed files never serves bytes other than those on disk, and never makes a
command fail; what is written re-loads as itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _proc import cli_command, cli_env, copy_shipped
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unionstate import cache, checks, files, plain, store, yamlfile
from unionstate.errors import DataError
from unionstate.models import Dataset
from unionstate.updates import Outcome


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test here gets its own empty cache directory."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(directory))
    monkeypatch.delenv("UNIONSTATE_CACHE", raising=False)
    return directory


def strict_parse(raw: bytes) -> Any:
    """The strict loader's plain data."""
    return yamlfile.parse(raw, "x")[0]


# ------------------------------------------------------------------ generated datasets

# Text that YAML reads as something else, or that needs quoting, escaping or care.
TRICKY = [
    *["yes", "No", "on", "OFF", "y", "null", "Null", "NULL", "~", "true", "False", ""],
    *["1", "-1", "+1", "007", "08", "0o17", "0x1F", "1_000", "1.5", ".5", "1.", "1e5"],
    *["1E10", ".inf", "-.INF", ".nan", "2021-05-28", "2021-05-28T10:00:00", "12:30"],
    *["-", "- a", "-a", "--", "---", "--- a", "...", ". . .", "? x", "?x", ": x", ":x"],
    *["a: b", "a:b", "a:", "a :", "#x", "a #x", "a#x", " lead", "trail ", "  ", "x\ny"],
    *["x\n", "\nx", "x\n\ny", "x \ny", "x\n y", "tab\there", "\t", "'", "''", '"', "'a'"],
    *["&x", "*x", "!x", "!!str x", "%x", "@x", "`x", "|", ">", "|-", "<<", "=", "[]", "{}"],
    *["[1]", "{a: 1}", ",", "a, b", "a\\b", "\\n", "Russia–Belarus", "Лукашенко", "m³"],
    *["\xa0", "a\xa0b", "\u2028", "a\u2029b", "\ufeff", "\ufffd", "\ue000", "😀", "a😀"],
    *["\u00ad", "ﬁ", "\u3000", "日本", "x" * 200, "a " * 50],
]
ALPHABET = st.sampled_from(
    list(" abcxyzABC019-_.:#?'\"[]{},&*!|>%@`<=~\\/\n\t–Жé\xa0\u2028\u2029\ufeff😀")
)
TEXT = st.one_of(
    st.sampled_from(TRICKY),
    st.text(ALPHABET, max_size=12),
    st.lists(st.sampled_from(TRICKY), min_size=1, max_size=3).map(" ".join),
)


def _line(text: str) -> str:
    """A value a `Line` field accepts: one line, not blank."""
    text = text.replace("\n", " ").replace("\t", " ").replace("\u2028", " ").replace("\u2029", " ")
    return text if text.strip() else f"x{text}"


LINE = TEXT.map(_line)
# Text the canonical writer keeps on one line, unescaped: what the fast reader must read.
PLAIN_TEXT = TEXT.map(
    lambda text: "".join(ch for ch in text if " " <= ch <= "~" or "\xa0" <= ch <= "\u2027")
)
SLUG = st.from_regex(r"[a-z0-9]{1,5}(-[a-z0-9]{1,3}){0,2}", fullmatch=True) | st.sampled_from(
    ["08", "1e5", "2021-05-28", "null", "true", "yes", "on", "0x1f", "1-000", "007"]
)
ROADMAP_STATUSES = ["pending", "agreed", "blocked", "signed"]
DATES = st.dates(dt.date(2019, 1, 1), dt.date(2021, 5, 28))
PRECISION = st.sampled_from(["day", "approximate", "month", "year"])


@st.composite
def datasets(draw: st.DrawFn, text: st.SearchStrategy[str] = TEXT) -> Dataset:
    """A valid dataset whose every text field may be tricky."""
    line = text.map(_line)
    source_ids = draw(st.lists(SLUG, min_size=1, max_size=3, unique=True))
    cited = st.lists(st.sampled_from(source_ids), max_size=2, unique=True)

    def history(statuses: list[str]) -> list[dict[str, Any]]:
        days = sorted(draw(st.lists(DATES, min_size=len(statuses), max_size=len(statuses))))
        events = []
        for day, status in zip(days, statuses, strict=True):
            event: dict[str, Any] = {"date": day.isoformat(), "status": status}
            precision = draw(PRECISION)
            if precision != "day":
                event["date_precision"] = precision
            event.update(note=draw(text), sources=draw(cited))
            events.append(event)
        return events

    condition_ids = draw(st.lists(SLUG, max_size=2, unique=True))
    conditions = []
    for cid in condition_ids:
        statuses = draw(st.lists(st.sampled_from(["open", "resolved"]), min_size=1, max_size=2))
        conditions.append(
            {
                "id": cid,
                "title": draw(line),
                "description": draw(text),
                "status": statuses[-1],
                "history": history(statuses),
                "sources": draw(cited),
            }
        )
    open_ids = [c["id"] for c in conditions if c["status"] == "open"]
    roadmap_ids = draw(st.lists(SLUG, min_size=1, max_size=3, unique=True))
    roadmaps = []
    for number, rid in enumerate(roadmap_ids, start=1):
        statuses = draw(st.lists(st.sampled_from(ROADMAP_STATUSES), min_size=1, max_size=3))
        linked = draw(st.lists(st.sampled_from(condition_ids), unique=True)) if conditions else []
        if statuses[-1] == "blocked" and not set(linked) & set(open_ids):
            statuses[-1] = "pending"
        roadmaps.append(
            {
                "number": number,
                "id": rid,
                "title": draw(line),
                "title_confirmed": draw(st.booleans()),
                "sphere": draw(line),
                "status": statuses[-1],
                "linked_conditions": linked,
                "history": history(statuses),
                "notes": draw(text),
            }
        )
    milestones = []
    for _ in range(draw(st.integers(0, 2))):
        milestone: dict[str, Any] = {"date": draw(DATES).isoformat()}
        precision = draw(PRECISION)
        if precision != "day":
            milestone["date_precision"] = precision
        counts = st.none() | st.integers(0, 40)
        milestone.update(
            reported=draw(line),
            speaker=draw(st.none() | line),
            agreed=draw(counts),
            open=draw(counts),
            total=draw(counts),
            unit=draw(st.sampled_from(["roadmaps", "programs", "directions"])),
            note=draw(text),
            sources=draw(cited),
        )
        milestones.append(milestone)
    sources = [
        {
            "id": sid,
            "publisher": draw(line),
            "url": f"https://example.org/{sid}/{draw(st.sampled_from(['a', 'b?c=1', 'x#y']))}",
            "title": draw(st.none() | line),
            "date": draw(st.none() | DATES.map(dt.date.isoformat)),
            "reprint_of": draw(st.none() | line),
        }
        for sid in source_ids
    ]
    return checks.validate(
        {
            "schema_version": 1,
            "title": draw(line),
            "as_of": "2021-05-28",
            "description": draw(text),
            "numbering": draw(text),
            "sources": sources,
            "conditions": conditions,
            "milestones": milestones,
            "roadmaps": roadmaps,
        }
    )


# ------------------------------------------------------------------- the round trip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_written_bytes_reload_with_the_strict_loader(dataset: Dataset) -> None:
    raw = store.dumps(dataset)
    assert checks.validate(strict_parse(raw)) == dataset
    assert store.loads(raw, "x") == dataset


def test_the_shipped_dataset_is_written_byte_for_byte(shipped: Path) -> None:
    raw = shipped.read_bytes()
    assert store.dumps(store.load(shipped)) == raw


# ------------------------------------------------------------------------- the cache


def big_copy(shipped: Path, tmp_path: Path) -> Path:
    """A private copy of the shipped dataset, which no cache entry matches yet."""
    path = tmp_path / "data" / "roadmaps.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shipped.read_bytes())
    return path


def entries(directory: Path) -> list[Path]:
    """The cache entries in `directory`."""
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any parse of YAML, or any validation, fail: to show a load came from the cache."""

    def refuse(*args: Any) -> Any:
        raise AssertionError("parsed or validated, although the cache holds these bytes")

    monkeypatch.setattr(yamlfile, "parse", refuse)
    monkeypatch.setattr(yamlfile, "validate", refuse)


def rewrite(entry: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change an entry's data and, like a writer with a bug would, hash it afresh."""
    header, body = entry.read_text(encoding="utf-8").split("\n", 1)
    data = json.loads(body)
    change(data)
    new_body = json.dumps(data).encode()
    identity = json.loads(header)
    identity["body"] = files.digest(new_body)
    entry.write_bytes(json.dumps(identity).encode() + b"\n" + new_body)


def test_a_second_load_comes_from_the_cache(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_copy(shipped, tmp_path)
    first = store.load(path)
    assert len(entries(_private_cache)) == 1
    no_parsing(monkeypatch)
    assert store.load(path) == first


def test_a_cache_entry_is_json_not_pickle(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    store.load(big_copy(shipped, tmp_path))
    (entry,) = entries(_private_cache)
    header, body = entry.read_text(encoding="utf-8").split("\n", 1)
    assert json.loads(header)["identity"]["sha256"] == files.digest(shipped.read_bytes())
    assert isinstance(json.loads(body), dict)


def test_a_hand_edit_that_keeps_size_mtime_and_inode_is_seen(shipped: Path, tmp_path: Path) -> None:
    """The content hash, not the file's metadata, decides whether the cache applies."""
    path = big_copy(shipped, tmp_path)
    before = store.load(path)
    old = path.stat()
    raw = path.read_bytes()
    edited = raw.replace(b"title: Monetary policy\n", b"title: Monetary polici\n", 1)
    assert edited != raw and len(edited) == len(raw)
    with path.open("r+b") as handle:  # in place: same inode
        handle.write(edited)
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = path.stat()
    assert (new.st_size, new.st_mtime_ns, new.st_ino) == (old.st_size, old.st_mtime_ns, old.st_ino)
    after = store.load(path)
    assert after != before
    assert any(r.title == "Monetary polici" for r in after.roadmaps)


def test_an_edit_that_breaks_the_file_is_reported_with_its_line_despite_the_cache(
    shipped: Path, tmp_path: Path
) -> None:
    path = big_copy(shipped, tmp_path)
    store.load(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines, 1) if line == "  status: agreed")
    lines[number - 1] = "  status: agred"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        store.load(path)
    assert caught.value.lines()[0].startswith(f"{path}:{number}:")
    assert "expected one of" in caught.value.lines()[0]


def test_an_entry_for_other_bytes_is_not_used(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    """An entry copied over from another file's bytes (same path) does not apply."""
    path = big_copy(shipped, tmp_path)
    store.load(path)
    (entry,) = entries(_private_cache)
    header, body = entry.read_text(encoding="utf-8").split("\n", 1)
    forged = json.loads(body)
    forged["title"] = "Not what the file says"
    entry.write_text(header + "\n" + json.dumps(forged), encoding="utf-8")
    path.write_bytes(path.read_bytes().replace(b"Monetary policy", b"Monetary Policy", 1))
    assert store.load(path).title != "Not what the file says"


def test_an_entry_written_by_other_code_is_not_used(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_copy(shipped, tmp_path)
    store.load(path)
    monkeypatch.setattr(store, "_CODE", ["another version of the parser"])
    calls = []
    real = yamlfile.parse
    monkeypatch.setattr(yamlfile, "parse", lambda raw, name: calls.append(1) or real(raw, name))
    store.load(path)
    assert calls, "an entry from other code must be a miss"


@pytest.mark.parametrize(
    ("package", "filename"), [("pydantic", "version.py"), ("yaml", "__init__.py")]
)
def test_the_code_fingerprint_changes_with_the_validator_and_the_parser(
    package: str, filename: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pydantic or PyYAML upgrade makes every entry a miss: they were validated by the old."""
    monkeypatch.setattr(store, "_CODE", [])
    before = store._code()
    upgraded = tmp_path / filename
    upgraded.write_text("__version__ = VERSION = '99.0'\n")
    real = store._source_of
    monkeypatch.setattr(
        store, "_source_of", lambda pkg, name: upgraded if pkg == package else real(pkg, name)
    )
    monkeypatch.setattr(store, "_CODE", [])
    assert store._code() != before


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership and modes")
def test_an_entry_others_may_write_is_not_used(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_copy(shipped, tmp_path)
    store.load(path)
    (entry,) = entries(_private_cache)
    entry.chmod(0o666)
    calls = []
    real = yamlfile.parse
    monkeypatch.setattr(yamlfile, "parse", lambda raw, name: calls.append(1) or real(raw, name))
    store.load(path)
    assert calls, "a group- or world-writable entry must be ignored"


@pytest.mark.parametrize("damage", ["truncated", "not-json", "empty", "directory"])
def test_a_damaged_entry_is_a_miss_not_an_error(
    shipped: Path, tmp_path: Path, _private_cache: Path, damage: str
) -> None:
    path = big_copy(shipped, tmp_path)
    expected = store.load(path)
    (entry,) = entries(_private_cache)
    text = entry.read_text(encoding="utf-8")
    if damage == "truncated":
        entry.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage == "not-json":
        entry.write_text("\x80 not json", encoding="latin-1")
    elif damage == "empty":
        entry.write_text("", encoding="utf-8")
    else:
        entry.unlink()
        entry.mkdir()
    assert store.load(path) == expected


def test_an_unwritable_cache_directory_never_makes_a_load_fail(
    shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    monkeypatch.setenv("UNIONSTATE_CACHE_DIR", str(blocker / "cache"))
    path = big_copy(shipped, tmp_path)
    assert store.load(path) == store.load(path)


@pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="permissions do not bind root",
)
def test_a_read_only_cache_directory_never_makes_a_load_fail(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    _private_cache.mkdir()
    _private_cache.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        path = big_copy(shipped, tmp_path)
        assert store.load(path) == store.load(path)
        assert entries(_private_cache) == []
    finally:
        _private_cache.chmod(stat.S_IRWXU)


def test_the_cache_can_be_turned_off(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIONSTATE_CACHE", "0")
    store.load(big_copy(shipped, tmp_path))
    assert not _private_cache.exists()


def test_a_small_file_is_cached_too(
    data_file: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a tiny file is worth an entry: a hit needs neither YAML nor pydantic."""
    first = store.load(data_file)
    assert len(entries(_private_cache)) == 1
    no_parsing(monkeypatch)
    assert store.load(data_file) == first


def test_a_cache_hit_builds_no_validator(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes a warm start fast: pydantic's validators are never built for a hit."""
    path = big_copy(shipped, tmp_path)
    first = store.load(path)
    monkeypatch.setattr(checks, "_VALIDATOR", [])
    assert store.load(path) == first
    assert checks._VALIDATOR == []


@given(datasets())
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
def test_trusted_rebuilds_exactly_the_dataset_that_was_cached(dataset: Dataset) -> None:
    """The cache's round trip: canonical plain data, as JSON, rebuilt without validation."""
    assert plain.trusted(json.loads(plain.plain_json(plain.to_plain(dataset)))) == dataset


def test_an_update_leaves_an_entry_for_the_new_bytes(
    shipped: Path, tmp_path: Path, _private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_copy(shipped, tmp_path)

    def retitle(dataset: Dataset) -> Dataset:
        return checks.validate({**plain.fields_of(dataset), "title": "Retitled"})

    after = store.update(path, lambda d: Outcome(retitle(d))).dataset
    no_parsing(monkeypatch)
    assert store.load(path) == after
    assert store.dumps(after) == path.read_bytes()


def test_the_number_of_entries_is_bounded(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    for i in range(cache.MAX_ENTRIES + 3):
        store.load(big_copy(shipped, tmp_path / str(i)))
    assert len(entries(_private_cache)) == cache.MAX_ENTRIES


def test_an_entry_changed_after_it_was_written_is_a_miss(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    """The entry's data must still hash to what its header says (a bit flip, an edit)."""
    path = big_copy(shipped, tmp_path)
    expected = store.load(path)
    (entry,) = entries(_private_cache)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b"Monetary policy", b"Monetary polic!", 1))
    assert entry.read_bytes() != raw
    assert store.load(path) == expected


def _unknown_field(data: dict[str, Any]) -> None:
    data["unknown_field"] = 1


def _bad_date(data: dict[str, Any]) -> None:
    data["roadmaps"][0]["history"][0]["date"] = "the first of May"


def _bad_status(data: dict[str, Any]) -> None:
    data["roadmaps"][0]["status"] = "frozen"


def _missing_field(data: dict[str, Any]) -> None:
    del data["roadmaps"][0]["title"]


@pytest.mark.parametrize("change", [_unknown_field, _bad_date, _bad_status, _missing_field])
def test_an_entry_that_does_not_fit_the_records_is_a_miss(
    shipped: Path, tmp_path: Path, _private_cache: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    """Data of another shape (a writer's bug, an old format) falls back to parsing."""
    path = big_copy(shipped, tmp_path)
    expected = store.load(path)
    (entry,) = entries(_private_cache)
    rewrite(entry, change)
    assert store.load(path) == expected


def test_temp_files_left_by_a_killed_writer_are_cleaned_up(
    shipped: Path, tmp_path: Path, _private_cache: Path
) -> None:
    _private_cache.mkdir(mode=0o700)
    old = _private_cache / f".{cache.PREFIX}old12345.tmp"  # mkstemp's 8 characters
    fresh = _private_cache / f".{cache.PREFIX}fresh123.tmp"
    old.write_text("{half")
    fresh.write_text("{half")
    an_hour_ago = old.stat().st_mtime_ns - files.STALE_TEMP_SECONDS * 10**9 - 10**9
    os.utime(old, ns=(an_hour_ago, an_hour_ago))
    store.load(big_copy(shipped, tmp_path))
    assert not old.exists(), "a stale temp file is removed"
    assert fresh.exists(), "a temp file another process may still be writing is kept"


# ------------------------------------------------------------------- a warm start-up

# What keeps a read near the import floor (issue 5): a file the cache has seen is read
# without PyYAML or a single pydantic validator, in the CLI too (typer < 0.29 coerces
# options without pydantic).
NOT_ON_A_WARM_READ = ("pydantic", "pydantic_core", "yaml")
WARM_READS = (
    ["list", "--unresolved"],
    ["summary"],
    ["show", "gas-market"],
    ["conditions", "--json"],
    ["history", "--chart"],
)


@pytest.mark.parametrize("args", WARM_READS, ids=" ".join)
def test_a_warm_read_imports_no_validation_code(tmp_path: Path, args: list[str]) -> None:
    data = copy_shipped(tmp_path / "data")
    env = cli_env(data, UNIONSTATE_CACHE_DIR=str(tmp_path / "cache"), TTY_COMPATIBLE="1")
    first = subprocess.run(cli_command(["list"]), env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    report = (
        "import atexit\n"
        "atexit.register(lambda: print('loaded:', sorted({m.split('.')[0] for m in sys.modules}"
        f" & {set(NOT_ON_A_WARM_READ)!r}), file=sys.stderr))"
    )
    warm = subprocess.run(cli_command(args, report), env=env, capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    assert warm.stderr.splitlines()[-1] == "loaded: []"
