"""Time whole `unionstate` processes against the import floor and a straightforward baseline.

    python benchmarks/bench.py            # 5 runs of each command (a few minutes)
    python benchmarks/bench.py --quick    # 3 runs, for a rough look
    python benchmarks/bench.py --markdown # also print the README's table

Generates synthetic datasets of 1,000 and 10,000 roadmaps x 10 events (benchmarks/
generate.py, written with the project's own `store.save`), then runs every command as a
fresh process, interleaving the commands round by round so that a busy machine slows them
all alike, and reports the median wall time and the peak resident memory of each (from
`os.wait4`). Ratios and targets are those of issue 5. Nothing here is a test: CI never
runs it, and no number here can fail a build.

unionstate runs with its cache in a scratch directory (never yours); one untimed run
first fills it, as any earlier command would. `sign` always works on a fresh copy of the
file, so its load is a cold one: the copy is a new file, which no cache entry matches.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOOR = "import typer, rich.console, rich.table, pydantic, yaml"
TABLE_ENV = {"TTY_COMPATIBLE": "1", "COLUMNS": "200"}  # rich draws a table, as on a terminal


@dataclass
class Command:
    """One command line to time, and what to do before each run (untimed)."""

    key: str
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[], None] | None = None
    warm: bool = False  # one untimed run first (fills unionstate's cache)
    base: str | None = None  # key of the baseline command this one is compared with
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # bytes

    @property
    def median(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(self.times)

    @property
    def peak(self) -> int:
        """Largest peak RSS over the runs, in bytes."""
        return max(self.rss)


def run_once(cmd: Command, base_env: dict[str, str]) -> tuple[float, int]:
    """Run `cmd` as a child; its wall time and peak RSS (bytes), from wait4."""
    if cmd.setup is not None:
        cmd.setup()
    env = {**base_env, **cmd.env}
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd.argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace")
            raise SystemExit(f"{cmd.label}: exit {child.returncode}\n{message}")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return elapsed, usage.ru_maxrss * scale


def fresh_copy(source: Path, target: Path) -> Callable[[], None]:
    """A setup step that replaces `target` with a new copy of `source` (a new inode)."""

    def setup() -> None:
        target.unlink(missing_ok=True)
        shutil.copyfile(source, target)

    return setup


def unionstate_argv() -> list[str]:
    """The installed console script beside this interpreter, else `python -m unionstate`."""
    script = Path(sys.executable).with_name("unionstate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "unionstate"]


def commands(work: Path, sizes: dict[str, tuple[Path, str]]) -> list[Command]:
    """Everything to time: floor, shipped dataset, then each synthetic size."""
    py, us = sys.executable, unionstate_argv()
    baseline = [py, str(HERE / "baseline.py")]
    shipped = subprocess.run(
        [py, "-c", "from unionstate import store; print(store.bundled_path())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cmds = [
        Command("floor", f"import floor: python -c '{FLOOR}'", [py, "-c", FLOOR]),
        Command(
            "base-31",
            "baseline list (table), 31",
            [*baseline, "list", shipped],
            TABLE_ENV,
        ),
    ]
    for name, args in (("list", ["list", "--unresolved"]), ("summary", ["summary"])):
        cmds.append(
            Command(
                f"{name}-31-table",
                f"unionstate {' '.join(args)} (table), 31",
                [*us, "--data", shipped, *args],
                TABLE_ENV,
                warm=True,
                base="base-31",
            )
        )
        cmds.append(
            Command(
                f"{name}-31-piped",
                f"unionstate {' '.join(args)} (piped), 31",
                [*us, "--data", shipped, *args],
                warm=True,
                base="base-31",
            )
        )
    cmds.append(
        Command(
            "list-31-cold",
            "unionstate list --unresolved (table), cache off, 31",
            [*us, "--data", shipped, "list", "--unresolved"],
            {**TABLE_ENV, "UNIONSTATE_CACHE": "0"},
            base="base-31",
        )
    )
    for size, (path, roadmap) in sizes.items():
        copy = work / f"sign-{size}.yaml"
        base_copy = work / f"base-sign-{size}.yaml"
        cmds += [
            Command(
                f"base-list-{size}",
                f"baseline list (table), {size}",
                [*baseline, "list", str(path)],
                TABLE_ENV,
            ),
            Command(
                f"json-{size}",
                f"unionstate list --unresolved --json, {size}",
                [*us, "--data", str(path), "list", "--unresolved", "--json"],
                warm=True,
                base=f"base-list-{size}",
            ),
            Command(
                f"table-{size}",
                f"unionstate list --unresolved (table), {size}",
                [*us, "--data", str(path), "list", "--unresolved"],
                TABLE_ENV,
                warm=True,
                base=f"base-list-{size}",
            ),
            Command(
                f"cold-{size}",
                f"unionstate list --unresolved --json, cache off, {size}",
                [*us, "--data", str(path), "list", "--unresolved", "--json"],
                {"UNIONSTATE_CACHE": "0"},
                base=f"base-list-{size}",
            ),
            Command(
                f"base-sign-{size}",
                f"baseline sign, {size}",
                [*baseline, "sign", str(base_copy), roadmap],
                setup=fresh_copy(path, base_copy),
            ),
            Command(
                f"sign-{size}",
                f"unionstate sign (fresh copy), {size}",
                [*us, "--data", str(copy), "sign", roadmap],  # today: after every event
                setup=fresh_copy(path, copy),
                base=f"base-sign-{size}",
            ),
        ]
    return cmds


def compile_package() -> str:
    """Byte-compile unionstate where it is imported from, as pip does when it installs a wheel.

    The libraries in the floor were compiled when pip installed them; an editable install
    of unionstate is compiled on first import only if Python may write bytecode, which
    PYTHONDONTWRITEBYTECODE forbids. Without this, every run would compile the package's
    sources afresh, a cost no installed copy pays.
    """
    where = subprocess.run(
        [sys.executable, "-c", "import unionstate; print(unionstate.__path__[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True)
    return where


def child_env(cache_dir: Path) -> dict[str, str]:
    """This environment without anything that changes unionstate's output or data file."""
    drop = {"NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("UNIONSTATE")}
    env["UNIONSTATE_CACHE_DIR"] = str(cache_dir)
    return env


def machine() -> str:
    """CPU count, CPU model, Python and OS, in one line."""
    model = platform.processor() or platform.machine()
    with_info = Path("/proc/cpuinfo")
    if with_info.exists():
        for line in with_info.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@dataclass
class Target:
    """One target of the issue: what is compared, the measured ratio and the bound."""

    text: str
    value: float
    bound: float
    at_most: bool  # True: value <= bound; False: value >= bound

    @property
    def met(self) -> bool:
        """Whether the measured value is within the bound."""
        return self.value <= self.bound if self.at_most else self.value >= self.bound


def targets(by: dict[str, Command], sizes: list[str]) -> list[Target]:
    """The targets of issue 5, as measured in this run."""
    floor = by["floor"].median
    big, small = sizes[-1], sizes[0]
    out = []
    for key in ("list-31-table", "list-31-piped", "summary-31-table", "summary-31-piped"):
        out.append(Target(f"{by[key].label}: x import floor", by[key].median / floor, 1.25, True))
    base_list, base_sign = by[f"base-list-{big}"], by[f"base-sign-{big}"]
    json_, table, sign = by[f"json-{big}"], by[f"table-{big}"], by[f"sign-{big}"]
    out += [
        Target(
            f"{json_.label}: times faster than baseline", base_list.median / json_.median, 10, False
        ),
        Target(f"{table.label}: x the --json path", table.median / json_.median, 2, True),
        Target(
            f"{sign.label}: times faster than baseline", base_sign.median / sign.median, 5, False
        ),
    ]
    for cmd, base in ((json_, base_list), (table, base_list), (sign, base_sign)):
        out.append(Target(f"{cmd.label}: peak RSS / baseline's", cmd.peak / base.peak, 0.4, True))
    for key in ("json", "table", "sign"):
        grown = by[f"{key}-{big}"].median / by[f"{key}-{small}"].median
        out.append(Target(f"{by[f'{key}-{big}'].label}: time {big}/{small}", grown, 10, True))
    return out


def ratios(cmd: Command, by: dict[str, Command]) -> tuple[str, str]:
    """The command's time over the import floor, and over its baseline counterpart."""
    floor = cmd.median / by["floor"].median
    base = by[cmd.base] if cmd.base else None
    versus = f"{cmd.median / base.median:.3f}" if base is not None else ""
    return f"{floor:.2f}", versus


def report(cmds: list[Command], sizes: list[str], markdown: bool) -> None:
    """Print the table of results and the targets."""
    by = {c.key: c for c in cmds}
    width = max(len(c.label) for c in cmds)
    print(f"\n{'command':<{width}}  {'median s':>9}  {'peak MB':>8}  {'x floor':>8}  {'x base':>7}")
    for c in cmds:
        floor, versus = ratios(c, by)
        print(
            f"{c.label:<{width}}  {c.median:9.3f}  {c.peak / 2**20:8.1f}  {floor:>8}  {versus:>7}"
        )
    print("\ngrowth, time 10k/1k:")
    for key in ("base-list", "json", "table", "cold", "base-sign", "sign"):
        grown = by[f"{key}-{sizes[-1]}"].median / by[f"{key}-{sizes[0]}"].median
        print(f"  {by[f'{key}-{sizes[-1]}'].label:<{width}}  {grown:6.2f}")
    print("\ntargets (issue 5):")
    for t in targets(by, sizes):
        sign = "<=" if t.at_most else ">="
        print(f"  [{'met' if t.met else 'NOT met'}] {t.text}: {t.value:.2f} ({sign} {t.bound:g})")
    if markdown:
        print("\n| command | median time | peak RSS | x import floor | x baseline |")
        print("|---|---:|---:|---:|---:|")
        for c in cmds:
            floor, versus = ratios(c, by)
            print(
                f"| {c.label} | {c.median:.3f} s | {c.peak / 2**20:.0f} MB | {floor} | {versus} |"
            )
        print("\n| target | measured | bound | met |")
        print("|---|---:|---:|---|")
        for t in targets(by, sizes):
            sign = "≤" if t.at_most else "≥"
            print(f"| {t.text} | {t.value:.2f} | {sign} {t.bound:g} | {'yes' if t.met else 'no'} |")


def main(argv: list[str] | None = None) -> int:
    """Generate the datasets, time every command, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 5")
    parser.add_argument("--runs", type=int, help="runs of each command (default 5)")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    started = time.perf_counter()
    print(machine())
    print(f"byte-compiled {compile_package()}")
    with tempfile.TemporaryDirectory(prefix="unionstate-bench-") as scratch:
        work = Path(scratch)
        sizes: dict[str, tuple[Path, str]] = {}
        for label, count in (("1k", 1_000), ("10k", 10_000)):
            # In a child: Linux counts the RSS a parent had at fork in its children's peak,
            # so this process stays small.
            path = work / f"roadmaps-{label}.yaml"
            made = subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(count), str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            roadmap = made.rsplit("signable:", 1)[1].strip()
            sizes[label] = (path, roadmap)
            print(f"generated {path.name}: {path.stat().st_size / 2**20:.1f} MB, sign {roadmap}")
        base_env = child_env(work / "cache")
        cmds = commands(work, sizes)
        for cmd in cmds:
            if cmd.warm:
                run_once(cmd, base_env)
        for round_ in range(runs):
            for cmd in cmds:
                elapsed, rss = run_once(cmd, base_env)
                cmd.times.append(elapsed)
                cmd.rss.append(rss)
            print(f"round {round_ + 1}/{runs} done ({time.perf_counter() - started:.0f} s)")
        report(cmds, list(sizes), args.markdown)
    print(f"\n{runs} runs each, medians; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
