"""Fill the README's example blocks with the real output of each command.

Each block is `<!-- run: unionstate ARGS [| head -N] -->` … `<!-- end -->`; `run[tty]`
renders as on a 100-column terminal without colour. The commands run in order, in a
scratch directory holding a copy of the shipped data as data/roadmaps.yaml, so updates
build on each other as they would for a user. The directory is a git repository with that
file committed, and a block may run `git ARGS` too (for the examples of working with git);
`CMD && CMD` runs several, showing each with its output.

The picture of the web report that the README shows, docs/report.png, is drawn by Chromium:
`python tests/chromium.py` (not checked here: a browser's pixels vary between versions).

    python tests/readme.py --write   # rewrite README.md
    python tests/readme.py           # exit 1 if it is out of date
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- run(?P<tty>\[tty\])?: (?P<cmd>.+?) -->\n.*?<!-- end -->", re.DOTALL)
FIELDS = re.compile(r"(<!-- fields: [^>]*-->\n).*?(<!-- end -->)", re.DOTALL)


def _broken_copy(data: str) -> str:
    """The shipped data with two mistakes, for the `validate` example."""
    customs = data.index("  id: customs\n")
    status = data.index("  status: pending\n", customs)
    data = data[:status] + "  status: done\n" + data[status + len("  status: pending\n") :]
    gas = data.index("  id: gas-market\n")
    title = data.index("  title: ", gas)
    return data[:title] + "  titel: " + data[title + len("  title: ") :]


def _env(cwd: Path) -> dict[str, str]:
    """A clean environment: HOME is the scratch directory, git reads no config of yours, and
    commit dates and the undo journal's clock are fixed, so that the output is the same."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UNIONSTATE_", "TTY_", "GIT_", "XDG_"))
    }
    env.update(HOME=str(cwd), XDG_CONFIG_HOME=str(cwd / ".config"), NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    # `unionstate` on PATH, as git needs it to run the merge driver.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    when = "2021-09-30T12:00:00+00:00"
    env.update(
        GIT_CONFIG_GLOBAL=str(cwd / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Analyst",
        GIT_AUTHOR_EMAIL="analyst@example.org",
        GIT_COMMITTER_NAME="Analyst",
        GIT_COMMITTER_EMAIL="analyst@example.org",
        GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_DATE=when,
        SOURCE_DATE_EPOCH="1632945600",
    )
    return env


def _git_repository(cwd: Path) -> None:
    """Make the scratch directory a git repository with its files committed (for `git` blocks)."""
    env = _env(cwd)
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "data", "broken.yaml"],
        ["git", "commit", "-q", "-m", "The shipped data"],
    ):
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    # The runner's HOME is the scratch directory: its dotfiles are not the examples' business.
    (cwd / ".git" / "info" / "exclude").write_text(".*\n!.gitattributes\n", encoding="utf-8")


def _run(command: str, tty: bool, cwd: Path) -> str:
    head = None
    if match := re.search(r"\s*\|\s*head -(\d+)$", command):
        head = int(match.group(1))
        command = command[: match.start()]
    argv = shlex.split(command)
    assert argv[0] in ("unionstate", "git"), command
    env = _env(cwd)
    if tty:
        env.update(TTY_COMPATIBLE="1", COLUMNS="100")
    program = [sys.executable, "-m", "unionstate"] if argv[0] == "unionstate" else ["git"]
    done = subprocess.run(
        [*program, *argv[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout
    if head is not None:
        out = "".join(out.splitlines(keepends=True)[:head])
    text = out + done.stderr
    text = text.replace(str(cwd), "~")
    if done.returncode:
        text += f"[exit {done.returncode}]\n"
    return text.rstrip("\n")


def render(readme: str) -> str:
    """The README with every example block refreshed."""
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        (cwd / "data").mkdir()
        shutil.copy(ROOT / "data" / "roadmaps.yaml", cwd / "data" / "roadmaps.yaml")
        data = (cwd / "data" / "roadmaps.yaml").read_text(encoding="utf-8")
        (cwd / "broken.yaml").write_text(_broken_copy(data), encoding="utf-8")
        _git_repository(cwd)

        def fill(match: re.Match[str]) -> str:
            tty, command = match.group("tty"), match.group("cmd")
            shown = []
            for part in command.split(" && "):  # several commands, each with its output
                output = _run(part, bool(tty), cwd)
                shown.append(f"$ {part}\n{output}\n" if output else f"$ {part}\n")
            marker = f"<!-- run{tty or ''}: {command} -->"
            return f"{marker}\n```console\n{''.join(shown)}```\n<!-- end -->"

        from unionstate.views import field_reference

        filled = BLOCK.sub(fill, readme)
        return FIELDS.sub(lambda m: m.group(1) + field_reference() + m.group(2), filled)


# Each in a scratch directory of its own; docs/data.md has the field reference of the models.
PAGES = [README, ROOT / "docs" / "commands.md", ROOT / "docs" / "data.md"]


def main() -> int:
    """Rewrite the pages' examples with --write; otherwise report any that are out of date."""
    stale = []
    for page in PAGES:
        current = page.read_text(encoding="utf-8")
        fresh = render(current)
        if "--write" in sys.argv[1:]:
            page.write_text(fresh, encoding="utf-8")
        elif fresh != current:
            stale.append(str(page.relative_to(ROOT)))
    if stale:
        print(f"{', '.join(stale)}: examples out of date: run python tests/readme.py --write")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
