"""Team use over git, with real git in temporary repositories: merge driver, diff, git-setup.

The repositories hold the frozen record of 28 May 2021 (tests/data), as data/roadmaps.yaml.

Every command runs as a process, as git runs the driver: `unionstate` from this
interpreter's environment is first on PATH, and git reads no config of the user's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unionstate import store
from unionstate.models import ConditionStatus, RoadmapStatus

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = REPO_ROOT / "tests" / "data" / "record-2021-05-28.yaml"  # frozen: see tests/data
DATA = Path("data") / "roadmaps.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


class Repo:
    """A git repository in tmp_path holding a copy of the shipped data as data/roadmaps.yaml."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env

    @property
    def data(self) -> Path:
        """The data file in the working tree."""
        return self.root / DATA

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command in the repository (git or unionstate)."""
        done = subprocess.run(
            argv, cwd=self.root, env=self.env, capture_output=True, text=True, check=False
        )
        if check and done.returncode:
            raise AssertionError(f"{argv}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        return done

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run git."""
        return self.run("git", *args, check=check)

    def us(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run unionstate."""
        return self.run("unionstate", *args, check=check)

    def branch(self, name: str, *commands: list[str], start: str = "main") -> None:
        """A branch from `start` with one commit per unionstate command."""
        self.git("checkout", "-q", "-b", name, start)
        for command in commands:
            self.us(*command)
            self.git("commit", "-q", "-am", " ".join(command))
        self.git("checkout", "-q", "main")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A fresh repository with the shipped data committed and the driver set up."""
    monkeypatch.delenv("UNIONSTATE_DATA")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "TTY_"))}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Analyst",
        GIT_AUTHOR_EMAIL="analyst@example.org",
        GIT_COMMITTER_NAME="Analyst",
        GIT_COMMITTER_EMAIL="analyst@example.org",
    )
    root = tmp_path / "newsroom"
    (root / "data").mkdir(parents=True)
    shutil.copyfile(SHIPPED, root / DATA)
    repo = Repo(root, env)
    repo.git("init", "-q", "-b", "main")
    repo.us("git-setup")
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "the shipped data")
    return repo


# ------------------------------------------------------------------------ merging


