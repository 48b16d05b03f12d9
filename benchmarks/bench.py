"""Time whole `unionstate` processes against the import floor and a straightforward baseline.

    python benchmarks/bench.py             # 5 runs of each command (about half an hour)
    python benchmarks/bench.py --quick     # 3 runs, for a rough look
    python benchmarks/bench.py --markdown  # also print the tables of docs/performance.md

On the shipped record (31 roadmaps, 28 programs) and on synthetic datasets of 10x and 100x
its records (benchmarks/generate.py: the shipped record repeated, ids renamed), it runs every
command as a fresh process, interleaving the commands round by round so that a busy machine
slows them all alike, and reports the median wall time and the peak resident memory of
each (from `os.wait4`), and the 1-minute load average before each round. Nothing here is a
test: CI never runs it, and no number here can fail a build.

Commands: warm reads (`list`, `summary`, each as a terminal table and
piped), two cold reads of `list` (the cache off; a fresh copy of the file, which no cache
entry matches), an update (`sign` on a fresh copy: a full read, the write, the undo journal
and the new cache entry) and `report` into an emptied directory; each against
benchmarks/baseline.py doing the same, and on the shipped record against the import floor.
unionstate runs with a cache and a state directory of its own per dataset, in a scratch
directory (never yours); the warm reads find the file already cached, as after any earlier
command. A command whose first timed run takes over --slow seconds is timed once only.
The targets are those of the issue "The house".
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
PIPED_ENV = {"TTY_COMPATIBLE": "0"}
SCALES = (1, 10, 100)  # 1: the shipped record itself

# Bounds of the issue: on the shipped record, times the import floor; at scale, times the
# baseline, and the growth from 10x to 100x.
WARM_BOUND, COLD_BOUND, UPDATE_BOUND, REPORT_BOUND = 1.0, 2.5, 2.5, 8.0
BASELINE_BOUND, GROWTH_BOUND = 1.0, 10.0


@dataclass
class Command:
    """One command line to time, and what to do before each run (untimed)."""

    key: str
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[], None] | None = None
    base: str | None = None  # key of the baseline command this one is compared with
    bound: float | None = None  # on the shipped record: at most this many import floors
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # bytes

    @property
    def median(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(self.times)

    @property
    def spread(self) -> str:
        """The fastest and the slowest run, in seconds: how noisy the median is."""
        return f"{min(self.times):.3f}–{max(self.times):.3f}"

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


def emptied(directory: Path) -> Callable[[], None]:
    """A setup step that removes `directory` (the benchmark's own scratch), so a run writes
    every page anew."""

    def setup() -> None:
        shutil.rmtree(directory, ignore_errors=True)

    return setup


def unionstate_argv() -> list[str]:
    """The installed console script beside this interpreter, else `python -m unionstate`."""
    script = Path(sys.executable).with_name("unionstate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "unionstate"]


def scale_name(times: int) -> str:
    """How the tables name a dataset: "shipped", "10x", "100x"."""
    return "shipped" if times == 1 else f"{times}x"


@dataclass
class Dataset:
    """A dataset to time commands on: the file, a roadmap `sign` accepts, its scratch dirs."""

    times: int
    path: Path
    signable: str
    sign_source: Path  # what `sign` gets a fresh copy of (for the shipped record: `init`'s)
    work: Path

    @property
    def name(self) -> str:
        """How the tables name it: "shipped", "10x", "100x"."""
        return scale_name(self.times)

    @property
    def env(self) -> dict[str, str]:
        """A cache and a state directory of its own (at most 8 entries are kept per cache)."""
        return {
            "UNIONSTATE_CACHE_DIR": str(self.work / "cache"),
            "UNIONSTATE_STATE_DIR": str(self.work / "state"),
        }


def commands_for(data: Dataset) -> list[Command]:
    """Every command to time on one dataset, each beside its baseline."""
    us, baseline = unionstate_argv(), [sys.executable, str(HERE / "baseline.py")]
    n, path, work, env = data.name, str(data.path), data.work, data.env
    cmds: list[Command] = []
    for verb in ("list", "summary"):
        for shape, shape_env in (("table", TABLE_ENV), ("piped", PIPED_ENV)):
            key = f"{verb}-{shape}-{n}"
            cmds.append(
                Command(
                    f"base-{key}",
                    f"baseline {verb} ({shape}), {n}",
                    [*baseline, verb, path],
                    shape_env,
                )
            )
            cmds.append(
                Command(
                    key,
                    f"unionstate {verb} ({shape}), {n}",
                    [*us, "--data", path, verb],
                    {**env, **shape_env},
                    base=f"base-{key}",
                    bound=WARM_BOUND,
                )
            )
    fresh = work / "fresh.yaml"
    cmds += [
        Command(
            f"cold-off-{n}",
            f"unionstate list (table), cache off, {n}",
            [*us, "--data", path, "list"],
            {**env, **TABLE_ENV, "UNIONSTATE_CACHE": "0"},
            base=f"base-list-table-{n}",
            bound=COLD_BOUND,
        ),
        Command(
            f"cold-fresh-{n}",
            f"unionstate list (table), fresh copy, {n}",
            [*us, "--data", str(fresh), "list"],
            {**env, **TABLE_ENV},
            setup=fresh_copy(data.path, fresh),
            base=f"base-list-table-{n}",
            bound=COLD_BOUND,
        ),
    ]
    base_copy, copy = work / "base-sign.yaml", work / "sign.yaml"
    cmds += [
        Command(
            f"base-sign-{n}",
            f"baseline sign, {n}",
            [*baseline, "sign", str(base_copy), data.signable],
            setup=fresh_copy(data.sign_source, base_copy),
        ),
        Command(
            f"sign-{n}",
            f"unionstate sign (fresh copy), {n}",
            [*us, "--data", str(copy), "sign", data.signable],  # today: after every event
            env,
            setup=fresh_copy(data.sign_source, copy),
            base=f"base-sign-{n}",
            bound=UPDATE_BOUND,
        ),
    ]
    base_site, site = work / "base-site", work / "site"
    cmds += [
        Command(
            f"base-report-{n}",
            f"baseline report, {n}",
            [*baseline, "report", path, str(base_site)],
            setup=emptied(base_site),
        ),
        Command(
            f"report-{n}",
            f"unionstate report, {n}",
            [*us, "--data", path, "report", str(site)],
            env,
            setup=emptied(site),
            base=f"base-report-{n}",
            bound=REPORT_BOUND,
        ),
    ]
    return cmds


def prepare(work: Path, times: int) -> Dataset:
    """The dataset at this scale, with a roadmap `sign` accepts, and its cache filled."""
    py, us = sys.executable, unionstate_argv()
    folder = work / scale_name(times)
    folder.mkdir()
    if times == 1:
        path = Path(run([py, "-c", "from unionstate import store; print(store.bundled_path())"]))
        # `sign` needs a copy of its own (the bundled file is never written): `init` makes it.
        sign_source = folder / "init" / "roadmaps.yaml"
        run([*us, "init", str(sign_source)])
        signable = run(
            [
                py,
                "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); import generate; "
                "from pathlib import Path; from unionstate import store; "
                "print(generate.signable(store.load(Path(sys.argv[2]))))",
                str(HERE),
                str(sign_source),
            ]
        )
    else:
        # In a child: Linux counts the RSS a parent had at fork in its children's peak,
        # so this process stays small.
        path = folder / "roadmaps.yaml"
        made = run([py, str(HERE / "generate.py"), str(times), str(path)])
        signable = made.rsplit("signable:", 1)[1].strip()
        sign_source = path
    data = Dataset(times, path, signable, sign_source, folder)
    # Any earlier command leaves the file in the cache: the warm reads start from there.
    subprocess.run(
        [*us, "--data", str(path), "list"],
        env={**child_env(), **data.env},
        check=True,
        capture_output=True,
    )
    return data


def run(argv: list[str]) -> str:
    """Run a helper; its stdout, stripped (fails loudly)."""
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def compile_package() -> str:
    """Byte-compile unionstate where it is imported from, as pip does when it installs a wheel.

    The libraries in the floor were compiled when pip installed them; an editable install
    of unionstate is compiled on first import only if Python may write bytecode, which
    PYTHONDONTWRITEBYTECODE forbids. Without this, every run would compile the package's
    sources afresh, a cost no installed copy pays.
    """
    where = run([sys.executable, "-c", "import unionstate; print(unionstate.__path__[0])"])
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True)
    return where


def child_env() -> dict[str, str]:
    """This environment without anything that changes unionstate's output or data file."""
    drop = {"NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES", "PAGER"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("UNIONSTATE")}


def machine() -> str:
    """CPU count, CPU model, Python, OS and the libraries' versions, in one line."""
    model = platform.processor() or platform.machine()
    with_info = Path("/proc/cpuinfo")
    if with_info.exists():
        for line in with_info.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = run(
        [
            sys.executable,
            "-c",
            "from importlib.metadata import version as v; "
            "print(', '.join(f'{p} {v(p)}' for p in "
            "('typer', 'pydantic', 'pyyaml', 'rich')))",
        ]
    )
    libyaml = run([sys.executable, "-c", "import yaml; print(yaml.__with_libyaml__)"])
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {versions} (libyaml: {libyaml})"
    )


