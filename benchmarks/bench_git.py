"""Time `unionstate merge` and `unionstate diff` on the 10,000-roadmap file, against `validate`.

    python benchmarks/bench_git.py            # 5 runs of each command
    python benchmarks/bench_git.py --runs 3

The base is the benchmark's 10,000-roadmap file (benchmarks/generate.py); two branches of
it each change 10 different roadmaps (`agree`, through the library), so the merge is clean.
Every command runs as a fresh process, round-robin, as in bench.py (whose helpers this
reuses), and the report gives each median beside `validate` of the same file in the same
run: once as a first read (a fresh copy, which no cache entry matches: what the merge
driver meets, since git hands it three temporary files) and once warm. Also timed: a whole
`git merge` of the two branches through the driver, and `unionstate diff HEAD~1 HEAD`
between two commits. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench

HERE = Path(__file__).resolve().parent
CHANGED = 10  # roadmaps each branch changes

BRANCH = """
import datetime as dt, sys
from pathlib import Path
from unionstate import store, updates
base, target, skip = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dataset = store.load(base)
pending = [r.id for r in dataset.roadmaps if r.status.value == "pending"]
names = pending[skip : skip + int(sys.argv[4])]
entry = updates.Entry(on=dataset.as_of, note="Benchmark branch change.")
outcome = updates.transition(dataset, "agree", names, entry, dt.date.today())
store.save(outcome.dataset, target)
print(",".join(outcome.changed))
"""


def git(repo: Path, env: dict[str, str], *args: str) -> None:
    """Run git in `repo` (quietly; fails loudly)."""
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def reset_to(repo: Path, env: dict[str, str], commit: str) -> Callable[[], None]:
    """A setup step: check out `commit` again, discarding the last merge."""

    def setup() -> None:
        git(repo, env, "reset", "-q", "--hard", commit)

    return setup


def main(argv: list[str] | None = None) -> int:
    """Generate the file and its two branches, time the commands, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(bench.machine())
    print(f"byte-compiled {bench.compile_package()}")
    us = bench.unionstate_argv()
    with tempfile.TemporaryDirectory(prefix="unionstate-bench-git-") as scratch:
        work = Path(scratch)
        base = work / "base.yaml"
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "100", str(base)],
            check=True,
            capture_output=True,
        )
        ours, theirs = work / "ours.yaml", work / "theirs.yaml"
        for target, skip in ((ours, 0), (theirs, CHANGED)):
            changed = subprocess.run(
                [sys.executable, "-c", BRANCH, str(base), str(target), str(skip), str(CHANGED)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            print(f"{target.name}: agreed {changed}")
        print(f"base: {base.stat().st_size / 2**20:.1f} MB")

        env = bench.child_env(work / "cache")
        env["UNIONSTATE_STATE_DIR"] = str(work / "state")
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update(
            GIT_CONFIG_GLOBAL=str(work / "gitconfig"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_AUTHOR_NAME="Bench",
            GIT_AUTHOR_EMAIL="bench@example.org",
            GIT_COMMITTER_NAME="Bench",
            GIT_COMMITTER_EMAIL="bench@example.org",
        )
        repo = work / "repo"
        (repo / "data").mkdir(parents=True)
        data = repo / "data" / "roadmaps.yaml"
        shutil.copyfile(base, data)
        git(repo, env, "init", "-q", "-b", "main")
        subprocess.run(
            [*us, "--data", str(data), "git-setup"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        git(repo, env, "add", ".")
        git(repo, env, "commit", "-q", "-m", "base")
        for branch, version in (("theirs", theirs), ("ours", ours)):
            git(repo, env, "checkout", "-q", "-b", branch, "main")
            shutil.copyfile(version, data)
            git(repo, env, "commit", "-q", "-am", branch)
        ours_commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

        cold, cold_a, cold_b, merged = (work / f"{n}.yaml" for n in ("cold", "a", "b", "merged"))
        both = [bench.fresh_copy(ours, cold_a), bench.fresh_copy(theirs, cold_b)]
        cmds = [
            bench.Command(
                "validate-cold",
                "unionstate validate, first read (fresh copy)",
                [*us, "validate", str(cold)],
                setup=bench.fresh_copy(base, cold),
            ),
            bench.Command(
                "validate-warm",
                "unionstate validate, warm",
                [*us, "validate", str(base)],
                warm=True,
            ),
            bench.Command(
                "merge",
                f"unionstate merge BASE OURS THEIRS ({CHANGED} + {CHANGED} roadmaps changed)",
                [*us, "merge", str(base), str(merged), str(theirs), "--path", "roadmaps.yaml"],
                setup=bench.fresh_copy(ours, merged),
            ),
            bench.Command(
                "git-merge",
                "git merge theirs (through the driver, whole)",
                ["git", "-C", str(repo), "merge", "-q", "-m", "merge", "theirs"],
                setup=reset_to(repo, env, ours_commit),
            ),
            bench.Command(
                "diff-cold",
                "unionstate diff OURS THEIRS, first read (fresh copies)",
                [*us, "diff", str(cold_a), str(cold_b)],
                setup=lambda: [step() for step in both] and None,
            ),
            bench.Command(
                "diff-warm",
                "unionstate diff OURS THEIRS, warm",
                [*us, "diff", str(ours), str(theirs)],
                warm=True,
            ),
            bench.Command(
                "diff-git",
                "unionstate diff HEAD~1 HEAD (two git revisions)",
                [*us, "--data", str(data), "diff", "HEAD~1", "HEAD"],
            ),
        ]
        for cmd in cmds:
            if cmd.warm:
                bench.run_once(cmd, env)
        for round_ in range(args.runs):
            for cmd in cmds:
                elapsed, rss = bench.run_once(cmd, env)
                cmd.times.append(elapsed)
                cmd.rss.append(rss)
            print(f"round {round_ + 1}/{args.runs} done ({time.perf_counter() - started:.0f} s)")
        cold_validate = cmds[0].median
        warm_validate = cmds[1].median
        print(
            "\n| command, 10k roadmaps | median time | peak RSS | x validate (first read) "
            "| x validate (warm) |"
        )
        print("|---|---:|---:|---:|---:|")
        for c in cmds:
            print(
                f"| {c.label} | {c.median:.2f} s | {c.peak / 2**20:.0f} MB "
                f"| {c.median / cold_validate:.2f} | {c.median / warm_validate:.2f} |"
            )
    print(f"\n{args.runs} runs each, medians; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