def test_the_issues_two_branch_scenario_merges_cleanly(repo: Repo) -> None:
    """agree customs on one branch, resolve a condition on the other: both, later as_of."""
    repo.branch("a", ["agree", "customs", "--on", "2021-06-10", "--note", "A"])
    repo.branch("b", ["resolve", "tax-manoeuvre-compensation", "--on", "2021-07-01", "--note", "B"])
    repo.git("merge", "-q", "a", "-m", "a")
    merged = repo.git("merge", "b", "-m", "b", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    dataset = store.load(repo.data)
    assert str(dataset.as_of) == "2021-07-01"
    customs = dataset.roadmap_by_id("customs")
    assert (customs.status, customs.last_event.note) == (RoadmapStatus.AGREED, "A")
    condition = dataset.condition_by_id("tax-manoeuvre-compensation")
    assert (condition.status, condition.history[-1].note) == (ConditionStatus.RESOLVED, "B")
    assert dataset.roadmap_by_id("taxation").status is RoadmapStatus.PENDING  # freed
    assert repo.git("status", "--porcelain").stdout == ""
    assert repo.us("validate").returncode == 0


def test_events_added_on_both_sides_to_one_roadmap_are_both_kept_in_date_order(
    repo: Repo,
) -> None:
    repo.branch("a", ["agree", "customs", "--on", "2021-06-12", "--note", "A"])
    repo.branch("b", ["agree", "customs", "--on", "2021-06-10", "--note", "B"])
    repo.git("merge", "-q", "a", "-m", "a")
    assert repo.git("merge", "-q", "b", "-m", "b", check=False).returncode == 0
    history = store.load(repo.data).roadmap_by_id("customs").history
    assert [(str(e.date), e.note) for e in history[-2:]] == [
        ("2021-06-10", "B"),
        ("2021-06-12", "A"),
    ]


def test_the_same_event_made_on_both_sides_is_kept_once(repo: Repo) -> None:
    command = ["agree", "customs", "--on", "2021-06-10", "--note", "Same"]
    repo.branch("a", command)
    repo.branch("b", command, ["sign", "transport", "--on", "2021-06-11"])
    repo.git("merge", "-q", "a", "-m", "a")
    assert repo.git("merge", "-q", "b", "-m", "b", check=False).returncode == 0
    dataset = store.load(repo.data)
    notes = [e.note for e in dataset.roadmap_by_id("customs").history]
    assert notes.count("Same") == 1
    assert dataset.roadmap_by_id("transport").status is RoadmapStatus.SIGNED


def test_new_sources_on_both_sides_are_both_kept(repo: Repo) -> None:
    repo.branch("a", ["agree", "customs", "--on", "2021-06-10", "--source", "https://tass.com/a"])
    repo.branch("b", ["sign", "transport", "--on", "2021-06-11", "--source", "https://belta.by/b"])
    repo.git("merge", "-q", "a", "-m", "a")
    assert repo.git("merge", "-q", "b", "-m", "b", check=False).returncode == 0
    urls = {s.url for s in store.load(repo.data).sources}
    assert {"https://tass.com/a", "https://belta.by/b"} <= urls


def test_a_real_conflict_stops_with_one_semantic_line_and_keeps_a_valid_file(
    repo: Repo,
) -> None:
    repo.branch("a", ["agree", "customs", "--on", "2021-06-10"])
    repo.branch("b", ["block", "customs", "-c", "gas-price", "--on", "2021-06-12"])
    repo.git("merge", "-q", "a", "-m", "a")
    merged = repo.git("merge", "b", "-m", "b", check=False)
    assert merged.returncode == 1
    assert "CONFLICT" in merged.stdout
    assert (
        "unionstate: roadmap 8 (customs): status: ours agreed on 2021-06-10, "
        "theirs blocked on 2021-06-12\n"
    ) in merged.stderr
    assert repo.git("status", "--porcelain").stdout == "UU data/roadmaps.yaml\n"
    text = repo.data.read_text(encoding="utf-8")
    assert "<<<<<<<" not in text
    recorded = [line for line in text.splitlines() if line.startswith("# conflict: ")]
    conflict, lost = (json.loads(line.removeprefix("# conflict: ")) for line in recorded)
    assert (lost["kind"], lost["theirs"]["status"]) == ("lost", "blocked")
    assert conflict["record"] == "roadmap 8 (customs)"
    assert conflict["field"] == "status"
    assert (conflict["ours"]["status"], conflict["theirs"]["status"]) == ("agreed", "blocked")
    assert store.load(repo.data).roadmap_by_id("customs").status is RoadmapStatus.AGREED
    assert (  # what settling it means: theirs' event, named
        "unionstate: theirs' change is not in the file: roadmap 8 (customs): blocked on "
        "2021-06-12" in merged.stderr
    )
    # Settled with the normal CLI; the next write drops the record of the conflict.
    repo.us("block", "customs", "-c", "gas-price", "--on", "2021-06-12")
    assert "# conflict" not in repo.data.read_text(encoding="utf-8")
    repo.git("add", str(DATA))
    repo.git("commit", "-q", "-m", "merged")
    assert repo.git("status", "--porcelain").stdout == ""


def test_a_merge_that_breaks_a_rule_between_records_is_a_conflict(repo: Repo) -> None:
    """One side resolves a condition, the other blocks a roadmap by it: that roadmap keeps
    our version, theirs' change to it is named, and the rest of theirs is merged."""
    repo.branch("a", ["resolve", "gas-price", "--on", "2021-06-10"])
    repo.branch("b", ["block", "customs", "-c", "gas-price", "--on", "2021-06-12"])
    repo.git("merge", "-q", "a", "-m", "a")
    before = repo.data.read_bytes()
    merged = repo.git("merge", "b", "-m", "b", check=False)
    assert merged.returncode == 1
    assert (
        "roadmap 8 (customs): status: is blocked but none of its linked conditions is open"
        in merged.stderr
    )
    ours = store.loads(before, "ours")
    result = store.load(repo.data)
    assert result.roadmap_by_id("customs") == ours.roadmap_by_id("customs")
    assert str(result.as_of) == "2021-06-12"  # theirs' other change is kept
    assert "theirs' change is not in the file: roadmap 8 (customs): blocked on 2021-06-12" in (
        merged.stderr
    )


def _versions(tmp_path: Path, repo: Repo) -> tuple[Path, Path, Path]:
    base, ours, theirs = (tmp_path / f"{n}.yaml" for n in ("base", "ours", "theirs"))
    for path in (base, ours, theirs):
        shutil.copyfile(repo.data, path)
    return base, ours, theirs


def test_merging_an_invalid_version_exits_3_and_changes_nothing(repo: Repo, tmp_path: Path) -> None:
    base, ours, theirs = _versions(tmp_path, repo)
    text = theirs.read_text(encoding="utf-8")
    theirs.write_text(text.replace("status: pending", "status: done", 1), encoding="utf-8")
    before = ours.read_bytes()
    done = repo.us(
        "merge", str(base), str(ours), str(theirs), "--path", "data/roadmaps.yaml", check=False
    )
    assert done.returncode == 3
    assert "data/roadmaps.yaml (theirs):" in done.stderr
    assert "got 'done'" in done.stderr
    assert "Traceback" not in done.stderr
    assert ours.read_bytes() == before


def test_merge_writes_the_canonical_result_to_ours(repo: Repo, tmp_path: Path) -> None:
    base, ours, theirs = _versions(tmp_path, repo)
    repo.us("--data", str(theirs), "agree", "customs", "--on", "2021-06-10")
    done = repo.us("merge", str(base), str(ours), str(theirs))
    assert done.returncode == 0
    assert "2 change(s) from theirs, no conflicts" in done.stderr  # event, as_of
    assert ours.read_bytes() == theirs.read_bytes()


# ---------------------------------------------------------------------- git-setup


def test_git_setup_is_idempotent(repo: Repo) -> None:
    config = (repo.root / ".git" / "config").read_text(encoding="utf-8")
    attributes = (repo.root / ".gitattributes").read_text(encoding="utf-8")
    assert attributes == "data/roadmaps.yaml merge=unionstate\n"
    again = repo.us("git-setup")
    assert [line.split(":")[0] for line in again.stderr.splitlines()] == ["unchanged"] * 3
    assert (repo.root / ".git" / "config").read_text(encoding="utf-8") == config
    assert (repo.root / ".gitattributes").read_text(encoding="utf-8") == attributes
    driver = repo.git("config", "merge.unionstate.driver").stdout.strip()
    assert driver == "unionstate merge %O %A %B --path %P"


def test_git_setup_global_uses_the_global_config_and_attributes(repo: Repo) -> None:
    first = repo.us("git-setup", "--global", "*.roadmaps.yaml")
    assert "added '*.roadmaps.yaml merge=unionstate'" in first.stderr
    home = Path(repo.env["HOME"])
    attributes = home / ".config" / "git" / "attributes"
    assert attributes.read_text(encoding="utf-8") == "*.roadmaps.yaml merge=unionstate\n"
    assert "unionstate merge" in (home / ".gitconfig").read_text(encoding="utf-8")
    repo.us("git-setup", "--global", "*.roadmaps.yaml")
    assert attributes.read_text(encoding="utf-8") == "*.roadmaps.yaml merge=unionstate\n"


def test_git_setup_outside_a_repository_says_so(tmp_path: Path, repo: Repo) -> None:
    lone = tmp_path / "lone.yaml"
    shutil.copyfile(SHIPPED, lone)
    done = repo.run(
        "unionstate", "--data", str(lone), "git-setup", check=False
    )  # tmp_path is not in a repository; repo is below it
    assert done.returncode == 1
    assert "is not inside a git repository" in done.stderr


# --------------------------------------------------------------------------- diff


def test_diff_of_the_last_commit_says_what_changed_in_words(repo: Repo) -> None:
    repo.us("resolve", "tax-manoeuvre-compensation", "--on", "2021-07-01", "--note", "B")
    repo.git("commit", "-q", "-am", "resolve")
    done = repo.us("diff", "HEAD~1")
    assert done.stdout.splitlines() == [
        "condition tax-manoeuvre-compensation: resolved on 2021-07-01 (note: B)",
        "roadmap 7 (taxation): pending on 2021-07-01 "
        "(note: Unblocked: condition tax-manoeuvre-compensation resolved.)",
        "roadmap 13 (oil-market): pending on 2021-07-01 "
        "(note: Unblocked: condition tax-manoeuvre-compensation resolved.)",
        "as_of: 2021-05-28 → 2021-07-01",
    ]
    assert repo.us("diff", "HEAD~1", "HEAD").stdout == done.stdout
    assert repo.us("diff", "main~1", "main").stdout == done.stdout


def test_diff_without_arguments_compares_the_file_with_head(repo: Repo) -> None:
    assert repo.us("diff").stdout == ""
    repo.us("agree", "customs", "--on", "2021-06-10", "--note", "A")
    assert repo.us("diff").stdout == "roadmap 8 (customs): agreed on 2021-06-10 (note: A)\n" + (
        "as_of: 2021-05-28 → 2021-06-10\n"
    )


def test_diff_of_two_files_as_json(repo: Repo, tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    shutil.copyfile(repo.data, old)
    shutil.copyfile(repo.data, new)
    repo.us("--data", str(new), "agree", "customs", "--on", "2021-06-10", "--source",
            "https://tass.com/politics/1")  # fmt: skip
    changes = json.loads(repo.us("diff", str(old), str(new), "--json").stdout)
    kinds = [(c["kind"], c["collection"], c["record"]) for c in changes]
    assert kinds == [
        ("added", "sources", "source tass-com-1"),
        ("event", "roadmaps", "roadmap 8 (customs)"),
        ("changed", "", ""),
    ]
    assert changes[1]["new"]["sources"] == ["tass-com-1"]
    assert changes[2]["field"] == "as_of"


def test_diff_of_an_unknown_revision_is_refused(repo: Repo) -> None:
    done = repo.us("diff", "no-such-branch", check=False)
    assert done.returncode == 1
    assert "'no-such-branch' is neither a file nor a git revision" in done.stderr


def test_diff_works_as_gits_external_diff(repo: Repo) -> None:
    repo.git("config", "diff.unionstate.command", "unionstate diff")
    attributes = repo.root / ".gitattributes"
    attributes.write_text("data/roadmaps.yaml merge=unionstate diff=unionstate\n")
    repo.git("commit", "-q", "-am", "diff driver")
    repo.us("agree", "customs", "--on", "2021-06-10", "--note", "A")
    shown = repo.git("diff").stdout
    assert shown == (
        "unionstate diff data/roadmaps.yaml\n"
        "roadmap 8 (customs): agreed on 2021-06-10 (note: A)\n"
        "as_of: 2021-05-28 → 2021-06-10\n"
    )


# ------------------------------------------------------------ nothing of ours left


def test_after_updates_git_status_shows_only_the_data_file(repo: Repo) -> None:
    repo.us("agree", "customs", "--on", "2021-06-10")
    repo.us("undo", "--yes")
    repo.us("redo", "--yes")
    repo.git("add", ".")  # what a user would type
    assert repo.git("status", "--porcelain").stdout == "M  data/roadmaps.yaml\n"


def test_external_diff_of_an_added_file_lists_every_record_as_added(repo: Repo) -> None:
    """git passes /dev/null for the side where the file does not exist."""
    done = repo.us("diff", "new.yaml", os.devnull, ".", ".", str(repo.data), "0" * 40, "100644")
    lines = done.stdout.splitlines()
    assert lines[0] == "unionstate diff new.yaml"
    assert "roadmap 8 (customs) added" in lines
    assert sum(line.startswith("roadmap ") for line in lines) == 31


def test_sources_added_on_both_sides_with_the_same_made_up_id_are_both_kept(repo: Repo) -> None:
    """Two TASS pages become tass-com-1 on both branches: theirs is renumbered, and cited."""
    repo.branch("a", ["agree", "customs", "--on", "2021-06-10", "--source", "https://tass.com/a"])
    repo.branch("b", ["sign", "transport", "--on", "2021-06-11", "--source", "https://tass.com/b"])
    repo.git("merge", "-q", "a", "-m", "a")
    merged = repo.git("merge", "b", "-m", "b", check=False)
    assert merged.returncode == 0, merged.stderr
    assert "their new source tass-com-1 is tass-com-2 here" in merged.stderr
    dataset = store.load(repo.data)
    urls = {s.id: s.url for s in dataset.sources if s.id.startswith("tass-com-")}
    assert urls == {"tass-com-1": "https://tass.com/a", "tass-com-2": "https://tass.com/b"}
    assert dataset.roadmap_by_id("customs").last_event.sources == ["tass-com-1"]
    assert dataset.roadmap_by_id("transport").last_event.sources == ["tass-com-2"]


# ---------------------------------------------- issue 21: git integration that holds


@pytest.mark.parametrize(
    "name",
    [
        "my roadmaps.yaml",
        "[draft] roadmaps.yaml",
        "#1.yaml",
        "!important.yaml",
        "tab\there.yaml",
        'quote".yaml',
        "star*.yaml",
        "back\\slash.yaml",
        "q?.yaml",
        "дорожные карты.yaml",
    ],
)
def test_git_setup_writes_a_pattern_git_applies_to_that_file_only(repo: Repo, name: str) -> None:
    other = repo.root / "data" / name
    shutil.copyfile(repo.data, other)
    decoy = repo.root / "data" / "decoy.yaml"  # what a glob in the name could also match
    shutil.copyfile(repo.data, decoy)
    done = repo.us("--data", str(other), "git-setup", check=False)
    assert done.returncode == 0, done.stderr
    relative = f"data/{name}"
    applied = repo.git("check-attr", "-z", "merge", "--", relative, "data/decoy.yaml").stdout
    fields = applied.split("\0")
    assert fields[:3] == [relative, "merge", "unionstate"], applied
    assert fields[3:6] == ["data/decoy.yaml", "merge", "unspecified"], applied
    again = repo.us("--data", str(other), "git-setup")
    assert "unchanged: .gitattributes has" in again.stderr


def test_git_setup_keeps_crlf_and_bytes_that_are_not_utf8(repo: Repo) -> None:
    attributes = repo.root / ".gitattributes"
    attributes.write_bytes(b"*.txt text\r\n# caf\xe9 (latin-1)\r\n")
    other = repo.root / "data" / "second.yaml"
    shutil.copyfile(repo.data, other)
    done = repo.us("--data", str(other), "git-setup", check=False)
    assert done.returncode == 0, done.stderr
    assert attributes.read_bytes() == (
        b"*.txt text\r\n# caf\xe9 (latin-1)\r\ndata/second.yaml merge=unionstate\r\n"
    )


@pytest.mark.parametrize("where", ["outside", "other-repo"])
def test_git_setup_never_writes_through_a_link_out_of_the_repository(
    repo: Repo, tmp_path: Path, where: str
) -> None:
    attributes = repo.root / ".gitattributes"
    if where == "outside":
        target = tmp_path / "elsewhere.txt"
    else:
        other = tmp_path / "other"
        other.mkdir()
        repo.run("git", "init", "-q", str(other))
        target = other / ".gitattributes"
    target.write_bytes(b"precious\n")
    attributes.unlink()
    attributes.symlink_to(target)
    second = repo.root / "data" / "second.yaml"
    shutil.copyfile(repo.data, second)
    done = repo.us("--data", str(second), "git-setup", check=False)
    assert done.returncode == 1, done.stderr
    assert "is a symbolic link to" in done.stderr and done.stderr.count("\n") == 1
    assert target.read_bytes() == b"precious\n"


def test_git_setup_with_a_config_it_cannot_write_is_a_write_failure(repo: Repo) -> None:
    """git cannot take its lock on the config (read-only, for root too): exit 5, not 1."""
    repo.git("config", "--unset", "merge.unionstate.driver")
    lock = repo.root / ".git" / "config.lock"
    lock.write_text("held")
    done = repo.us("git-setup", check=False)
    lock.unlink()
    assert done.returncode == 5, done.stderr
    assert "could not write the repository's config" in done.stderr


@pytest.mark.parametrize("pattern", ["!data/roadmaps.yaml", "  "])
def test_git_setup_refuses_a_pattern_git_would_ignore(repo: Repo, pattern: str) -> None:
    before = (repo.root / ".gitattributes").read_bytes()
    done = repo.us("git-setup", pattern, check=False)
    assert done.returncode == 2, done.stderr
    assert (repo.root / ".gitattributes").read_bytes() == before


# ------------------------------------------------------------------------ diff, show


def test_the_external_diff_follows_a_rename(repo: Repo) -> None:
    """git passes nine arguments for a rename: `git log -p --ext-diff` must not stop."""
    repo.git("config", "diff.unionstate.command", "unionstate diff")
    (repo.root / ".gitattributes").write_text("*.yaml merge=unionstate diff=unionstate\n")
    repo.git("commit", "-q", "-am", "diff driver")
    repo.git("mv", str(DATA), "data/renamed.yaml")
    repo.git("commit", "-q", "-m", "rename")
    renamed = repo.root / "data" / "renamed.yaml"
    repo.us("--data", str(renamed), "agree", "customs", "--on", "2021-06-10")
    repo.git("commit", "-q", "-am", "agree")
    shown = repo.git("log", "-p", "--ext-diff", "-M", "--format=%s")
    assert shown.returncode == 0
    assert "unionstate diff data/roadmaps.yaml → data/renamed.yaml" in shown.stdout
    assert "roadmap 8 (customs): agreed on 2021-06-10" in shown.stdout


def test_the_external_diff_of_nothing_against_nothing_is_empty(repo: Repo) -> None:
    done = repo.us("diff", "x.yaml", os.devnull, ".", ".", os.devnull, ".", ".", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "unionstate diff x.yaml\n"


def test_the_external_diff_shows_a_path_with_escapes_visible(repo: Repo) -> None:
    name = "evil\x1b]0;pwned\x07.yaml"
    done = repo.us("diff", name, os.devnull, ".", ".", str(repo.data), ".", ".")
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert done.stdout.startswith("unionstate diff evil\\u001b]0;pwned\\u0007.yaml\n")


@pytest.mark.parametrize("revision", ["--output=owned", "-p", "--textconv"])
def test_a_revision_is_never_an_option_of_gits(repo: Repo, revision: str) -> None:
    done = repo.us("diff", "--", revision, check=False)
    assert done.returncode == 2, done.stderr
    assert "not a git revision" in done.stderr
    assert not (repo.root / "owned").exists()
    assert not (repo.root / "data" / "owned").exists()


def test_the_default_old_version_is_the_revision_head_not_a_file_called_head(
    repo: Repo,
) -> None:
    (repo.root / "HEAD").write_text("not a data file")
    repo.us("agree", "customs", "--on", "2021-06-10")
    done = repo.us("diff", check=False)
    assert done.returncode == 0, done.stderr
    assert "roadmap 8 (customs): agreed on 2021-06-10" in done.stdout
    assert store.load(repo.data)