def load_average() -> float:
    """The 1-minute load average (0 where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


@dataclass
class Target:
    """One target of the issue: what is compared, the measured ratio and the bound."""

    text: str
    value: float
    bound: float

    @property
    def met(self) -> bool:
        """Whether the measured value is within the bound (all bounds are upper bounds)."""
        return self.value <= self.bound


def targets(cmds: list[Command]) -> list[Target]:
    """The targets of the issue, as measured in this run."""
    by = {c.key: c for c in cmds}
    floor = by["floor"].median
    out = []
    shipped = scale_name(1)
    ours = [c for c in cmds if c.bound is not None]
    for c in ours:
        if c.key.endswith(f"-{shipped}"):
            out.append(Target(f"{c.label}: x import floor", c.median / floor, c.bound or 0))
    for times in SCALES[1:]:
        for c in ours:
            if c.key.endswith(f"-{scale_name(times)}") and c.base:
                out.append(
                    Target(f"{c.label}: x baseline", c.median / by[c.base].median, BASELINE_BOUND)
                )
    for key, grown in growth(cmds):
        if by[key].bound is not None:
            out.append(Target(f"{by[key].label}: time 100x/10x", grown, GROWTH_BOUND))
    return out


def growth(cmds: list[Command]) -> list[tuple[str, float]]:
    """(key of the 100x command, its median over the 10x one's) for every command."""
    by = {c.key: c for c in cmds}
    small, big = (scale_name(t) for t in SCALES[1:])
    out = []
    for c in cmds:
        if c.key.endswith(f"-{big}"):
            twin = by.get(c.key.removesuffix(big) + small)
            if twin is not None:
                out.append((c.key, c.median / twin.median))
    return out


def ratios(cmd: Command, by: dict[str, Command]) -> tuple[str, str]:
    """The command's time over the import floor, and over its baseline counterpart."""
    floor = cmd.median / by["floor"].median
    base = by[cmd.base] if cmd.base else None
    versus = f"{cmd.median / base.median:.2f}" if base is not None else ""
    return f"{floor:.2f}", versus


def report(cmds: list[Command], markdown: bool) -> None:
    """Print the table of results, the growth and the targets."""
    by = {c.key: c for c in cmds}
    width = max(len(c.label) for c in cmds)
    print(
        f"\n{'command':<{width}}  {'median s':>9}  {'min–max s':>11}  {'peak MB':>8}  "
        f"{'runs':>4}  {'x floor':>8}  {'x base':>7}"
    )
    for c in cmds:
        floor, versus = ratios(c, by)
        print(
            f"{c.label:<{width}}  {c.median:9.3f}  {c.spread:>11}  {c.peak / 2**20:8.1f}  "
            f"{len(c.times):>4}  {floor:>8}  {versus:>7}"
        )
    print("\ngrowth, time 100x/10x:")
    for key, grown in growth(cmds):
        print(f"  {by[key].label:<{width}}  {grown:7.2f}")
    print("\ntargets:")
    for t in targets(cmds):
        print(f"  [{'met' if t.met else 'NOT met'}] {t.text}: {t.value:.2f} (<= {t.bound:g})")
    if not markdown:
        return
    print("\n| command | median time | min–max | peak RSS | runs | x import floor | x baseline |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for c in cmds:
        floor, versus = ratios(c, by)
        print(
            f"| {c.label} | {c.median:.3f} s | {c.spread} | {c.peak / 2**20:.0f} MB "
            f"| {len(c.times)} | {floor} | {versus} |"
        )
    print("\n| command | time 100x/10x |")
    print("|---|---:|")
    for key, grown in growth(cmds):
        print(f"| {by[key].label.rsplit(',', 1)[0]} | {grown:.2f} |")
    print("\n| target | measured | bound | met |")
    print("|---|---:|---:|---|")
    for t in targets(cmds):
        print(f"| {t.text} | {t.value:.2f} | ≤ {t.bound:g} | {'yes' if t.met else '**no**'} |")


def main(argv: list[str] | None = None) -> int:
    """Prepare the datasets, time every command, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 5")
    parser.add_argument("--runs", type=int, help="runs of each command (default 5)")
    parser.add_argument(
        "--slow", type=float, default=60, help="time a command once if it takes longer (s)"
    )
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    parser.add_argument(
        "--scales", default="1,10,100", help="datasets, as multiples of the shipped record"
    )
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    started = time.perf_counter()
    print(machine())
    print(f"byte-compiled {compile_package()}")
    with tempfile.TemporaryDirectory(prefix="unionstate-bench-") as scratch:
        work = Path(scratch)
        cmds = [
            Command("floor", f"import floor: python -c '{FLOOR}'", [sys.executable, "-c", FLOOR])
        ]
        for times in sorted({int(t) for t in args.scales.split(",")}):
            data = prepare(work, times)
            size = data.path.stat().st_size / 2**20
            print(f"{data.name}: {data.path} ({size:.1f} MB), sign {data.signable}")
            cmds += commands_for(data)
        base_env = child_env()
        loads = []
        for round_ in range(runs):
            loads.append(load_average())
            for cmd in cmds:
                if cmd.times and cmd.times[0] > args.slow:
                    continue
                elapsed, rss = run_once(cmd, base_env)
                cmd.times.append(elapsed)
                cmd.rss.append(rss)
            print(
                f"round {round_ + 1}/{runs} done ({time.perf_counter() - started:.0f} s; "
                f"1-minute load before it {loads[-1]:.2f})"
            )
        loads.append(load_average())
        report(cmds, args.markdown)
    print(
        f"\n{runs} runs each (commands over {args.slow:g} s: one), medians; "
        f"1-minute load {min(loads):.2f}–{max(loads):.2f} at the rounds' starts and end; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
