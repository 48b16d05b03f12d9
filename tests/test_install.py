"""Installs anywhere: build the wheel, install it in a fresh venv, use it from elsewhere.

No network: the wheel is built without build isolation (hatchling comes from the test
extra) and installed with --no-deps; the fresh venv sees this venv's site-packages for
typer, pydantic, PyYAML and rich through a .pth file. unionstate itself comes from the
wheel, which the first test checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from unionstate import __version__, models, store
from unionstate.models import RoadmapStatus

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "roadmaps.yaml"
SCHEMA_FILE = ROOT / "data" / "roadmaps.schema.json"


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the wheel installed, and a home and working directory elsewhere."""

    venv: Path
    home: Path
    cwd: Path

    @property
    def config(self) -> Path:
        """XDG_CONFIG_HOME, where `typer.get_app_dir` puts the user's copy."""
        return self.home / ".config"

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: no UNIONSTATE_*, no PYTHONPATH, HOME in the scratch area."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("UNIONSTATE_", "PYTHON", "VIRTUAL_ENV", "_UNIONSTATE", "COMP_"))
            and k not in ("TTY_COMPATIBLE", "FORCE_COLOR", "COLUMNS")
        }
        env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.config), NO_COLOR="1")
        env.update(XDG_CACHE_HOME=str(self.home / ".cache"))  # never the user's real cache
        env.update(extra)
        return env

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run the installed `unionstate` console script from the scratch directory."""
        return subprocess.run(
            [str(self.venv / "bin" / "unionstate"), *args],
            cwd=self.cwd,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


def _check(command: list[str], cwd: Path) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel once, install it into a fresh venv outside the repository."""
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (test extra)")
    if os.name != "posix":  # pragma: no cover - the venv layout below is POSIX's
        pytest.skip("POSIX venv layout")
    scratch = tmp_path_factory.mktemp("install")
    assert ROOT not in scratch.parents
    dist = scratch / "dist"
    _check(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        scratch,
    )
    (wheel,) = dist.glob("unionstate-*.whl")
    venv = scratch / "venv"
    _check([sys.executable, "-m", "venv", str(venv)], scratch)
    python = venv / "bin" / "python"
    _check(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        scratch,
    )
    # The dependencies: this venv's site-packages, appended to the fresh one's sys.path.
    # A bare path line (not `import site; site.addsitedir`) does not run the .pth files
    # there, so this checkout's editable install stays out of the way.
    fresh = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(fresh) / "_unionstate_test_deps.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8"
    )
    home, cwd = scratch / "home", scratch / "elsewhere"
    home.mkdir()
    cwd.mkdir()
    yield Installed(venv, home, cwd)


def _info(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "field\tvalue"
    return dict(line.split("\t", 1) for line in lines[1:])


def test_the_installed_package_comes_from_the_wheel(installed: Installed) -> None:
    done = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import unionstate; print(unionstate.__file__)",
        ],
        cwd=installed.cwd,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()).is_relative_to(installed.venv)


def test_summary_works_from_another_directory_on_the_bundled_dataset(
    installed: Installed,
) -> None:
    result = installed.run("summary")
    assert result.returncode == 0, result.stderr
    as_of = store.load(SHIPPED).as_of
    assert result.stdout.startswith(
        f"as_of\trecords\taxis\tstatus\tcount\tshare\n{as_of}\troadmaps\tadoption\t"
    )
    assert result.stderr == ""


def test_info_says_the_bundled_copy_is_in_use(installed: Installed) -> None:
    info = _info(installed.run("info"))
    assert info["version"] == __version__
    assert info["chosen"].startswith("the copy bundled with unionstate")
    assert info["writable"] == "false"
    assert info["schema_version"] == "4"
    bundled = Path(info["data_file"])
    assert bundled.is_relative_to(installed.venv)
    assert bundled.read_bytes() == SHIPPED.read_bytes()
    # The wheel carries the schema next to the data, where the header's `$schema=` points.
    assert (bundled.parent / models.SCHEMA_NAME).read_bytes() == SCHEMA_FILE.read_bytes()


def test_the_installed_schema_command_prints_the_repositorys_schema(installed: Installed) -> None:
    result = installed.run("schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_completion_works_in_the_installed_package(installed: Installed) -> None:
    result = installed.run(
        _UNIONSTATE_COMPLETE="complete_bash", COMP_WORDS="unionstate show ga", COMP_CWORD="2"
    )
    assert (result.returncode, result.stdout.split(), result.stderr) == (0, ["gas-market"], "")


def test_writing_the_bundled_copy_is_refused_naming_init(installed: Installed) -> None:
    bundled = Path(_info(installed.run("info"))["data_file"])
    before = bundled.read_bytes()
    result = installed.run("agree", "customs", "--on", "2021-05-28")
    assert result.returncode == 1
    assert "unionstate init" in result.stderr
    assert "Traceback" not in result.stderr
    assert bundled.read_bytes() == before


def test_init_makes_a_writable_copy_in_the_user_data_directory(installed: Installed) -> None:
    config = installed.home / "init-config"  # its own, so the other tests still see none
    result = installed.run("init", XDG_CONFIG_HOME=str(config))
    assert result.returncode == 0, result.stderr
    copy = config / "unionstate" / "roadmaps.yaml"
    assert str(copy) in result.stderr
    assert copy.read_bytes() == SHIPPED.read_bytes()
    assert (copy.parent / models.SCHEMA_NAME).read_bytes() == SCHEMA_FILE.read_bytes()

    info = _info(installed.run("info", XDG_CONFIG_HOME=str(config)))
    assert info["data_file"] == str(copy)
    assert info["chosen"] == "your working copy made by `unionstate init`"
    assert info["writable"] == "true"

    agreed = installed.run("agree", "customs", "--on", "2021-05-28", XDG_CONFIG_HOME=str(config))
    assert agreed.returncode == 0, agreed.stderr
    assert store.load(copy).roadmap_by_id("customs").status is RoadmapStatus.AGREED

    again = installed.run("init", XDG_CONFIG_HOME=str(config))
    assert again.returncode == 1
    assert "--force" in again.stderr
